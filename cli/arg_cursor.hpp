// Walks a subcommand's arguments: options (-x VALUE, --long VALUE, --long=VALUE)
// and positional arguments, everything after "--" being positional.
#pragma once

#include "commands.hpp"

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace guestuml::cli {

class ArgCursor {
public:
    explicit ArgCursor(const Args& args) : args_(args) {}

    bool done() const noexcept { return pos_ >= args_.size(); }
    // Consumes the current argument if it is one of names.
    bool take_flag(std::initializer_list<std::string_view> names);
    // Consumes "NAME VALUE" or "--NAME=VALUE" for one of names; UsageError if the value is missing.
    std::optional<std::string> take_value(std::initializer_list<std::string_view> names);
    // Consumes a positional argument; UsageError for an option nobody took.
    // nullopt when it consumed the "--" that ends the options.
    std::optional<std::string> take_positional();

private:
    const Args& args_;
    std::size_t pos_ = 0;
    bool only_positional_ = false;
};

// Parses a positive integer option value; UsageError naming the option otherwise.
unsigned parse_count(const std::string& option, const std::string& value);

} // namespace guestuml::cli
