// Thin wrappers over the system calls the guest init makes. Each throws
// guestuml::Error naming the call, the path and what the kernel said.
#pragma once

#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace guestuml::init {

// mkdir; an existing directory is fine.
void make_dir(const std::string& path, mode_t mode = 0755);

// symlink(target, link); an existing link (or file) at link is left alone.
void make_symlink(const std::string& target, const std::string& link);

// mount(2) with the given type, flags and data.
void mount_fs(const std::string& source, const std::string& target, const std::string& type,
              unsigned long flags = 0, const std::string& data = {});

// True if path is a mount point whose filesystem type (from /proc/mounts) is type.
bool is_mounted(const std::string& path, const std::string& type);

// The whole file. Throws Error if it cannot be read.
std::string read_file(const std::string& path);

// The whole file, or nullopt if it cannot be read (missing sysfs attribute, say).
std::optional<std::string> try_read_file(const std::string& path);

// Creates or truncates path and writes content.
void write_file(const std::string& path, const std::string& content, mode_t mode = 0644);

// The target of a symbolic link.
std::string read_link(const std::string& path);

// Names in a directory (no "." or ".."), sorted; empty if it does not exist.
std::vector<std::string> list_dir(const std::string& path);

// True if something exists at path (a dangling symlink counts).
bool exists(const std::string& path);

// Milliseconds on the monotonic clock, for step timings.
double monotonic_ms();

} // namespace guestuml::init
