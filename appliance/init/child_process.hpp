// Starting programs from PID 1: the child gets a clean signal mask and exactly
// the environment given.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace guestuml::init {

// Forks and execs argv[0] (looked up in env's PATH) with env. Throws Error if
// fork fails; an exec failure shows as exit status 127.
pid_t spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env);

// spawn() and wait for that child; returns its wait status.
int run(const std::vector<std::string>& argv, const std::vector<std::string>& env);

} // namespace guestuml::init
