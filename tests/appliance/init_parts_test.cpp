// Unit tests for the pure parts of guestuml-init: module dependency order,
// boot options, disk naming, signature detection, the LVM configuration.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "boot_options.hpp"
#include "disk_links.hpp"
#include "disk_signatures.hpp"
#include "kernel_modules.hpp"
#include "lvm_md.hpp"

#include "guestuml/error.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <vector>

using namespace guestuml::init;

namespace {

const char* const modules_dep =
    "kernel/drivers/md/dm-mod.ko:\n"
    "kernel/drivers/md/dm-bufio.ko: kernel/drivers/md/dm-mod.ko\n"
    "kernel/drivers/md/dm-snapshot.ko: kernel/drivers/md/dm-bufio.ko kernel/drivers/md/dm-mod.ko\n"
    "kernel/drivers/md/dm-round-robin.ko: kernel/drivers/md/dm-multipath.ko kernel/drivers/md/dm-mod.ko\n"
    "kernel/drivers/md/dm-multipath.ko: kernel/drivers/md/dm-mod.ko\n"
    "kernel/drivers/block/virtio_blk.ko.xz:\n";

const char* const modules_builtin = "kernel/drivers/md/md-mod.ko\nkernel/fs/ext4/ext4.ko\n";

size_t position(const std::vector<std::string>& order, const std::string& path)
{
    return static_cast<size_t>(std::find(order.begin(), order.end(), path) - order.begin());
}

} // namespace

TEST_CASE("module names are normalised like modprobe does")
{
    CHECK(module_name("dm-mod") == "dm_mod");
    CHECK(module_name("kernel/drivers/md/dm-mod.ko") == "dm_mod");
    CHECK(module_name("virtio_blk.ko.xz") == "virtio_blk");
}

TEST_CASE("modules.dep: dependencies load first, each once")
{
    const ModuleIndex index(modules_dep, modules_builtin);
    const auto order = index.load_order({"dm-snapshot", "dm_round_robin", "dm-mod"});
    REQUIRE(order.size() == 5);
    CHECK(order.front() == "kernel/drivers/md/dm-mod.ko");
    CHECK(position(order, "kernel/drivers/md/dm-bufio.ko") < position(order, "kernel/drivers/md/dm-snapshot.ko"));
    CHECK(position(order, "kernel/drivers/md/dm-multipath.ko") <
          position(order, "kernel/drivers/md/dm-round-robin.ko"));
}

TEST_CASE("modules.dep: built-in modules need nothing, unknown ones are errors")
{
    const ModuleIndex index(modules_dep, modules_builtin);
    CHECK(index.is_builtin("md-mod"));
    CHECK(index.knows("md_mod"));
    CHECK(index.load_order({"md-mod", "ext4"}).empty());
    CHECK(index.load_order({"virtio_blk"}) == std::vector<std::string>{"kernel/drivers/block/virtio_blk.ko.xz"});
    CHECK_FALSE(index.knows("no_such_module"));
    CHECK_THROWS_AS(index.load_order({"no_such_module"}), guestuml::Error);
}

TEST_CASE("the real modules.dep of Debian's UML kernel resolves our boot modules")
{
    std::string dep;
    for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/uml/modules"))
        if (std::filesystem::exists(entry.path() / "modules.dep"))
            dep = (entry.path() / "modules.dep").string();
    INFO("user-mode-linux's modules must be installed in /usr/lib/uml/modules");
    FILE* f = std::fopen(dep.c_str(), "r");
    REQUIRE(f != nullptr);
    std::string text;
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;)
        text.append(buf, n);
    std::fclose(f);
    const ModuleIndex index(text, "");
    for (const char* name : {"overlay", "virtio_blk", "dm-mod", "virtio_console", "raid456"})
        CHECK_NOTHROW(index.load_order({name}));
    const auto raid = index.load_order({"raid456"});
    CHECK(position(raid, "kernel/drivers/md/md-mod.ko") < position(raid, "kernel/drivers/md/raid456.ko"));
}

