#include "json_writer.hpp"

#include <fmt/format.h>

namespace guestuml::cli {

std::string json_quote(std::string_view text)
{
    std::string out = "\"";
    for (const char c : text) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
            if (static_cast<unsigned char>(c) < 0x20)
                out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
            else
                out += c;
        }
    }
    out += '"';
    return out;
}

void JsonWriter::newline()
{
    if (!pretty_)
        return;
    out_ += '\n';
    out_.append(2 * levels_.size(), ' ');
}

void JsonWriter::before_value()
{
    if (after_key_) {
        after_key_ = false;
        return;
    }
    if (levels_.empty())
        return;
    if (!levels_.back().first)
        out_ += ',';
    levels_.back().first = false;
    newline();
}

void JsonWriter::begin_object()
{
    before_value();
    out_ += '{';
    levels_.push_back({});
}

void JsonWriter::begin_array()
{
    before_value();
    out_ += '[';
    levels_.push_back({});
}

void JsonWriter::close(char bracket)
{
    const bool empty = levels_.back().first;
    levels_.pop_back();
    if (!empty)
        newline();
    out_ += bracket;
}

void JsonWriter::end_object()
{
    close('}');
}

void JsonWriter::end_array()
{
    close(']');
}

void JsonWriter::key(std::string_view name)
{
    before_value();
    out_ += json_quote(name);
    out_ += pretty_ ? ": " : ":";
    after_key_ = true;
}

void JsonWriter::value(std::string_view text)
{
    before_value();
    out_ += json_quote(text);
}

void JsonWriter::value(long long number)
{
    before_value();
    out_ += std::to_string(number);
}

void JsonWriter::value(bool flag)
{
    before_value();
    out_ += flag ? "true" : "false";
}

} // namespace guestuml::cli
