// Test helper: everything a descriptor yields until end of file.
#pragma once

#include <string>

namespace guestuml::test {

// Reads fd until end of file (or a read error) and returns what it read.
std::string read_until_eof(int fd);

} // namespace guestuml::test
