// Errors raised inside the guestuml libraries: one exception type that carries
// the full context (what failed, on which file or option, what the system said).
#pragma once

#include <stdexcept>
#include <string>

namespace guestuml {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Throws Error("WHAT: strerror(errno)"); call right after the failing system call.
[[noreturn]] void throw_errno(const std::string& what);

// Throws Error("WHAT: strerror(err)") for an explicit error number.
[[noreturn]] void throw_errno(const std::string& what, int err);

} // namespace guestuml
