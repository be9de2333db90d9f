#include "progress.hpp"

#include <cstdio>
#include <fmt/format.h>
#include <unistd.h>

namespace guestuml::cli {

Progress::Progress(bool quiet) : enabled_(!quiet && ::isatty(STDERR_FILENO) == 1) {}

void Progress::operator()(std::string_view message) const
{
    if (enabled_)
        fmt::print(stderr, "guestuml: {}\n", message);
}

ProgressFn Progress::as_function() const
{
    return [copy = *this](std::string_view message) { copy(message); };
}

} // namespace guestuml::cli
