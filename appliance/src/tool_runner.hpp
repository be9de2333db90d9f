// Runs one of the host tools the builder needs (supermin, mke2fs), with its
// output kept in a log file that errors quote.
#pragma once

#include <boost/filesystem/path.hpp>
#include <string>
#include <vector>

namespace guestuml {

// Runs argv (with extra "NAME=VALUE" environment), stdout and stderr appended to
// log. Throws Error with the exit status and the log's last lines if it fails.
void run_tool(const std::vector<std::string>& argv, const boost::filesystem::path& log,
              const std::vector<std::string>& extra_env = {});

} // namespace guestuml
