// An exclusive flock() on a lock file, held for the object's lifetime.
#pragma once

#include "guestuml/unique_fd.hpp"

#include <boost/filesystem/path.hpp>
#include <functional>

namespace guestuml {

class FileLock {
public:
    // Creates path if needed and locks it, waiting for any other holder; calls
    // on_wait once first if the lock is busy. Throws Error.
    explicit FileLock(const boost::filesystem::path& path, const std::function<void()>& on_wait = {});

private:
    UniqueFd fd_;   // closing it releases the lock
};

} // namespace guestuml
