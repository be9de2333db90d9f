// The appliance builder's lazy stubs (appliance/src/lazy_libraries.cpp):
// guestfsd starts with stubs in place of libtsk, libyara, librpm, libhivex
// and libsystemd, and the first call of one of their functions opens the real
// library. The same calls through the C API, with the stubs and without them
// (guestuml_lazy_libs=0 on the kernel command line), must give the same
// results; the programs guestfsd starts must not see the stubs. librpm is
// first called in a child chrooted into the guest (inspection's Chroot.f),
// where the real library must still come from the appliance.
#include "debian_session.hpp"
#include "tool_run.hpp"

#include "guestuml/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <guestfs.h>
#include <string>

using namespace guestuml::plugin::test;

namespace {

constexpr const char* stubbed[] = {"libtsk.so.", "libyara.so.", "librpm.so.", "libhivex.so.", "libsystemd.so."};

// guestfsd's mapped libraries, one path a line.
std::string guestfsd_libraries(guestfs_h* g)
{
    return guest_shell(g, "grep -o '/[^ ]*\\.so[^ ]*' /proc/$PPID/maps | sort -u");
}

bool maps_real(const std::string& maps, const std::string& soname_prefix)
{
    return maps.find("/x86_64-linux-gnu/" + soname_prefix) != std::string::npos;
}

bool maps_stub(const std::string& maps, const std::string& soname_prefix)
{
    return maps.find("/usr/lib/guestuml/lazy/" + soname_prefix) != std::string::npos;
}

struct LazyView {
    std::string at_start;        // guestfsd's libraries right after launch
    std::string child_path;      // "[LD_LIBRARY_PATH]" as a process guestfsd starts sees it
    std::string walked;          // filesystem_walk of the root: names found among the first entries
    std::string yara_match;      // rule and file of yara_scan's first match
    std::string hivex_error;     // hivex_open of a file that is not a hive
    int journal_open = -1;       // journal_open of a directory without a journal
    std::string after_calls;     // guestfsd's libraries after those calls
};

LazyView lazy_view(const PluginImages& images, const char* append)
{
    const auto handle = launch_debian_ro(images, append);
    guestfs_h* g = handle.get();
    LazyView view;
    view.at_start = guestfsd_libraries(g);
    view.child_path = guest_shell(g, "echo \"[$LD_LIBRARY_PATH]\"");

    guestfs_tsk_dirent_list* entries = guestfs_filesystem_walk(g, "/dev/sda1");
    REQUIRE(entries);
    for (size_t i = 0; i < entries->len; ++i) {
        const std::string name = entries->val[i].tsk_name;
        if (name == "etc" || name == "etc/os-release")
            view.walked += name + ";";
    }
    guestfs_free_tsk_dirent_list(entries);

    guestuml::TempDir dir("guestuml-lazy-test");
    const std::string rules = (dir.path() / "rules.yar").string();
    std::ofstream(rules) << "rule debian_release { strings: $a = \"Debian\" condition: $a }\n";
    REQUIRE(guestfs_yara_load(g, rules.c_str()) == 0);
    guestfs_yara_detection_list* found = guestfs_yara_scan(g, "/etc/os-release");
    REQUIRE(found);
    if (found->len > 0)
        view.yara_match = std::string(found->val[0].yara_rule) + " in " + found->val[0].yara_name;
    guestfs_free_yara_detection_list(found);
    REQUIRE(guestfs_yara_destroy(g) == 0);

    guestfs_set_error_handler(g, nullptr, nullptr);
    CHECK(guestfs_hivex_open(g, "/etc/os-release", -1) == -1);
    view.hivex_error = guestfs_last_error(g) ? guestfs_last_error(g) : "";
    view.journal_open = guestfs_journal_open(g, "/etc");
    if (view.journal_open == 0)
        CHECK(guestfs_journal_close(g) == 0);

    view.after_calls = guestfsd_libraries(g);
    REQUIRE(guestfs_shutdown(g) == 0);
    return view;
}

// The Fedora-like image's applications, which guestfsd lists with librpm in a
// child chrooted into the guest, and guestfsd's libraries afterwards.
std::pair<std::string, std::string> rpm_view(const PluginImages& images, const char* append)
{
    guestuml::test::GuestfsHandle handle(guestfs_create());
    guestfs_h* g = handle.get();
    REQUIRE(g);
    REQUIRE(guestfs_add_drive_opts(g, images.fedora.c_str(), GUESTFS_ADD_DRIVE_OPTS_READONLY, 1,
                                   GUESTFS_ADD_DRIVE_OPTS_FORMAT, "qcow2", -1) == 0);
    if (*append)
        REQUIRE(guestfs_set_append(g, append) == 0);
    REQUIRE(guestfs_launch(g) == 0);
    char** roots = guestfs_inspect_os(g);
    REQUIRE(roots);
    REQUIRE(roots[0]);
    const std::string root = roots[0];
    for (size_t i = 0; roots[i]; ++i)
        std::free(roots[i]);
    std::free(roots);
    REQUIRE(guestfs_mount_ro(g, root.c_str(), "/") == 0);
    guestfs_application2_list* apps = guestfs_inspect_list_applications2(g, root.c_str());
    REQUIRE(apps);
    std::string names;
    for (size_t i = 0; i < apps->len; ++i)
        names += std::string(apps->val[i].app2_name) + ";";
    guestfs_free_application2_list(apps);
    std::string maps = guestfsd_libraries(g);
    REQUIRE(guestfs_shutdown(g) == 0);
    return {names, maps};
}

} // namespace

