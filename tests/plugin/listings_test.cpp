// guestuml-vfork.so's listings (appliance/vfork/exec_in_child.cpp), answered
// in guestfsd's child without the program where the answer is sure:
// - LVM's (lvm_listing.cpp), while no device carries an LVM label and lvm.conf
//   is guestuml-init's. The same session with every listing run by lvm
//   (guestuml_listings=0) must give the same answers at each step, as LVM is
//   made on a scratch disk, removed and filtered, and lvm must run exactly
//   where the answer needs it: a label on a disk, or an lvm.conf that is not
//   guestuml-init's.
// - /dev/disk/by-path's (by_path_listing.cpp), in ls's version order: twelve
//   disks must map to the same names both ways (a plain sort would put
//   virtio-uml-10 before virtio-uml-2), and ls must run only once a link of
//   another kind is there.
#include "debian_session.hpp"
#include "tool_run.hpp"

#include "guestuml/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fmt/format.h>
#include <guestfs.h>
#include <string>
#include <vector>

using namespace guestuml::plugin::test;

namespace {

constexpr int rounds_counted = 4;

std::string joined(char** list)
{
    REQUIRE(list);
    std::string text;
    for (size_t i = 0; list[i] != nullptr; ++i) {
        text += list[i];
        text += ' ';
        std::free(list[i]);
    }
    std::free(list);
    return text;
}

// One round of guestfsd's three listings.
std::string listings(guestfs_h* g)
{
    return "lvs [" + joined(guestfs_lvs(g)) + "] pvs [" + joined(guestfs_pvs(g)) + "] vgs [" +
           joined(guestfs_vgs(g)) + "]";
}

// How many times lvm ran in one round of listings.
long lvm_runs_per_round(guestfs_h* g)
{
    const long before = program_run_count(g, "lvm");
    for (int i = 0; i < rounds_counted; ++i)
        listings(g);
    return (program_run_count(g, "lvm") - before) / rounds_counted;
}

struct ListingView {
    std::string answers;         // each step's listings
    long without_lvm = 0;        // lvm runs per round: no label anywhere
    long with_pv = 0;            // a physical volume on the scratch disk
    long after_removal = 0;      // everything removed again
    long with_filter = 0;        // a physical volume hidden by lvm_set_filter
    long other_config = 0;       // no label, lvm.conf rewritten by lvm_clear_filter
};

ListingView listing_view(const PluginImages& images, const char* append)
{
    guestuml::TempDir dir("guestuml-lvm-listing");
    const auto handle = launch_debian_ro(images, append, {scratch_disk(dir.path(), "scratch.img", 64)});
    guestfs_h* g = handle.get();
    ListingView view;

    note_program_runs(g, "lvm");
    // guestfsd's first lvs asks lvm for its help text (once per session).
    view.answers = "none: " + listings(g) + "\n";
    view.without_lvm = lvm_runs_per_round(g);

    REQUIRE(guestfs_pvcreate(g, "/dev/sdb") == 0);
    view.answers += "pv: " + listings(g) + "\n";
    view.with_pv = lvm_runs_per_round(g);

    const char* pvs[] = {"/dev/sdb", nullptr};
    REQUIRE(guestfs_vgcreate(g, "VG", const_cast<char**>(pvs)) == 0);
    REQUIRE(guestfs_lvcreate(g, "LV", "VG", 16) == 0);
    view.answers += "lv: " + listings(g) + "\n";

    REQUIRE(guestfs_lvm_remove_all(g) == 0);
    view.answers += "removed: " + listings(g) + "\n";
    view.after_removal = lvm_runs_per_round(g);

    REQUIRE(guestfs_pvcreate(g, "/dev/sdb") == 0);
    const char* only_sda[] = {"/dev/sda", nullptr};
    REQUIRE(guestfs_lvm_set_filter(g, const_cast<char**>(only_sda)) == 0);
    view.answers += "filter: " + listings(g) + "\n";
    view.with_filter = lvm_runs_per_round(g);
    REQUIRE(guestfs_lvm_clear_filter(g) == 0);
    view.answers += "cleared: " + listings(g) + "\n";
    // No label again, but lvm.conf is guestfsd's now, no longer guestuml-init's.
    REQUIRE(guestfs_lvm_remove_all(g) == 0);
    view.answers += "cleared and removed: " + listings(g) + "\n";
    view.other_config = lvm_runs_per_round(g);

    REQUIRE(guestfs_shutdown(g) == 0);
    return view;
}

} // namespace

