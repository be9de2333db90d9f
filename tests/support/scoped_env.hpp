// An environment variable set for one scope and restored after, for tests of
// code that reads its settings from the environment.
#pragma once

#include <cstdlib>
#include <optional>
#include <string>

namespace guestuml::test {

class ScopedEnv {
public:
    // value nullptr unsets the variable for the scope.
    ScopedEnv(const char* name, const char* value) : name_(name)
    {
        if (const char* old = std::getenv(name))
            old_ = old;
        if (value)
            ::setenv(name, value, 1);
        else
            ::unsetenv(name);
    }
    ~ScopedEnv()
    {
        if (old_)
            ::setenv(name_, old_->c_str(), 1);
        else
            ::unsetenv(name_);
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    const char* name_;
    std::optional<std::string> old_;
};

} // namespace guestuml::test
