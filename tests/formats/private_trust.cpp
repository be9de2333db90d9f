#include "private_trust.hpp"

#include "guestuml/error.hpp"

#include <boost/filesystem/operations.hpp>
#include <cerrno>
#include <fcntl.h>
#include <fmt/format.h>
#include <pwd.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

namespace fs = boost::filesystem;

namespace guestuml::formats::test {

void enter_private_mount_namespace()
{
    if (::geteuid() != 0)
        throw Error("the https and ssh tests need root: they trust their own CA and ssh keys in a private "
                    "mount namespace, never on the host");
    if (::unshare(CLONE_NEWNS) != 0)
        throw_errno("unshare(CLONE_NEWNS) for the https and ssh tests' private mounts");
    // Without this, the binds below would show up in the host's namespace too.
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        throw_errno("making / private in the tests' mount namespace");
}

fs::path system_ca_bundle() { return "/etc/ssl/certs/ca-certificates.crt"; }

fs::path user_ssh_dir()
{
    const passwd* pw = ::getpwuid(::geteuid());
    if (!pw || !pw->pw_dir)
        throw Error(fmt::format("user {} has no passwd entry, so libssh has no ~/.ssh", ::geteuid()));
    return fs::path(pw->pw_dir) / ".ssh";
}

BindMount::BindMount(const fs::path& source, const fs::path& target) : target_(target)
{
    if (!fs::exists(target)) {
        made_target_ = true;
        if (fs::is_directory(source)) {
            fs::create_directories(target);
            fs::permissions(target, fs::perms::owner_all);
        } else {
            const int fd = ::open(target.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
            if (fd < 0)
                throw_errno(fmt::format("creating {} to bind over", target.string()));
            ::close(fd);
        }
    }
    if (::mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0) {
        const int err = errno;
        if (made_target_)
            fs::remove(target_);
        throw_errno(fmt::format("binding {} over {}", source.string(), target.string()), err);
    }
}

BindMount::~BindMount()
{
    ::umount2(target_.c_str(), MNT_DETACH);
    if (made_target_) {
        boost::system::error_code ec;
        fs::remove(target_, ec);
    }
}

} // namespace guestuml::formats::test