TEST_CASE("LVM listings: answered without lvm only while there is no LVM, the same answers", "[capi]")
{
    apply_guestuml_env();
    const auto images = plugin_images(PLUGIN_IMAGE_DIR);
    const ListingView answered = listing_view(images, "");
    const ListingView real = listing_view(images, "guestuml_listings=0");

    INFO("answers:\n" << answered.answers);
    CHECK(answered.answers == "none: lvs [] pvs [] vgs []\n"
                              "pv: lvs [] pvs [/dev/sdb ] vgs []\n"
                              "lv: lvs [/dev/VG/LV ] pvs [/dev/sdb ] vgs [VG ]\n"
                              "removed: lvs [] pvs [] vgs []\n"
                              "filter: lvs [] pvs [] vgs []\n"
                              "cleared: lvs [] pvs [/dev/sdb ] vgs []\n"
                              "cleared and removed: lvs [] pvs [] vgs []\n");
    CHECK(answered.answers == real.answers);

    // One lvm per listing, three per round, wherever lvm has to answer: a
    // label on a disk, or an lvm.conf other than guestuml-init's.
    INFO("lvm runs per round: answered " << answered.without_lvm << " " << answered.with_pv << " "
                                          << answered.after_removal << " " << answered.with_filter << ", real "
                                          << real.without_lvm << " " << real.with_pv << " " << real.after_removal
                                          << " " << real.with_filter << "; with guestfsd's lvm.conf: answered "
                                          << answered.other_config << ", real " << real.other_config);
    CHECK(answered.without_lvm == 0);
    CHECK(answered.with_pv == 3);
    CHECK(answered.after_removal == 0);
    CHECK(answered.with_filter == 3);
    CHECK(answered.other_config == 3);
    CHECK(real.without_lvm == 3);
    CHECK(real.with_pv == 3);
    CHECK(real.after_removal == 3);
    CHECK(real.with_filter == 3);
    CHECK(real.other_config == 3);
}

namespace {

struct ByPathView {
    std::string devices;         // list_devices, and the sizes of the last two disks
    long ls_per_list = 0;        // runs of ls per list_devices: only guestuml-init's links
    long ls_with_other_link = 0; // the same with a link of another name there
};

ByPathView by_path_view(const PluginImages& images, const char* append)
{
    guestuml::TempDir dir("guestuml-by-path-listing");
    std::vector<std::string> disks;
    for (int i = 1; i <= 11; ++i)
        disks.push_back(scratch_disk(dir.path(), fmt::format("disk{}.img", i), i));
    const auto handle = launch_debian_ro(images, append, disks);
    guestfs_h* g = handle.get();
    ByPathView view;

    note_program_runs(g, "ls");
    view.devices = joined(guestfs_list_devices(g));
    view.devices += fmt::format("sdk {} MiB, sdl {} MiB", guestfs_blockdev_getsize64(g, "/dev/sdk") >> 20,
                                guestfs_blockdev_getsize64(g, "/dev/sdl") >> 20);
    long before = program_run_count(g, "ls");
    for (int i = 0; i < rounds_counted; ++i)
        joined(guestfs_list_devices(g));
    view.ls_per_list = (program_run_count(g, "ls") - before) / rounds_counted;

    guest_shell(g, "ln -s ../../vdb /dev/disk/by-path/other-link");
    before = program_run_count(g, "ls");
    joined(guestfs_list_devices(g));
    view.ls_with_other_link = program_run_count(g, "ls") - before;

    REQUIRE(guestfs_shutdown(g) == 0);
    return view;
}

} // namespace

TEST_CASE("by-path listing: twelve disks in ls's version order, ls run only for a link of another name",
          "[capi]")
{
    apply_guestuml_env();
    const auto images = plugin_images(PLUGIN_IMAGE_DIR);
    const ByPathView answered = by_path_view(images, "");
    const ByPathView real = by_path_view(images, "guestuml_listings=0");

    // Disk N is the image of N MiB: /dev/sdk the tenth, /dev/sdl the eleventh.
    CHECK(answered.devices == "/dev/sda /dev/sdb /dev/sdc /dev/sdd /dev/sde /dev/sdf /dev/sdg /dev/sdh /dev/sdi "
                              "/dev/sdj /dev/sdk /dev/sdl sdk 10 MiB, sdl 11 MiB");
    CHECK(answered.devices == real.devices);
    INFO("ls runs per list_devices: answered " << answered.ls_per_list << " then " << answered.ls_with_other_link
                                               << ", real " << real.ls_per_list << " then "
                                               << real.ls_with_other_link);
    CHECK(answered.ls_per_list == 0);
    CHECK(answered.ls_with_other_link == 1);
    CHECK(real.ls_per_list == 1);
    CHECK(real.ls_with_other_link == 1);
}