TEST_CASE("boot options come from the kernel command line")
{
    const auto options = parse_boot_options(
        "mem=512M root=/dev/ubda ro guestfs_channel=/dev/ttyS3 TERM=xterm-256color guestfs_verbose=1\n");
    CHECK(options.channel == "/dev/ttyS3");
    CHECK(options.term == "xterm-256color");
    CHECK(options.verbose);
    const auto quiet = parse_boot_options("root=/dev/ubda guestfs_verbose=0");
    CHECK_FALSE(quiet.verbose);
    CHECK(quiet.channel.empty());
    CHECK(quiet.term.empty());
    CHECK_FALSE(quiet.profile);
    const auto profile = parse_boot_options("root=/dev/ubda guestuml_profile=1");
    CHECK(profile.profile);
    CHECK_FALSE(profile.verbose);
    CHECK(profile.lazy_augeas);
    CHECK_FALSE(parse_boot_options("root=/dev/ubda guestuml_lazy_augeas=0").lazy_augeas);
    CHECK(parse_boot_options("guestuml_lazy_augeas=0 guestuml_lazy_augeas=1").lazy_augeas);
    CHECK(profile.vfork);
    const auto no_vfork = parse_boot_options("root=/dev/ubda guestuml_vfork=0");
    CHECK_FALSE(no_vfork.vfork);
    CHECK(no_vfork.lazy_augeas);
    CHECK(profile.replace_ocaml_forks);
    const auto real_ocaml_forks = parse_boot_options("root=/dev/ubda guestuml_ocaml_fork=0");
    CHECK_FALSE(real_ocaml_forks.replace_ocaml_forks);
    CHECK(real_ocaml_forks.answer_listings);
    CHECK_FALSE(parse_boot_options("root=/dev/ubda guestuml_listings=0").answer_listings);
    CHECK(real_ocaml_forks.vfork);
    CHECK(profile.channel_io);
    CHECK_FALSE(parse_boot_options("root=/dev/ubda guestuml_channel_io=0").channel_io);
    CHECK(profile.lazy_libs);
    const auto eager = parse_boot_options("root=/dev/ubda guestuml_lazy_libs=0");
    CHECK_FALSE(eager.lazy_libs);
    CHECK(eager.vfork);
    CHECK(parse_boot_options("guestuml_lazy_libs=0 guestuml_lazy_libs=1").lazy_libs);
}

TEST_CASE("by-path names follow the virtio-uml platform device number")
{
    CHECK(virtio_uml_index("../devices/virtio-uml-cmdline/virtio-uml.0/virtio1/block/vda") == 0);
    CHECK(virtio_uml_index("/sys/devices/virtio-uml-cmdline/virtio-uml.12/virtio5/block/vdc") == 12);
    CHECK_FALSE(virtio_uml_index("../devices/platform/ubd/block/ubda"));
    CHECK_FALSE(virtio_uml_index("/devices/virtio-uml.x/block/vda"));
    CHECK(by_path_name(3) == "virtio-uml-3");
    CHECK(by_path_name(3, 2) == "virtio-uml-3-part2");
}

TEST_CASE("an LVM2 label is found in any of the first four sectors")
{
    std::vector<unsigned char> head(2048, 0);
    CHECK_FALSE(has_lvm_label(head));
    std::memcpy(head.data() + 512, "LABELONE", 8);
    CHECK_FALSE(has_lvm_label(head));   // LABELONE alone is not LVM2
    std::memcpy(head.data() + 512 + 24, "LVM2 001", 8);
    CHECK(has_lvm_label(head));
}

TEST_CASE("MD superblock locations and magic")
{
    const std::uint64_t size = 100ull * 1024 * 1024 + 12345;
    const auto offsets = md_superblock_offsets(size);
    REQUIRE(offsets.size() == 4);
    CHECK(offsets[0] == 0);
    CHECK(offsets[1] == 4096);
    CHECK(offsets[2] == ((size - 8192) & ~std::uint64_t{4095}));
    CHECK(offsets[3] == (size & ~std::uint64_t{65535}) - 65536);
    const unsigned char magic[] = {0xfc, 0x4e, 0x2b, 0xa9};
    const unsigned char other[] = {0xa9, 0x2b, 0x4e, 0xfc};
    CHECK(is_md_magic(magic));
    CHECK_FALSE(is_md_magic(other));
}

TEST_CASE("the LVM configuration works without udev")
{
    const std::string conf = lvm_config_text();
    for (const char* setting : {"use_devicesfile = 0", "obtain_device_list_from_udev = 0", "udev_sync = 0",
                                "udev_rules = 0"})
        CHECK(conf.find(setting) != std::string::npos);
}
