#include "empty_initrd.hpp"

#include "guestuml/error.hpp"

#include <fmt/format.h>
#include <fstream>

namespace guestuml {

std::string empty_newc_cpio()
{
    constexpr std::string_view name = "TRAILER!!!";
    // newc header: magic, then 13 eight-digit hex fields (ino, mode, uid, gid,
    // nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check).
    std::string archive = "070701";
    for (int field = 0; field < 13; ++field) {
        unsigned value = 0;
        if (field == 4)
            value = 1;   // nlink
        if (field == 11)
            value = static_cast<unsigned>(name.size() + 1);   // namesize, with the NUL
        archive += fmt::format("{:08X}", value);
    }
    archive += name;
    archive += '\0';
    while (archive.size() % 4 != 0)
        archive += '\0';
    archive.resize(512, '\0');
    return archive;
}

void write_empty_initrd(const boost::filesystem::path& path)
{
    std::ofstream out(path.string(), std::ios::binary | std::ios::trunc);
    const std::string archive = empty_newc_cpio();
    out.write(archive.data(), static_cast<std::streamsize>(archive.size()));
    if (!out.flush())
        throw Error(fmt::format("cannot write the initrd {}", path.string()));
}

} // namespace guestuml
