// A seccomp filter for "no network" where a network namespace is not
// available: socket() works for AF_UNIX only (UML's vhost-user and mconsole
// sockets); other families fail with EAFNOSUPPORT, io_uring (which can make
// sockets itself) and the x32 system calls with ENOSYS. Everything else is allowed.
#pragma once

#include <vector>

namespace guestuml::socket_filter {

// The classic-BPF program, as the bytes of a sock_filter array.
std::vector<unsigned char> program();

// Installs program (no_new_privs must be set). Async-signal-safe; returns 0 or errno.
int install(const std::vector<unsigned char>& program) noexcept;

} // namespace guestuml::socket_filter
