// A private temporary directory, removed with everything in it when its owner
// goes out of scope.
#pragma once

#include <boost/filesystem/path.hpp>
#include <string>

namespace guestuml {

class TempDir {
public:
    // Creates DIR/PREFIX-XXXXXX (mode 0700) under parent, or under $TMPDIR
    // (else /tmp) when parent is empty. Throws Error.
    explicit TempDir(const std::string& prefix = "guestuml",
                     const boost::filesystem::path& parent = {});
    TempDir(TempDir&& other) noexcept;
    TempDir& operator=(TempDir&&) = delete;
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir();

    const boost::filesystem::path& path() const noexcept { return path_; }
    // Removes the directory now; later calls do nothing. Never throws.
    void remove() noexcept;

private:
    boost::filesystem::path path_;
};

} // namespace guestuml
