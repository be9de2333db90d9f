#include "host_watch.hpp"

#include "process_tree.hpp"

#include <algorithm>
#include <boost/filesystem/operations.hpp>
#include <cstdlib>
#include <thread>
#include <unistd.h>

namespace fs = boost::filesystem;

namespace guestuml::robustness {
namespace {

using guestuml::test::read_proc_file;

// Full paths of dir's entries whose names start with prefix (none if dir is unreadable).
std::vector<std::string> entries_starting_with(const fs::path& dir, const std::string& prefix)
{
    std::vector<std::string> out;
    boost::system::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (it->path().filename().string().rfind(prefix, 0) == 0)
            out.push_back(it->path().string());
    return out;
}

} // namespace

std::vector<std::string> processes_mentioning(const std::string& text)
{
    std::vector<std::string> found;
    const std::string self = std::to_string(::getpid());
    boost::system::error_code ec;
    for (fs::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
        const std::string pid = it->path().filename().string();
        if (pid.find_first_not_of("0123456789") != std::string::npos || pid == self)
            continue;
        const std::string stat_line = read_proc_file((it->path() / "stat").string());
        const auto close = stat_line.rfind(')');
        if (close == std::string::npos || close + 2 >= stat_line.size() || stat_line[close + 2] == 'Z')
            continue;
        std::string cmdline = read_proc_file((it->path() / "cmdline").string());
        for (char& c : cmdline)
            if (c == '\0')
                c = ' ';
        if (cmdline.find(text) != std::string::npos)
            found.push_back(pid + ": " + cmdline.substr(0, 200));
    }
    return found;
}

std::vector<std::string> files_under(const fs::path& dir)
{
    std::vector<std::string> out;
    boost::system::error_code ec;
    for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        out.push_back(it->path().lexically_relative(dir).string());
    return out;
}

std::vector<std::string> memory_dirs() { return entries_starting_with("/dev/shm", "guestuml-memory-"); }

std::vector<std::string> libguestfs_sockdirs()
{
    const char* runtime = std::getenv("XDG_RUNTIME_DIR");
    return entries_starting_with(runtime && *runtime ? fs::path(runtime) : fs::path("/tmp"), "libguestfs");
}

std::vector<std::string> added_since(const std::vector<std::string>& before, const std::vector<std::string>& now)
{
    std::vector<std::string> added;
    for (const auto& item : now)
        if (std::find(before.begin(), before.end(), item) == before.end())
            added.push_back(item);
    return added;
}

std::vector<std::string> wait_for_no_process(const std::string& text, std::chrono::seconds limit)
{
    const auto deadline = std::chrono::steady_clock::now() + limit;
    auto left = processes_mentioning(text);
    while (!left.empty() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        left = processes_mentioning(text);
    }
    return left;
}

std::string join(const std::vector<std::string>& items)
{
    std::string out;
    for (const auto& i : items)
        out += (out.empty() ? "" : ", ") + i;
    return out;
}

} // namespace guestuml::robustness
