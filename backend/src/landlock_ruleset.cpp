#include "landlock_ruleset.hpp"

#include "guestuml/error.hpp"

#include <cerrno>
#include <cstdint>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace guestuml::landlock {
namespace {

// The ABI is stable; Debian 12's headers stop at ABI 2, so the values the
// newer kernels understand are spelled out here.
constexpr long kSysCreateRuleset = 444;
constexpr long kSysAddRule = 445;
constexpr long kSysRestrictSelf = 446;
constexpr unsigned kCreateRulesetVersion = 1;
constexpr int kRulePathBeneath = 1;

constexpr std::uint64_t fs(unsigned bit) { return std::uint64_t{1} << bit; }
constexpr std::uint64_t kExecute = fs(0), kWriteFile = fs(1), kReadFile = fs(2), kReadDir = fs(3);
constexpr std::uint64_t kTruncate = fs(14), kIoctlDev = fs(15);
// Everything a file (not a directory) can be granted.
constexpr std::uint64_t kFileRights = kExecute | kWriteFile | kReadFile | kTruncate | kIoctlDev;

struct RulesetAttr {
    std::uint64_t handled_access_fs;
    std::uint64_t handled_access_net;
    std::uint64_t scoped;
};

struct __attribute__((packed)) PathBeneathAttr {
    std::uint64_t allowed_access;
    std::int32_t parent_fd;
};

std::uint64_t handled_fs(int abi)
{
    std::uint64_t rights = fs(13) - 1; // ABI 1: execute .. make_sym
    if (abi >= 2)
        rights |= fs(13);              // refer
    if (abi >= 3)
        rights |= kTruncate;
    if (abi >= 5)
        rights |= kIoctlDev;
    return rights;
}

void add_rule(int ruleset, const boost::filesystem::path& path, std::uint64_t rights)
{
    UniqueFd fd(::open(path.c_str(), O_PATH | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT)
            return;
        throw_errno(fmt::format("sandbox: opening {}", path.string()));
    }
    struct stat st;
    if (::fstat(fd.get(), &st) == -1)
        throw_errno(fmt::format("sandbox: {}", path.string()));
    PathBeneathAttr attr{S_ISDIR(st.st_mode) ? rights : rights & kFileRights, fd.get()};
    if (::syscall(kSysAddRule, ruleset, kRulePathBeneath, &attr, 0) == -1)
        throw_errno(fmt::format("sandbox: Landlock rule for {}", path.string()));
}

} // namespace

Ruleset make_ruleset(const std::vector<boost::filesystem::path>& read_only,
                     const std::vector<boost::filesystem::path>& read_write, bool deny_tcp)
{
    Ruleset result;
    const long abi = ::syscall(kSysCreateRuleset, nullptr, 0, kCreateRulesetVersion);
    if (abi < 1) {
        result.warning = fmt::format("this kernel has no Landlock ({}): file access is not confined",
                                     errno == ENOSYS ? "Linux 5.13 or later needed" : "disabled at boot");
        return result;
    }
    result.abi = static_cast<int>(abi);

    RulesetAttr attr{handled_fs(result.abi), 0, 0};
    std::size_t size = sizeof attr.handled_access_fs;
    if (result.abi >= 4) {
        attr.handled_access_net = deny_tcp ? 0x3 : 0; // bind and connect on TCP ports
        size += sizeof attr.handled_access_net;
    }
    if (result.abi >= 6) {
        attr.scoped = 0x3;             // abstract unix sockets and signals stay inside
        size += sizeof attr.scoped;
    }
    if (result.abi < 4 && deny_tcp)
        result.warning = fmt::format("Landlock ABI {} cannot confine TCP; the network namespace "
                                     "and the socket filter still apply", result.abi);
    result.fd.reset(static_cast<int>(::syscall(kSysCreateRuleset, &attr, size, 0)));
    if (!result.fd)
        throw_errno("sandbox: creating the Landlock ruleset");

    const std::uint64_t read = kExecute | kReadFile | kReadDir;
    for (const auto& p : read_only)
        add_rule(result.fd.get(), p, read);
    for (const auto& p : read_write)
        add_rule(result.fd.get(), p, attr.handled_access_fs);
    return result;
}

int restrict_self(int ruleset_fd) noexcept
{
    return ::syscall(kSysRestrictSelf, ruleset_fd, 0) == -1 ? errno : 0;
}

} // namespace guestuml::landlock
