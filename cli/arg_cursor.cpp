#include "arg_cursor.hpp"

#include <charconv>
#include <fmt/format.h>

namespace guestuml::cli {

bool ArgCursor::take_flag(std::initializer_list<std::string_view> names)
{
    if (done() || only_positional_)
        return false;
    for (const auto name : names) {
        if (args_[pos_] == name) {
            ++pos_;
            return true;
        }
    }
    return false;
}

std::optional<std::string> ArgCursor::take_value(std::initializer_list<std::string_view> names)
{
    if (done() || only_positional_)
        return std::nullopt;
    const std::string& arg = args_[pos_];
    for (const auto name : names) {
        if (arg == name) {
            if (pos_ + 1 >= args_.size())
                throw UsageError(fmt::format("option {} needs a value", name));
            pos_ += 2;
            return args_[pos_ - 1];
        }
        if (name.starts_with("--") && arg.size() > name.size() && arg.starts_with(name) && arg[name.size()] == '=') {
            ++pos_;
            return arg.substr(name.size() + 1);
        }
    }
    return std::nullopt;
}

std::optional<std::string> ArgCursor::take_positional()
{
    if (!only_positional_ && args_[pos_] == "--") {
        only_positional_ = true;
        ++pos_;
        return std::nullopt;
    }
    const std::string& arg = args_[pos_];
    if (!only_positional_ && arg.size() > 1 && arg.front() == '-')
        throw UsageError(fmt::format("unknown option '{}' (see --help)", arg));
    ++pos_;
    return arg;
}

unsigned parse_count(const std::string& option, const std::string& value)
{
    unsigned result = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), result);
    if (error != std::errc{} || end != value.data() + value.size() || result == 0)
        throw UsageError(fmt::format("{} '{}': expected a positive whole number", option, value));
    return result;
}

} // namespace guestuml::cli
