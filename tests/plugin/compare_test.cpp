// The same stock tools on guestuml and on libguestfs's QEMU path, same images:
// the outputs must be identical, device names included.
#include "plugin_images.hpp"
#include "tool_run.hpp"

#include "guestuml/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <fstream>

using namespace guestuml::plugin::test;

namespace {

const PluginImages images = plugin_images(PLUGIN_IMAGE_DIR);

// Runs the command on both paths; returns the guestuml output after checking they match.
std::string same_on_both(const std::string& command, const std::string& stdin_text = {})
{
    const ToolResult uml = run_tool(Hypervisor::guestuml, command, stdin_text);
    INFO("guestuml: " << uml.describe());
    REQUIRE(uml.ok());
    const ToolResult qemu = run_tool(Hypervisor::qemu, command, stdin_text);
    INFO("qemu: " << qemu.describe());
    REQUIRE(qemu.ok());
    WARN(fmt::format("{}: guestuml {:.1f} s, qemu {:.1f} s", command.substr(0, 60), uml.seconds, qemu.seconds));
    CHECK(uml.out == qemu.out);
    return uml.out;
}

// One guestfish session exercising every kind of storage on the four disks.
constexpr const char* storage_script = R"(run
echo == devices
list-devices
list-partitions
part-get-parttype /dev/sda
part-get-parttype /dev/sdb
part-get-parttype /dev/sdc
part-get-parttype /dev/sdd
blockdev-getsize64 /dev/sdb
echo == filesystems
list-filesystems
echo == lvm
vgs
lvs
pvs
echo == md
list-md-devices
echo == lvm content
mount-ro /dev/vgtest/data /
cat /data.txt
umount-all
vfs-type /dev/vgtest/logs
echo == btrfs
mount-ro /dev/sdb3 /
btrfs-subvolume-list /
cat /home/readme.txt
umount-all
echo == vfat
mount-ro /dev/sdb1 /
ls /
umount-all
echo == swap
vfs-type /dev/sda2
vfs-label /dev/sdd3
echo == inspection
inspect-os
inspect-get-distro /dev/sda1
inspect-get-product-name /dev/sda1
inspect-get-major-version /dev/sda1
inspect-get-minor-version /dev/sda1
inspect-get-hostname /dev/sda1
inspect-get-arch /dev/sda1
inspect-get-package-format /dev/sda1
inspect-get-mountpoints /dev/sda1
inspect-get-filesystems /dev/sda1
inspect-get-distro /dev/sdb2
inspect-get-product-name /dev/sdb2
inspect-get-major-version /dev/sdb2
inspect-get-hostname /dev/sdb2
inspect-get-mountpoints /dev/sdb2
inspect-get-filesystems /dev/sdb2
)";

} // namespace

TEST_CASE("guestfish: disks, partitions, LVM, RAID1, btrfs, vfat, swap, inspection", "[compare]")
{
    guestuml::TempDir dir("plugin-compare");
    const auto script = dir.path() / "storage.gf";
    std::ofstream(script.string()) << storage_script;
    const std::string out = same_on_both(
        fmt::format("guestfish --ro --keys-from-stdin{} -f {}", images.add_options(), shell_quote(script.string())),
        luks_key + "\n");
    CHECK_THAT(out, Catch::Contains("on a logical volume"));
    CHECK_THAT(out, Catch::Contains("/dev/vgtest/logs"));
    CHECK_THAT(out, Catch::Contains("btrfs subvolume home"));
    CHECK_THAT(out, Catch::Contains("/dev/md127"));
    CHECK_THAT(out, Catch::Contains("debian-test"));
    CHECK_THAT(out, Catch::Contains("fedora-test"));
    std::string changed;
    CHECK(images_unchanged(images, &changed));
    INFO(changed);
}

TEST_CASE("virt-inspector: a Debian-like and a Fedora-like root", "[compare]")
{
    const std::string xml = same_on_both(fmt::format("virt-inspector -a {} -a {}", shell_quote(images.debian.string()),
                                                     shell_quote(images.fedora.string())));
    CHECK_THAT(xml, Catch::Contains("<distro>debian</distro>"));
    CHECK_THAT(xml, Catch::Contains("<distro>fedora</distro>"));
    CHECK_THAT(xml, Catch::Contains("<hostname>debian-test</hostname>"));
    CHECK_THAT(xml, Catch::Contains("<name>coreutils</name>"));
    CHECK_THAT(xml, Catch::Contains("<mountpoint dev=\"/dev/sda1\">/</mountpoint>"));
    CHECK(images_unchanged(images, nullptr));
}

TEST_CASE("virt-ls -lR, virt-df, virt-filesystems --all --long", "[compare]")
{
    const std::string ls = same_on_both(fmt::format("virt-ls -lR -a {} /etc", shell_quote(images.debian.string())));
    CHECK_THAT(ls, Catch::Contains("os-release"));
    const std::string df = same_on_both("virt-df" + images.add_options());
    CHECK_THAT(df, Catch::Contains("/dev/vgtest/data"));
    const std::string fss = same_on_both("virt-filesystems --all --long" + images.add_options());
    CHECK_THAT(fss, Catch::Contains("/dev/md127"));
    CHECK(images_unchanged(images, nullptr));
}
