// Small disk images for tests, made with the real tools (mke2fs, mkfs.xfs,
// qemu-img). Every function throws guestuml::Error naming the failing command.
#pragma once

#include <boost/filesystem/path.hpp>
#include <cstdint>
#include <string>

namespace guestuml::test {

// A raw ext4 image of size_mb holding a copy of the directory content (may be
// empty: an empty filesystem), labelled label.
void make_ext4_image(const boost::filesystem::path& image, unsigned size_mb,
                     const boost::filesystem::path& content = {}, const std::string& label = "test");

// A raw XFS image of size_mb (at least 300 MB: mkfs.xfs's minimum).
void make_xfs_image(const boost::filesystem::path& image, unsigned size_mb, const std::string& label = "test");

// An empty qcow2 image of virtual size size_mb.
void make_qcow2_image(const boost::filesystem::path& image, unsigned size_mb);

// Writes a small text file (for mke2fs -d content directories).
void write_file(const boost::filesystem::path& file, const std::string& text);

// Hex sha256 of a file's content.
std::string sha256_file(const boost::filesystem::path& file);

} // namespace guestuml::test
