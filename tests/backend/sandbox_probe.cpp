// Runs inside the sandbox UML gets and tries what UML must never do. Prints
// one line per attempt, "NAME denied (why)" or "NAME allowed", for the test to check.
//
// usage: sandbox_probe IMAGE OUTSIDE_FILE TCP_PORT WRITABLE_DIR
#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

void report(const char* name, bool ok, int err)
{
    if (ok)
        std::printf("%s allowed\n", name);
    else
        std::printf("%s denied (%s)\n", name, std::strerror(err));
}

void try_open(const char* name, const char* path, int flags)
{
    int fd = ::open(path, flags | O_CLOEXEC, 0600);
    report(name, fd >= 0, errno);
    if (fd >= 0)
        ::close(fd);
}

void try_connect(const char* name, int family, int port)
{
    int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        report(name, false, errno);
        return;
    }
    int rc;
    if (family == AF_INET) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<unsigned short>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        rc = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    } else {
        sockaddr_in6 a{};
        a.sin6_family = AF_INET6;
        a.sin6_port = htons(static_cast<unsigned short>(port));
        a.sin6_addr = in6addr_loopback;
        rc = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    }
    report(name, rc == 0, errno);
    ::close(fd);
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 5) {
        std::fprintf(stderr, "usage: sandbox_probe IMAGE OUTSIDE_FILE TCP_PORT WRITABLE_DIR\n");
        return 2;
    }
    const int port = std::atoi(argv[3]);
    try_open("write-image", argv[1], O_WRONLY);
    try_open("read-image", argv[1], O_RDONLY);
    try_open("read-outside", argv[2], O_RDONLY);
    try_open("read-etc-shadow", "/etc/shadow", O_RDONLY);
    try_connect("connect-tcp4", AF_INET, port);
    try_connect("connect-tcp6", AF_INET6, port);
    {
        int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0);
        report("socket-netlink", fd >= 0, errno);
    }
    {
        int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        report("socket-unix", fd >= 0, errno);
    }
    {
        pid_t pid = ::fork();
        if (pid == 0) {
            ::execl("/bin/sh", "sh", "-c", "exit 0", static_cast<char*>(nullptr));
            ::_exit(127);
        }
        int status = 0;
        ::waitpid(pid, &status, 0);
        report("exec-host-shell", WIFEXITED(status) && WEXITSTATUS(status) == 0, EACCES);
    }
    const std::string inside = std::string(argv[4]) + "/probe-file";
    try_open("write-own-dir", inside.c_str(), O_WRONLY | O_CREAT | O_TRUNC);
    std::fflush(stdout);
    return 0;
}
