// Owner of one file descriptor: closes it when it goes out of scope.
#pragma once

#include <utility>

namespace guestuml {

class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) noexcept : fd_(fd) {}
    UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept;
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }

    int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }
    // Gives up ownership without closing.
    int release() noexcept { return std::exchange(fd_, -1); }
    // Closes the current descriptor (if any) and takes ownership of fd.
    void reset(int fd = -1) noexcept;

private:
    int fd_ = -1;
};

// A pair of connected descriptors, both close-on-exec.
struct FdPair {
    UniqueFd first;
    UniqueFd second;
};

// pipe2(O_CLOEXEC): first is the read end, second the write end. Throws Error.
FdPair make_pipe();

// socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC). Throws Error.
FdPair make_socketpair();

} // namespace guestuml
