#include "tree_memory.hpp"

#include "guestuml/error.hpp"

#include <algorithm>
#include <chrono>
#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace guestuml::bench {
namespace {

// Parent of every process now alive, from /proc/PID/stat.
std::multimap<pid_t, pid_t> children_by_parent()
{
    std::multimap<pid_t, pid_t> tree;
    DIR* proc = ::opendir("/proc");
    if (!proc)
        throw_errno("opening /proc");
    while (const dirent* entry = ::readdir(proc)) {
        const pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
        if (pid <= 0)
            continue;
        std::ifstream stat(fmt::format("/proc/{}/stat", pid));
        std::string line;
        if (!std::getline(stat, line))
            continue;
        // The command name may hold spaces and parentheses; the fields after
        // its last ')' are " STATE PPID ...".
        const auto close = line.rfind(')');
        if (close == std::string::npos)
            continue;
        std::istringstream rest(line.substr(close + 1));
        char state = 0;
        pid_t parent = 0;
        if (rest >> state >> parent)
            tree.emplace(parent, pid);
    }
    ::closedir(proc);
    return tree;
}

unsigned long long pss_bytes(pid_t pid)
{
    std::ifstream rollup(fmt::format("/proc/{}/smaps_rollup", pid));
    std::string key;
    unsigned long long kib = 0;
    while (rollup >> key) {
        if (key == "Pss:") {
            rollup >> kib;
            return kib * 1024;
        }
        rollup.ignore(4096, '\n');
    }
    return 0;
}

} // namespace

unsigned long long tree_pss_bytes(pid_t root)
{
    const auto tree = children_by_parent();
    unsigned long long total = 0;
    std::vector<pid_t> pending{root};
    while (!pending.empty()) {
        const pid_t pid = pending.back();
        pending.pop_back();
        total += pss_bytes(pid);
        const auto [first, last] = tree.equal_range(pid);
        for (auto it = first; it != last; ++it)
            pending.push_back(it->second);
    }
    return total;
}

unsigned long long peak_tree_pss(const char* script)
{
    const pid_t child = ::fork();
    if (child < 0)
        throw_errno("fork for a memory-sampled benchmark command");
    if (child == 0) {
        const int null = ::open("/dev/null", O_WRONLY);
        ::dup2(null, STDOUT_FILENO);
        ::dup2(null, STDERR_FILENO);
        ::execl("/bin/sh", "sh", "-c", script, static_cast<char*>(nullptr));
        ::_exit(127);
    }
    unsigned long long peak = 0;
    int status = 0;
    for (;;) {
        const pid_t done = ::waitpid(child, &status, WNOHANG);
        if (done == child)
            break;
        if (done < 0)
            throw_errno("waiting for a memory-sampled benchmark command");
        peak = std::max(peak, tree_pss_bytes(child));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw Error(fmt::format("benchmark command failed: {}", script));
    return peak;
}

} // namespace guestuml::bench
