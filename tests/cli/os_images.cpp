#include "os_images.hpp"

#include "guestuml/run_command.hpp"

#include "guestuml/error.hpp"

#include <boost/filesystem/fstream.hpp>
#include <boost/filesystem/operations.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

namespace fs = boost::filesystem;

namespace guestuml::test {

namespace {

constexpr int partition_start_sector = 2048;
constexpr int filesystem_mib = 24;

void write_file(const fs::path& path, const std::string& content)
{
    fs::create_directories(path.parent_path());
    fs::ofstream out(path);
    out << content;
    if (!out)
        throw Error("cannot write " + path.string());
}

// Wraps a filesystem image in a disk with one partition at 1 MiB.
fs::path partitioned_disk(const fs::path& dir, const std::string& name, const fs::path& filesystem,
                          const std::string& label)
{
    const auto disk = dir / name;
    const auto size_mib = filesystem_mib + 2;
    run_checked({"truncate", "-s", fmt::format("{}M", size_mib), disk.string()});
    run_checked({"sh", "-c",
                 fmt::format("printf 'label: {}\\nstart={}, type=linux\\n' | sfdisk -q '{}'", label,
                             partition_start_sector, disk.string())});
    run_checked({"dd", "if=" + filesystem.string(), "of=" + disk.string(), "bs=512",
                 fmt::format("seek={}", partition_start_sector), "conv=notrunc", "status=none"});
    fs::remove(filesystem);
    return disk;
}

fs::path ext4_from(const fs::path& tree, const fs::path& image, const std::string& label)
{
    run_checked({"mke2fs", "-q", "-F", "-t", "ext4", "-L", label, "-d", tree.string(), image.string(),
                 fmt::format("{}M", filesystem_mib)});
    return image;
}

} // namespace

std::string run_checked(const std::vector<std::string>& argv)
{
    const auto result = run_command(argv);
    if (!result.succeeded())
        throw Error(fmt::format("{} failed: {}", fmt::join(argv, " "), result.err));
    return result.out;
}

fs::path make_fake_debian(const fs::path& dir, const std::string& name, const FakeDebian& spec)
{
    const auto tree = dir / (name + ".tree");
    fs::remove_all(tree);
    write_file(tree / "etc/os-release",
               "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n"
               "VERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nID=debian\n");
    write_file(tree / "etc/debian_version", spec.version + "\n");
    write_file(tree / "etc/hostname", spec.hostname + "\n");
    write_file(tree / "etc/fstab", "/dev/sda1 / ext4 defaults 0 1\n");
    write_file(tree / "etc/ssh/sshd_config", "PermitRootLogin no\n");
    write_file(tree / "var/lib/dpkg/status",
               "Package: openssh-server\nStatus: install ok installed\nArchitecture: amd64\n"
               "Version: 1:9.2p1-2+deb12u2\nDescription: secure shell (SSH) server\n Long description.\n\n"
               "Package: bash\nStatus: install ok installed\nArchitecture: amd64\n"
               "Version: 5.2.15-2+b2\nDescription: GNU Bourne Again SHell\n\n"
               "Package: tzdata\nStatus: install ok installed\nArchitecture: all\n"
               "Version: 2024a-0+deb12u1\nDescription: time zone and daylight-saving time data\n");
    fs::create_directories(tree / "usr/bin");
    fs::create_directories(tree / "tmp");
    // Inspection reads the architecture from a real binary.
    fs::create_directories(tree / "bin");
    fs::copy_file("/bin/ls", tree / "bin/ls", fs::copy_options::overwrite_existing);
    const auto fs_image = ext4_from(tree, dir / (name + ".fs"), "rootfs");
    fs::remove_all(tree);
    return partitioned_disk(dir, name, fs_image, spec.partition_table);
}

fs::path make_data_disk(const fs::path& dir, const std::string& name)
{
    const auto tree = dir / (name + ".tree");
    fs::remove_all(tree);
    write_file(tree / "data/readme.txt", "just data\n");
    const auto fs_image = ext4_from(tree, dir / (name + ".fs"), "data");
    fs::remove_all(tree);
    return partitioned_disk(dir, name, fs_image, "dos");
}

} // namespace guestuml::test
