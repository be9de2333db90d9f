// Stock tools on guestuml whose output is checked against the files the tests
// put into the images (no QEMU run needed), and a writable session.
#include "plugin_images.hpp"
#include "tool_run.hpp"

#include "guestuml/temp_dir.hpp"

#include <boost/filesystem/operations.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

using namespace guestuml::plugin::test;

namespace {

const PluginImages images = plugin_images(PLUGIN_IMAGE_DIR);

std::string on_guestuml(const std::string& command)
{
    const ToolResult r = run_tool(Hypervisor::guestuml, command);
    INFO(command << ": " << r.describe());
    REQUIRE(r.ok());
    return r.out;
}

std::string slurp(const boost::filesystem::path& file)
{
    std::ifstream in(file.string());
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace

TEST_CASE("guestfish -i, virt-cat, virt-tar-out, virt-copy-out, virt-log on guestuml", "[tools]")
{
    const std::string debian = shell_quote(images.debian.string());
    const std::string fedora = shell_quote(images.fedora.string());

    const std::string fish = on_guestuml(fmt::format("guestfish --ro -a {} -i <<'EOF'\nls /etc\ncat /etc/hostname\nEOF", debian));
    CHECK_THAT(fish, Catch::Contains("debian_version"));
    CHECK_THAT(fish, Catch::Contains("debian-test"));

    CHECK(on_guestuml(fmt::format("virt-cat -a {} /home/user/hello.txt", debian)) == "hello from debian-test\n");

    const std::string listing = on_guestuml(fmt::format("virt-tar-out -a {} /home - | tar -tf -", debian));
    CHECK_THAT(listing, Catch::Contains("./user/hello.txt"));

    guestuml::TempDir out("plugin-copy-out");
    on_guestuml(fmt::format("virt-copy-out -a {} /etc/os-release /home {}", fedora, shell_quote(out.path().string())));
    CHECK_THAT(slurp(out.path() / "os-release"), Catch::Contains("ID=fedora"));
    // -i mounts what the guest's fstab says: /home is the btrfs subvolume "home",
    // which hides the xfs root's own /home directory.
    CHECK(slurp(out.path() / "home/readme.txt") == "btrfs subvolume home\n");

    CHECK_THAT(on_guestuml(fmt::format("virt-log -a {}", debian)), Catch::Contains("guestuml test log line"));

    // An OS inside plain LUKS (storage-b alone: its LUKS partition is /dev/sda2), opened by --key.
    // guestfish's cat prints the file and then a newline of its own.
    CHECK(on_guestuml(fmt::format("guestfish --ro --key /dev/sda2:key:{} -a {} -i cat /etc/hostname",
                                  shell_quote(luks_key), shell_quote(images.storage_b.string()))) == "luks-test\n\n");
    CHECK(images_unchanged(images, nullptr));
}

TEST_CASE("a writable session's changes are there in the next session, raw and qcow2", "[tools]")
{
    guestuml::TempDir dir("plugin-writable");
    for (const auto& source : {images.debian, images.fedora}) {
        const auto copy = dir.path() / source.filename();
        boost::filesystem::copy_file(source, copy);
        const std::string disk = shell_quote(copy.string());
        on_guestuml(fmt::format("guestfish -a {} -i write /written.txt 'written by guestuml'", disk));
        CHECK(on_guestuml(fmt::format("guestfish --ro -a {} -i cat /written.txt", disk)) == "written by guestuml\n");
        // qemu-img check only knows formats with metadata (qcow2); a raw file has none to check.
        if (copy.extension() == ".qcow2")
            CHECK(on_guestuml(fmt::format("qemu-img check {} >/dev/null && echo clean", disk)) == "clean\n");
    }
}
