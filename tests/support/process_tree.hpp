// Test helpers to observe host processes through /proc.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace guestuml::test {

// Every live descendant of pid (children, grandchildren, ...), zombies excluded.
std::vector<pid_t> descendants(pid_t pid);

// True while pid exists and is not a zombie.
bool process_alive(pid_t pid);

// The whole of a /proc file such as /proc/PID/stat, or "" if it cannot be
// read: the process may exit between the listing of /proc and the read, and
// the read then fails (ESRCH) where a stream would throw.
std::string read_proc_file(const std::string& path);

} // namespace guestuml::test
