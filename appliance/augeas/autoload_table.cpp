#include "autoload_table.hpp"

namespace guestuml::augeas {

namespace {

constexpr std::string_view home_word = "home ";
constexpr std::string_view module_word = "module ";
constexpr std::string_view incl_word = "incl ";
constexpr std::string_view excl_word = "excl ";

bool starts_with(std::string_view line, std::string_view word)
{
    return line.substr(0, word.size()) == word;
}

} // namespace

std::string format_autoload_table(const AutoloadTable& table)
{
    std::string text;
    text.append(home_word).append(table.home).push_back('\n');
    for (const auto& entry : table.entries) {
        text.append(module_word).append(entry.module).push_back('\n');
        for (const auto& filter : entry.filters)
            text.append(filter.include ? incl_word : excl_word).append(filter.glob).push_back('\n');
    }
    return text;
}

std::optional<AutoloadTable> parse_autoload_table(std::string_view text)
{
    AutoloadTable table;
    const size_t first_end = text.find('\n');
    if (first_end == std::string_view::npos || !starts_with(text, home_word))
        return std::nullopt;
    table.home = std::string(text.substr(home_word.size(), first_end - home_word.size()));
    text.remove_prefix(first_end + 1);
    auto& entries = table.entries;
    while (!text.empty()) {
        const size_t end = text.find('\n');
        if (end == std::string_view::npos)
            return std::nullopt;   // a table cut short
        const std::string_view line = text.substr(0, end);
        text.remove_prefix(end + 1);
        if (starts_with(line, module_word) && line.size() > module_word.size()) {
            entries.push_back({std::string(line.substr(module_word.size())), {}});
        } else if (!entries.empty() && (starts_with(line, incl_word) || starts_with(line, excl_word)) &&
                   line.size() > incl_word.size()) {
            entries.back().filters.push_back({starts_with(line, incl_word), std::string(line.substr(incl_word.size()))});
        } else {
            return std::nullopt;
        }
    }
    if (entries.empty())
        return std::nullopt;
    return table;
}

} // namespace guestuml::augeas
