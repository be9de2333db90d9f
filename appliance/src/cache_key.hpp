// The appliance cache key: a hash over a description of every input, so that
// any change to the kernel, modules, libguestfs, our helpers or the builder
// itself selects a new appliance directory.
#pragma once

#include "guestuml/appliance_cache.hpp"

#include <string>

namespace guestuml {

// Bump when the builder's output changes for the same inputs.
inline constexpr int appliance_format_version = 2;

// One line per input (sizes, mtimes, content hashes). Throws Error if an input is missing.
std::string describe_appliance_inputs(const ApplianceInputs& inputs);

// 16 hex digits derived from describe_appliance_inputs().
std::string appliance_cache_key(const ApplianceInputs& inputs);

// "MODE SIZE MTIME" of path (not following a symlink). Throws Error if it is missing.
std::string stat_line(const boost::filesystem::path& path);

// 16 hex digits of stable_hash() over the file's bytes. Throws Error if unreadable.
std::string content_hash(const boost::filesystem::path& file);

// FNV-1a 64 of bytes: stable across runs and machines (unlike std::hash).
std::uint64_t stable_hash(std::string_view bytes);

} // namespace guestuml
