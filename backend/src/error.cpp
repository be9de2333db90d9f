#include "guestuml/error.hpp"

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

namespace guestuml {

void throw_errno(const std::string& what) { throw_errno(what, errno); }

void throw_errno(const std::string& what, int err)
{
    throw Error(fmt::format("{}: {}", what, std::strerror(err)));
}

} // namespace guestuml
