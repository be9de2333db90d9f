// PID 1's duties once guestfsd runs: reap every orphan, turn Ctrl-Alt-Del
// (UML's mconsole "cad") into a clean shutdown, power off when guestfsd ends.
#pragma once

#include "boot_log.hpp"

#include <sys/types.h>

namespace guestuml::init {

// Blocks SIGCHLD, SIGINT and SIGTERM (handled synchronously later) and makes
// Ctrl-Alt-Del send SIGINT to PID 1 instead of rebooting. Call first thing.
void take_over_signals();

// Waits for guestfsd (daemon) to exit, reaping every other child meanwhile. On
// SIGINT or SIGTERM it asks guestfsd to stop (SIGTERM, then SIGKILL after a
// grace period). Then syncs and powers off. Never returns.
[[noreturn]] void supervise_until_power_off(pid_t daemon, const BootLog& log);

// sync(), then power off; never returns.
[[noreturn]] void power_off(const BootLog& log);

} // namespace guestuml::init
