#include "file_lock.hpp"

#include "guestuml/error.hpp"

#include <cerrno>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>

namespace guestuml {

FileLock::FileLock(const boost::filesystem::path& path, const std::function<void()>& on_wait)
    : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644))
{
    if (!fd_)
        throw_errno(fmt::format("open lock file {}", path.string()));
    if (::flock(fd_.get(), LOCK_EX | LOCK_NB) == 0)
        return;
    if (errno != EWOULDBLOCK)
        throw_errno(fmt::format("lock {}", path.string()));
    if (on_wait)
        on_wait();
    while (::flock(fd_.get(), LOCK_EX) == -1)
        if (errno != EINTR)
            throw_errno(fmt::format("lock {}", path.string()));
}

} // namespace guestuml
