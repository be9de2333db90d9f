#include "test_images.hpp"

#include "guestuml/error.hpp"
#include "guestuml/run_command.hpp"

#include <fmt/format.h>
#include <fstream>

namespace guestuml::test {

void make_ext4_image(const boost::filesystem::path& image, unsigned size_mb,
                     const boost::filesystem::path& content, const std::string& label)
{
    std::vector<std::string> argv{"mke2fs", "-q", "-F", "-t", "ext4", "-L", label};
    if (!content.empty()) {
        argv.emplace_back("-d");
        argv.push_back(content.string());
    }
    argv.push_back(image.string());
    argv.push_back(fmt::format("{}M", size_mb));
    run_command_checked(argv);
}

void make_xfs_image(const boost::filesystem::path& image, unsigned size_mb, const std::string& label)
{
    run_command_checked({"truncate", "-s", fmt::format("{}M", size_mb), image.string()});
    run_command_checked({"mkfs.xfs", "-q", "-f", "-L", label, image.string()});
}

void make_qcow2_image(const boost::filesystem::path& image, unsigned size_mb)
{
    run_command_checked({"qemu-img", "create", "-q", "-f", "qcow2", image.string(), fmt::format("{}M", size_mb)});
}

void write_file(const boost::filesystem::path& file, const std::string& text)
{
    std::ofstream out(file.string(), std::ios::binary);
    out << text;
    if (!out.flush())
        throw Error(fmt::format("cannot write {}", file.string()));
}

std::string sha256_file(const boost::filesystem::path& file)
{
    const std::string out = run_command_checked({"sha256sum", "--", file.string()});
    return out.substr(0, out.find(' '));
}

} // namespace guestuml::test
