// The janitor: a tiny orphaned process in its own session that cleans up after
// an owner that was SIGKILLed, even with the owner's whole process tree. It
// reads a pipe only the owner holds; the owner names the processes to kill as it
// starts them and says "clear" when it has cleaned up by itself. EOF without
// "clear" means the owner died: it SIGKILLs every process named and removes the
// session directory, then removes the files of a client process once that
// process has gone too.
#pragma once

#include "guestuml/process.hpp"
#include "guestuml/unique_fd.hpp"

#include <boost/filesystem/path.hpp>
#include <sys/types.h>
#include <vector>

namespace guestuml {

class Janitor {
public:
    // Starts the janitor for session_dir. Call before anything else is spawned.
    explicit Janitor(const boost::filesystem::path& session_dir);
    Janitor(const Janitor&) = delete;
    Janitor& operator=(const Janitor&) = delete;
    // Dismisses the janitor as if clear() had been called.
    ~Janitor();

    // Adds a process to kill; a negative pid names a process group. Never throws.
    void watch(pid_t pid) noexcept;
    // Adds a directory to remove besides the session directory. Never throws.
    void remove(const boost::filesystem::path& dir) noexcept;
    // Files that client_pid would remove itself but cannot if it is killed too:
    // removed, then their directories if left empty, once client_pid has exited
    // (waiting up to 3 s); a client still running keeps them. Never throws.
    void remove_after(pid_t client_pid, const std::vector<boost::filesystem::path>& files) noexcept;
    // Tells the janitor everything is cleaned up, and lets it exit. Never throws.
    void clear() noexcept;
    // Tells the janitor the processes and directories are cleaned up, but
    // leaves it the client's files (remove_after) until this process exits:
    // for an owner that exits next. clear() does nothing after it. Never throws.
    void release() noexcept;

private:
    // Sends "COMMAND PATH", unless the path cannot travel as one line.
    void send_path(const char* command, const boost::filesystem::path& path) noexcept;

    UniqueFd pipe_;   // write end, close-on-exec: EOF reaches the janitor only when we die
    Process process_;
};

} // namespace guestuml
