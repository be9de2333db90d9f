// What a session leaves on the host, seen from outside: processes that still
// mention a path, files under a directory, guestuml's memory directories.
#pragma once

#include <boost/filesystem/path.hpp>
#include <chrono>
#include <string>
#include <vector>

namespace guestuml::robustness {

// Host processes (not zombies) whose command line contains text, as "PID: CMDLINE".
std::vector<std::string> processes_mentioning(const std::string& text);

// Entries under dir, recursively, as paths relative to dir.
std::vector<std::string> files_under(const boost::filesystem::path& dir);

// /dev/shm/guestuml-memory-* directories (UML's memory files) that exist now.
std::vector<std::string> memory_dirs();

// libguestfs's socket directories (libguestfsXXXXXX in $XDG_RUNTIME_DIR, else
// /tmp) that exist now: guestfs_close() removes its own, guestuml-qemu those of
// a client that died without closing.
std::vector<std::string> libguestfs_sockdirs();

// The items of now that are not in before (what a run left, given two listings).
std::vector<std::string> added_since(const std::vector<std::string>& before, const std::vector<std::string>& now);

// Polls until processes_mentioning(text) is empty or limit passes; returns what is left.
std::vector<std::string> wait_for_no_process(const std::string& text, std::chrono::seconds limit);

// "a, b, c" for failure messages.
std::string join(const std::vector<std::string>& items);

} // namespace guestuml::robustness
