// Small OS-like disk images for the CLI tests, made with mke2fs -d and sfdisk:
// enough of Debian for libguestfs's inspection, a few MB each.
#pragma once

#include <boost/filesystem/path.hpp>
#include <string>
#include <vector>

namespace guestuml::test {

struct FakeDebian {
    std::string hostname = "web1";
    std::string version = "12.5";          // /etc/debian_version
    std::string partition_table = "dos";   // sfdisk label: dos (MBR) or gpt
};

// Writes DIR/NAME: one partition holding an ext4 root of a Debian-like system
// (os-release, hostname, fstab, dpkg status with openssh-server, bash, tzdata).
boost::filesystem::path make_fake_debian(const boost::filesystem::path& dir, const std::string& name,
                                         const FakeDebian& spec = {});

// Writes DIR/NAME: a partitioned disk whose ext4 filesystem holds data, no OS.
boost::filesystem::path make_data_disk(const boost::filesystem::path& dir, const std::string& name);

// Runs argv; throws Error quoting its stderr if it fails.
std::string run_checked(const std::vector<std::string>& argv);

} // namespace guestuml::test
