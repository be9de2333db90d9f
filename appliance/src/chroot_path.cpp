#include "chroot_path.hpp"

#include "guestuml/error.hpp"

#include <algorithm>
#include <boost/filesystem/operations.hpp>
#include <fmt/format.h>

namespace fs = boost::filesystem;

namespace guestuml {

fs::path chroot_path(const fs::path& root, const fs::path& guest_path)
{
    // Guest path resolved so far, always absolute and free of symlinks.
    fs::path resolved = "/";
    std::vector<fs::path> pending(guest_path.begin(), guest_path.end());
    std::reverse(pending.begin(), pending.end());
    int links = 0;
    while (!pending.empty()) {
        const fs::path part = pending.back();
        pending.pop_back();
        if (part == "/" || part == "." || part.empty())
            continue;
        if (part == "..") {
            resolved = resolved.has_parent_path() ? resolved.parent_path() : fs::path("/");
            continue;
        }
        const fs::path candidate = resolved / part;
        const fs::path host = root / candidate.relative_path();
        if (!fs::is_symlink(host)) {
            resolved = candidate;
            continue;
        }
        if (++links > 40)
            throw Error(fmt::format("too many symlinks resolving {} in {}", guest_path.string(),
                                    root.string()));
        const fs::path target = fs::read_symlink(host);
        if (target.is_absolute())
            resolved = "/";
        std::vector<fs::path> parts(target.begin(), target.end());
        for (auto it = parts.rbegin(); it != parts.rend(); ++it)
            pending.push_back(*it);
    }
    return root / resolved.relative_path();
}

} // namespace guestuml
