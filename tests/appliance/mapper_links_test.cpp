// What a settle does in the appliance (appliance/udevadm/mapper_links.cpp),
// on fake sysfs and /dev trees: udev's /dev/mapper links made, a node
// libdevmapper left replaced, a stale link removed, odd entries ignored.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "mapper_links.hpp"

#include "guestuml/temp_dir.hpp"

#include <boost/filesystem/operations.hpp>
#include <fstream>

namespace fs = boost::filesystem;
using guestuml::udevadm::is_settle;
using guestuml::udevadm::make_mapper_links;

namespace {

void write(const fs::path& file, const std::string& text)
{
    fs::create_directories(file.parent_path());
    std::ofstream(file.string(), std::ios::trunc) << text;
}

} // namespace

TEST_CASE("a settle makes udev's /dev/mapper links from sysfs")
{
    guestuml::TempDir dir("guestuml-mapper-test");
    const fs::path sys = dir.path() / "sys/block";
    const fs::path dev = dir.path() / "dev";
    write(sys / "dm-0/dm/name", "vg-root\n");
    write(sys / "dm-0/dev", "253:0\n");
    write(sys / "dm-1/dm/name", "luks-abc\n");
    write(sys / "dm-1/dev", "253:1\n");
    write(sys / "dm-2/dm/name", "bad/name\n");   // never a link outside mapper/
    write(sys / "dm-2/dev", "253:2\n");
    write(sys / "dm-3/dm/name", "no-numbers\n");
    write(sys / "dm-3/dev", "garbage\n");
    write(sys / "vda/dev", "254:0\n");
    // Stand-ins for the nodes devtmpfs and libdevmapper make.
    write(dev / "dm-0", "");
    write(dev / "dm-1", "");
    write(dev / "mapper/luks-abc", "a node libdevmapper made");
    fs::create_symlink("../dm-9", dev / "mapper/gone");

    make_mapper_links(sys.c_str(), dev.c_str());

    CHECK(fs::is_symlink(dev / "mapper/vg-root"));
    CHECK(fs::read_symlink(dev / "mapper/vg-root") == "../dm-0");
    CHECK(fs::is_symlink(dev / "mapper/luks-abc"));
    CHECK(fs::read_symlink(dev / "mapper/luks-abc") == "../dm-1");
    CHECK_FALSE(fs::exists(fs::symlink_status(dev / "mapper/gone")));
    CHECK_FALSE(fs::exists(fs::symlink_status(dev / "mapper/no-numbers")));
    CHECK_FALSE(fs::exists(fs::symlink_status(dev / "mapper/.guestuml-vg-root")));
    CHECK_FALSE(fs::exists(fs::symlink_status(dev / "bad")));

    // A second settle changes nothing.
    make_mapper_links(sys.c_str(), dev.c_str());
    CHECK(fs::read_symlink(dev / "mapper/vg-root") == "../dm-0");

    // No sysfs at all (a chroot without /sys): nothing breaks.
    make_mapper_links((dir.path() / "none").c_str(), dev.c_str());
    CHECK(fs::read_symlink(dev / "mapper/luks-abc") == "../dm-1");
}

TEST_CASE("what counts as a settle")
{
    const char* settle[] = {"udevadm", "settle", nullptr};
    const char* debug_settle[] = {"udevadm", "--debug", "settle", "-E", "/dev/vda", nullptr};
    const char* info[] = {"udevadm", "info", "/dev/vda", nullptr};
    const char* only_name[] = {"settle", nullptr};
    CHECK(is_settle(settle));
    CHECK(is_settle(debug_settle));
    CHECK_FALSE(is_settle(info));
    CHECK_FALSE(is_settle(only_name));
    CHECK_FALSE(is_settle(nullptr));
}
