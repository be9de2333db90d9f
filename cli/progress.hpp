// Progress and notes for the user on stderr: shown only when stderr is a
// terminal and --quiet was not given, so logs and pipes stay clean.
#pragma once

#include "guestuml/appliance_cache.hpp"

#include <string_view>

namespace guestuml::cli {

class Progress {
public:
    explicit Progress(bool quiet);
    bool enabled() const noexcept { return enabled_; }
    // Prints "guestuml: MESSAGE" on its own line when enabled.
    void operator()(std::string_view message) const;
    // The same, in the form the appliance builder takes.
    ProgressFn as_function() const;

private:
    bool enabled_;
};

} // namespace guestuml::cli
