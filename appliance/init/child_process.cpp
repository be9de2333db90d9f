#include "child_process.hpp"

#include "guestuml/error.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

namespace guestuml::init {

namespace {

std::vector<char*> c_strings(const std::vector<std::string>& strings)
{
    std::vector<char*> out;
    for (const auto& s : strings)
        out.push_back(const_cast<char*>(s.c_str()));
    out.push_back(nullptr);
    return out;
}

// The program file for argv0: itself if it has a '/', else the first executable
// match in env's PATH. (execvpe would search PID 1's own PATH, which the kernel
// does not set.)
std::string find_program(const std::string& argv0, const std::vector<std::string>& env)
{
    if (argv0.find('/') != std::string::npos)
        return argv0;
    std::string path = "/usr/sbin:/usr/bin:/sbin:/bin";
    for (const auto& var : env)
        if (var.rfind("PATH=", 0) == 0)
            path = var.substr(5);
    size_t start = 0;
    while (start <= path.size()) {
        size_t end = path.find(':', start);
        if (end == std::string::npos)
            end = path.size();
        const std::string candidate = path.substr(start, end - start) + "/" + argv0;
        if (::access(candidate.c_str(), X_OK) == 0)
            return candidate;
        start = end + 1;
    }
    return argv0;
}

} // namespace

pid_t spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env)
{
    // Built before fork: the child must not allocate.
    const std::string program = find_program(argv.at(0), env);
    auto c_argv = c_strings(argv);
    auto c_env = c_strings(env);
    const pid_t pid = ::fork();
    if (pid == -1)
        throw_errno(fmt::format("fork for {}", argv.at(0)));
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::execve(program.c_str(), c_argv.data(), c_env.data());
        const char* why = std::strerror(errno);
        ::dprintf(2, "guestuml-init: exec %s: %s\n", program.c_str(), why);
        ::_exit(127);
    }
    return pid;
}

int run(const std::vector<std::string>& argv, const std::vector<std::string>& env)
{
    const pid_t pid = spawn(argv, env);
    int status = 0;
    while (::waitpid(pid, &status, 0) == -1) {
        if (errno != EINTR)
            throw_errno(fmt::format("waitpid for {}", argv.at(0)));
    }
    return status;
}

} // namespace guestuml::init
