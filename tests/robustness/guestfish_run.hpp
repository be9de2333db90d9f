// Stock guestfish on guestuml, as a child process the tests can signal: its
// script comes on standard input, its output goes to a log file, and it gets a
// TMPDIR of its own so that everything it and guestuml make can be found.
#pragma once

#include "guestuml/process.hpp"

#include <boost/filesystem/path.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace guestuml::robustness {

class GuestfishRun {
public:
    // tmpdir: the session's $TMPDIR; log: where stdout and stderr go (outside tmpdir).
    GuestfishRun(const boost::filesystem::path& tmpdir, const boost::filesystem::path& log,
                 const std::vector<std::string>& args, const std::string& script);

    pid_t pid() const { return process_.pid(); }
    void signal(int sig) { process_.signal(sig); }
    // The wait status, or nullopt if it is still running after limit.
    std::optional<int> wait_for(std::chrono::milliseconds limit) { return process_.wait_for(limit); }
    std::string output() const;

private:
    boost::filesystem::path log_;
    Process process_;
};

// Blocks until path exists or limit passes; true if it exists.
bool wait_for_file(const boost::filesystem::path& path, std::chrono::milliseconds limit);

} // namespace guestuml::robustness
