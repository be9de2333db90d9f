// A small streaming JSON writer: objects, arrays, strings, integers, booleans;
// compact (one line, for JSON lines) or indented by two spaces.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace guestuml::cli {

class JsonWriter {
public:
    explicit JsonWriter(bool pretty) : pretty_(pretty) {}

    void begin_object();
    void end_object();
    void begin_array();
    void end_array();
    // Names the next value inside an object.
    void key(std::string_view name);
    void value(std::string_view text);
    void value(const char* text) { value(std::string_view(text)); }
    void value(long long number);
    void value(int number) { value(static_cast<long long>(number)); }
    void value(bool flag);

    // The document written so far.
    const std::string& str() const noexcept { return out_; }

private:
    void before_value();
    void close(char bracket);
    void newline();

    struct Level {
        bool first = true;
    };
    bool pretty_;
    bool after_key_ = false;
    std::vector<Level> levels_;
    std::string out_;
};

// text as a JSON string literal, quotes included (UTF-8 passes through).
std::string json_quote(std::string_view text);

} // namespace guestuml::cli
