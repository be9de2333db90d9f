// Test helpers to observe host processes through /proc.
#pragma once

#include <sys/types.h>
#include <vector>

namespace guestuml::test {

// Every live descendant of pid (children, grandchildren, ...), zombies excluded.
std::vector<pid_t> descendants(pid_t pid);

// True while pid exists and is not a zombie.
bool process_alive(pid_t pid);

} // namespace guestuml::test
