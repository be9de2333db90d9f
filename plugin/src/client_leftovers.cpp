#include "client_leftovers.hpp"

#include <cerrno>
#include <poll.h>
#include <regex>
#include <string>
#include <sys/syscall.h>
#include <unistd.h>

namespace guestuml::plugin {
namespace {

// guestfs_int_lazy_make_sockdir and _tmpdir make their directories with
// mkdtemp("libguestfsXXXXXX"); the sockdir holds guestfsd.sock and the tmpdir
// the overlays of read-only drives. Nothing else matches, so a user's own file
// given as a drive is never touched.
bool is_libguestfs_leftover(const boost::filesystem::path& path)
{
    static const std::regex dir_name("libguestfs[A-Za-z0-9]{6}");
    static const std::regex file_name(R"(guestfsd\.sock|overlay[0-9]+\.qcow2)");
    return std::regex_match(path.parent_path().filename().string(), dir_name) &&
           std::regex_match(path.filename().string(), file_name);
}

} // namespace

ClientWatch::ClientWatch() : pidfd_(static_cast<int>(::syscall(SYS_pidfd_open, ::getppid(), 0))) {}

bool ClientWatch::gone_within(std::chrono::milliseconds limit) const
{
    if (!pidfd_)
        return false;
    pollfd p{pidfd_.get(), POLLIN, 0};
    int r;
    do
        r = ::poll(&p, 1, static_cast<int>(limit.count()));
    while (r < 0 && errno == EINTR);
    return r > 0 && (p.revents & POLLIN);
}

std::vector<boost::filesystem::path> client_leftovers(const std::vector<boost::filesystem::path>& paths)
{
    std::vector<boost::filesystem::path> leftovers;
    for (const auto& path : paths)
        if (is_libguestfs_leftover(path))
            leftovers.push_back(path);
    return leftovers;
}

void remove_client_leftovers(const std::vector<boost::filesystem::path>& leftovers) noexcept
{
    for (const auto& path : leftovers)
        ::unlink(path.c_str());
    // rmdir, not a recursive removal: a directory still holding anything is
    // not what we think it is.
    for (const auto& path : leftovers)
        ::rmdir(path.parent_path().c_str());
}

} // namespace guestuml::plugin
