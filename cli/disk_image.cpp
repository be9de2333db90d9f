#include "disk_image.hpp"

#include "commands.hpp"
#include "guestuml/run_command.hpp"

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <regex>
#include <sys/stat.h>
#include <unistd.h>

namespace guestuml::cli {

namespace {

constexpr long long sector_size = 512;

std::string first_line(const std::string& text)
{
    const auto end = text.find('\n');
    return text.substr(0, end);
}

} // namespace

DiskImage probe_disk_image(const std::string& path)
{
    struct stat st {};
    if (::stat(path.c_str(), &st) == -1)
        throw UsageError(fmt::format("{}: {}", path, std::strerror(errno)));
    if (S_ISDIR(st.st_mode))
        throw UsageError(fmt::format("{}: is a directory, not a disk image", path));
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
        throw UsageError(fmt::format("{}: not a regular file or block device", path));
    if (::access(path.c_str(), R_OK) == -1)
        throw UsageError(fmt::format("{}: {}", path, std::strerror(errno)));
    if (S_ISREG(st.st_mode) && st.st_size == 0)
        throw UsageError(fmt::format("{}: is empty (0 bytes), not a disk image", path));

    const auto info = run_command({"qemu-img", "info", "--output=json", path});
    if (!info.succeeded())
        throw UsageError(fmt::format("{}: not a disk image: {}", path, first_line(info.err)));
    static const std::regex format_field(R"re("format"\s*:\s*"([^"]+)")re");
    std::smatch match;
    if (!std::regex_search(info.out, match, format_field))
        throw UsageError(fmt::format("{}: qemu-img did not report an image format", path));
    DiskImage image{path, match[1].str()};
    // Any file "is" a raw image to qemu; a raw disk is made of whole sectors, so a
    // stray size means a text file or an archive was passed by mistake.
    if (image.format == "raw" && S_ISREG(st.st_mode) && st.st_size % sector_size != 0)
        throw UsageError(fmt::format(
            "{}: not a disk image ({} bytes is not a whole number of {}-byte sectors, "
            "and qemu-img recognises no image format)",
            path, static_cast<long long>(st.st_size), sector_size));
    return image;
}

} // namespace guestuml::cli
