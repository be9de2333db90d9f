// inspect --expect KEY=VALUE: the CI gate. Keys are the scalar OS fields
// (distro, major_version, hostname...), package=NAME and file=/PATH.
#pragma once

#include "inspection.hpp"

#include <functional>
#include <string>
#include <vector>

namespace guestuml::cli {

struct Expectation {
    std::string key;
    std::string value;
};

// Parses "KEY=VALUE". Throws UsageError for a missing '=', an empty value or an
// unknown key.
Expectation parse_expectation(const std::string& text);

// Answers whether a path exists in the mounted guest.
using FileProbe = std::function<bool(const std::string& path)>;

// One line per unmet expectation ("expected distro=debian, found distro=fedora");
// empty when os meets all of them. package= needs os.applications.
std::vector<std::string> unmet_expectations(const std::vector<Expectation>& expectations,
                                            const OperatingSystem& os, const FileProbe& file_exists);

// Whether any expectation needs the package list, or the guest's files mounted.
bool needs_applications(const std::vector<Expectation>& expectations);
bool needs_files(const std::vector<Expectation>& expectations);

} // namespace guestuml::cli
