#include "guestuml/unique_fd.hpp"

#include "guestuml/error.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace guestuml {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept
{
    if (this != &other)
        reset(other.release());
    return *this;
}

void UniqueFd::reset(int fd) noexcept
{
    if (fd_ >= 0)
        ::close(fd_);
    fd_ = fd;
}

FdPair make_pipe()
{
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) == -1)
        throw_errno("pipe2");
    return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

FdPair make_socketpair()
{
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == -1)
        throw_errno("socketpair");
    return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

} // namespace guestuml
