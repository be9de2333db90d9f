#include "read_fd.hpp"

#include <unistd.h>

namespace guestuml::test {

std::string read_until_eof(int fd)
{
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0)
        out.append(buf, static_cast<size_t>(n));
    return out;
}

} // namespace guestuml::test
