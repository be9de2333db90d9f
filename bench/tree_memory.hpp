// Peak memory of a process tree: the sum of the proportional set sizes (PSS) of
// a process and all its descendants, sampled while it runs. PSS splits shared
// pages among their users, so UML's guest memory file (mapped by each of its
// host processes) and QEMU's guest RAM are each counted once.
#pragma once

#include <sys/types.h>

namespace guestuml::bench {

// The tree's current total PSS in bytes; 0 once the tree is gone.
unsigned long long tree_pss_bytes(pid_t root);

// Runs `sh -c script` (output discarded), sampling its tree every 20 ms.
// Returns the peak total PSS in bytes. Throws Error if the script fails.
unsigned long long peak_tree_pss(const char* script);

} // namespace guestuml::bench