TEST_CASE("lazy stubs: librpm opened in a child chrooted into the guest comes from the appliance", "[capi]")
{
    apply_guestuml_env();
    const auto images = plugin_images(PLUGIN_IMAGE_DIR);
    const auto [lazy_apps, lazy_maps] = rpm_view(images, "");
    const auto [eager_apps, eager_maps] = rpm_view(images, "guestuml_lazy_libs=0");
    CHECK(lazy_apps == "fedora-release;");
    CHECK(lazy_apps == eager_apps);
    // The child opened it; guestfsd itself still has only the stub.
    INFO(lazy_maps);
    CHECK(maps_stub(lazy_maps, "librpm.so."));
    CHECK_FALSE(maps_real(lazy_maps, "librpm.so."));
}

TEST_CASE("lazy stubs: guestfsd starts without its rare libraries and opens them at first call", "[capi]")
{
    apply_guestuml_env();
    const auto images = plugin_images(PLUGIN_IMAGE_DIR);
    const LazyView lazy = lazy_view(images, "");
    const LazyView eager = lazy_view(images, "guestuml_lazy_libs=0");

    for (const char* soname : stubbed) {
        INFO(soname << "\nlazy, at start:\n" << lazy.at_start << "\nlazy, after:\n" << lazy.after_calls);
        CHECK(maps_stub(lazy.at_start, soname));
        CHECK_FALSE(maps_real(lazy.at_start, soname));
        CHECK_FALSE(maps_stub(eager.at_start, soname));
        CHECK(maps_real(eager.at_start, soname));
    }
    // Called above: each now mapped for real, behind its stub.
    for (const char* soname : {"libtsk.so.", "libyara.so.", "libhivex.so.", "libsystemd.so."}) {
        INFO(soname << "\nlazy, after:\n" << lazy.after_calls);
        CHECK(maps_real(lazy.after_calls, soname));
    }
    // The stubs' own dependencies are what guestfsd no longer loads at start.
    const auto lines = [](const std::string& s) { return std::count(s.begin(), s.end(), '\n'); };
    INFO("libraries at start: lazy " << lines(lazy.at_start) << ", eager " << lines(eager.at_start));
    CHECK(lines(lazy.at_start) + 20 < lines(eager.at_start));

    CHECK(lazy.child_path == "[]");
    CHECK(eager.child_path == "[]");

    CHECK(lazy.walked == "etc;etc/os-release;");
    CHECK(lazy.walked == eager.walked);
    CHECK(lazy.yara_match == "debian_release in /etc/os-release");
    CHECK(lazy.yara_match == eager.yara_match);
    CHECK(lazy.hivex_error.find("hivex") != std::string::npos);
    CHECK(lazy.hivex_error == eager.hivex_error);
    CHECK(lazy.journal_open == eager.journal_open);
}
