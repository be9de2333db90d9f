#include "process_tree.hpp"

#include <boost/filesystem/operations.hpp>
#include <fcntl.h>
#include <map>
#include <sstream>
#include <string>
#include <unistd.h>

namespace fs = boost::filesystem;

namespace guestuml::test {
namespace {

// pid -> (ppid, state) from /proc/PID/stat; comm may hold spaces, so parse after ')'.
std::map<pid_t, std::pair<pid_t, char>> process_table()
{
    std::map<pid_t, std::pair<pid_t, char>> table;
    boost::system::error_code ec;
    for (fs::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos)
            continue;
        const std::string line = read_proc_file((it->path() / "stat").string());
        const auto close = line.rfind(')');
        if (close == std::string::npos)
            continue;
        std::istringstream rest(line.substr(close + 2));
        char state = '?';
        pid_t ppid = 0;
        rest >> state >> ppid;
        table[static_cast<pid_t>(std::stol(name))] = {ppid, state};
    }
    return table;
}

} // namespace

std::string read_proc_file(const std::string& path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd == -1)
        return {};
    std::string text;
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(fd, buffer, sizeof buffer)) > 0)
        text.append(buffer, static_cast<size_t>(n));
    ::close(fd);
    return n == 0 ? text : std::string();
}

std::vector<pid_t> descendants(pid_t pid)
{
    const auto table = process_table();
    std::vector<pid_t> found{pid};
    for (size_t i = 0; i < found.size(); ++i)
        for (const auto& [p, info] : table)
            if (info.first == found[i] && info.second != 'Z')
                found.push_back(p);
    found.erase(found.begin());
    return found;
}

bool process_alive(pid_t pid)
{
    const std::string line = read_proc_file("/proc/" + std::to_string(pid) + "/stat");
    const auto close = line.rfind(')');
    return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

} // namespace guestuml::test
