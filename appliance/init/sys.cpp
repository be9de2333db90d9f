#include "sys.hpp"

#include "guestuml/error.hpp"
#include "guestuml/unique_fd.hpp"

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sstream>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

namespace guestuml::init {

void make_dir(const std::string& path, mode_t mode)
{
    if (::mkdir(path.c_str(), mode) == -1 && errno != EEXIST)
        throw_errno(fmt::format("mkdir {}", path));
}

void make_symlink(const std::string& target, const std::string& link)
{
    if (::symlink(target.c_str(), link.c_str()) == -1 && errno != EEXIST)
        throw_errno(fmt::format("symlink {} -> {}", link, target));
}

void mount_fs(const std::string& source, const std::string& target, const std::string& type,
              unsigned long flags, const std::string& data)
{
    if (::mount(source.c_str(), target.c_str(), type.empty() ? nullptr : type.c_str(), flags,
                data.empty() ? nullptr : data.c_str()) == -1)
        throw_errno(fmt::format("mount -t {} {} {} ({})", type.empty() ? "none" : type, source,
                                target, data));
}

bool is_mounted(const std::string& path, const std::string& type)
{
    const auto mounts = try_read_file("/proc/mounts");
    if (!mounts)
        return false;
    std::istringstream lines(*mounts);
    std::string source, target, fstype, rest;
    while (lines >> source >> target >> fstype && std::getline(lines, rest)) {
        if (target == path && fstype == type)
            return true;
    }
    return false;
}

std::string read_file(const std::string& path)
{
    auto content = try_read_file(path);
    if (!content)
        throw_errno(fmt::format("read {}", path));
    return std::move(*content);
}

std::optional<std::string> try_read_file(const std::string& path)
{
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
        return std::nullopt;
    std::string content;
    char buf[8192];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n == 0)
            return content;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return std::nullopt;
        }
        content.append(buf, static_cast<size_t>(n));
    }
}

void write_file(const std::string& path, const std::string& content, mode_t mode)
{
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
    if (!fd)
        throw_errno(fmt::format("open {} for writing", path));
    size_t done = 0;
    while (done < content.size()) {
        const ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw_errno(fmt::format("write {}", path));
        }
        done += static_cast<size_t>(n);
    }
}

std::string read_link(const std::string& path)
{
    char buf[4096];
    const ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
    if (n < 0)
        throw_errno(fmt::format("readlink {}", path));
    return std::string(buf, static_cast<size_t>(n));
}

std::vector<std::string> list_dir(const std::string& path)
{
    std::vector<std::string> names;
    DIR* dir = ::opendir(path.c_str());
    if (!dir)
        return names;
    while (const dirent* entry = ::readdir(dir)) {
        const std::string name = entry->d_name;
        if (name != "." && name != "..")
            names.push_back(name);
    }
    ::closedir(dir);
    std::sort(names.begin(), names.end());
    return names;
}

bool exists(const std::string& path)
{
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
}

double monotonic_ms()
{
    timespec ts;
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

} // namespace guestuml::init
