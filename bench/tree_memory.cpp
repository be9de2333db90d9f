#include "tree_memory.hpp"

#include "process_tree.hpp"

#include "guestuml/error.hpp"

#include <algorithm>
#include <chrono>
#include <fcntl.h>
#include <fmt/format.h>
#include <fstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace guestuml::bench {
namespace {

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
    unsigned long long total = pss_bytes(root);
    for (const pid_t pid : guestuml::test::descendants(root))
        total += pss_bytes(pid);
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
