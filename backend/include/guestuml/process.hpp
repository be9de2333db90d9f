// A supervised child process: spawned with exactly the descriptors it should
// see, killed (with everything it started) and reaped when its owner lets go.
#pragma once

#include "guestuml/unique_fd.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace guestuml {

class Sandbox;

struct SpawnOptions {
    std::vector<std::string> argv;             // argv[0] is looked up in PATH if it has no '/'
    std::vector<std::string> extra_env;        // "NAME=VALUE" added to (or replacing in) our environment
    // (parent fd, child fd) pairs; every other descriptor is closed in the child.
    // Child fd 0 is /dev/null and fds 1, 2 are inherited, unless mapped here.
    std::vector<std::pair<int, int>> fds;
    // Runs the program as pid 2 of a new PID namespace under a tiny reaper, so that
    // killing the process also kills every process it started. Falls back to a
    // process group where namespaces are not permitted.
    bool contain = false;
    // The child gets SIGKILL (the reaper SIGTERM) when the spawning thread dies.
    bool die_with_parent = true;
    // Starts the child in a session of its own (setsid), out of reach of the
    // terminal's signals. Ignored with contain.
    bool new_session = false;
    // Applied in the child just before exec (not owned; must outlive the constructor call).
    const Sandbox* sandbox = nullptr;
    // Runs the child, and everything it starts, on this one CPU (-1: wherever the
    // scheduler likes). Best effort: a refusal leaves the child unpinned.
    int cpu = -1;
    // Execs with address-space randomisation off (personality ADDR_NO_RANDOMIZE).
    bool fixed_layout = false;
};

class Process {
public:
    Process() = default;
    // Forks and execs. Throws Error if the program cannot be started (the exec
    // failure is reported back from the child, with errno).
    explicit Process(const SpawnOptions& options);
    Process(Process&& other) noexcept;
    Process& operator=(Process&& other) noexcept;
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;
    // Kills (SIGKILL) and reaps if still running.
    ~Process();

    pid_t pid() const noexcept { return pid_; }
    // A pidfd that becomes readable when the process exits (for poll()).
    int exit_fd() const noexcept { return pidfd_.get(); }
    bool running() const noexcept { return pid_ > 0 && !status_; }
    // True when the process leads a process group of its own that signals reach
    // (the contain fallback where PID namespaces are not permitted).
    bool owns_group() const noexcept { return own_group_; }

    // Sends sig to the process (and, when contained in a process group, to the group).
    void signal(int sig) noexcept;
    // SIGKILL to the process and everything it started, then reaps. Never throws.
    void kill() noexcept;
    // Reaps if it has exited; returns the wait status, or nullopt if still running.
    std::optional<int> try_wait();
    // Waits up to timeout; returns the wait status, or nullopt on time-out.
    std::optional<int> wait_for(std::chrono::milliseconds timeout);
    // Waits without limit and returns the wait status.
    int wait();

private:
    pid_t pid_ = -1;
    bool own_group_ = false;
    UniqueFd pidfd_;
    std::optional<int> status_;
};

// "exited with status 3", "killed by signal 9 (Killed)".
std::string describe_wait_status(int status);

} // namespace guestuml
