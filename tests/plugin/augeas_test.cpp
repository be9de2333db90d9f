// guestuml-augeas.so (appliance/augeas/) must not change what Augeas gives a
// caller: the same calls through the C API on the Debian-like root, with the
// preload and without it (guestuml_lazy_augeas=0 on the kernel command line),
// must see the same trees.
#include "debian_session.hpp"
#include "tool_run.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <guestfs.h>
#include <map>
#include <string>

using namespace guestuml::plugin::test;

namespace {

// aug-init's flags, as in augeas.h.
constexpr int aug_save_noop = 1 << 4;
constexpr int aug_no_load = 1 << 5;

// Every node under a path expression, path -> value ("(none)" for a node without one).
using Tree = std::map<std::string, std::string>;

Tree dump(guestfs_h* g, const char* expr)
{
    Tree tree;
    char** paths = guestfs_aug_match(g, expr);
    REQUIRE(paths);
    for (size_t i = 0; paths[i]; ++i) {
        // A node without a value is an error for aug_get; the error handler is off.
        char* value = guestfs_aug_get(g, paths[i]);
        tree[paths[i]] = value ? value : "(none)";
        std::free(value);
        std::free(paths[i]);
    }
    std::free(paths);
    return tree;
}

// The first few paths where two trees differ, for the failure message.
std::string differences(const Tree& a, const Tree& b)
{
    std::string out;
    int shown = 0;
    auto note = [&](const std::string& path, const char* what) {
        if (shown++ < 10)
            out += path + ": " + what + "\n";
    };
    for (const auto& [path, value] : a) {
        const auto it = b.find(path);
        if (it == b.end())
            note(path, ("only with the preload: " + value).c_str());
        else if (it->second != value)
            note(path, (value + " with the preload, " + it->second + " without").c_str());
    }
    for (const auto& [path, value] : b)
        if (a.count(path) == 0)
            note(path, ("only without the preload: " + value).c_str());
    return out;
}

struct AugeasView {
    PreloadPlacement preload;
    Tree load_entries;               // /augeas/load after aug-init with AUG_NO_LOAD
    Tree inspection_files;           // /files and /augeas/files after inspection's sequence
    Tree everything;                 // /files and /augeas/files after loading every file
};

AugeasView augeas_view(const PluginImages& images, const char* append)
{
    const auto handle = launch_debian_ro(images, append);
    guestfs_h* g = handle.get();
    guestfs_set_error_handler(g, nullptr, nullptr);

    AugeasView view;
    view.preload = preload_placement(g, "guestuml-augeas");

    REQUIRE(guestfs_aug_init(g, "/", aug_no_load) == 0);
    view.load_entries = dump(g, "/augeas/load//*");
    REQUIRE(guestfs_aug_close(g) == 0);

    // What libguestfs's inspection does for /etc/fstab (daemon/inspect_utils.ml).
    REQUIRE(guestfs_aug_init(g, "/", aug_save_noop | aug_no_load) == 0);
    REQUIRE(guestfs_aug_rm(g, "/augeas/load/*[ \"/etc/fstab/\" !~ regexp('^') + glob(incl) + regexp('/.*') ]") > 0);
    REQUIRE(guestfs_aug_load(g) == 0);
    view.inspection_files = dump(g, "/files//*");
    view.inspection_files.merge(dump(g, "/augeas/files//*"));
    view.inspection_files.merge(dump(g, "/augeas/load//*"));
    REQUIRE(guestfs_aug_close(g) == 0);

    REQUIRE(guestfs_aug_init(g, "/", aug_no_load) == 0);
    REQUIRE(guestfs_aug_load(g) == 0);
    view.everything = dump(g, "/files//*");
    view.everything.merge(dump(g, "/augeas/files//*"));
    REQUIRE(guestfs_aug_close(g) == 0);

    REQUIRE(guestfs_shutdown(g) == 0);
    return view;
}

} // namespace

TEST_CASE("Augeas: the same trees with and without the lazy-lens preload", "[capi]")
{
    apply_guestuml_env();
    const auto images = plugin_images(PLUGIN_IMAGE_DIR);
    const AugeasView lazy = augeas_view(images, "");
    const AugeasView full = augeas_view(images, "guestuml_lazy_augeas=0");

    // The preload is in guestfsd only, and only when asked for.
    CHECK(lazy.preload.guestfsd_maps != "0");
    CHECK(full.preload.guestfsd_maps == "0");
    CHECK(lazy.preload.child_preload == "[]");

    // Every module's transform, with the same lens and globs.
    CHECK(lazy.load_entries.size() > 500);
    CHECK(lazy.load_entries.at("/augeas/load/Fstab/lens") == "@Fstab");
    INFO(differences(lazy.load_entries, full.load_entries));
    CHECK(lazy.load_entries == full.load_entries);

    // Only Fstab's transform is left, and the file parses the same.
    CHECK(lazy.inspection_files.at("/files/etc/fstab/1/spec") == "LABEL=debian-root");
    CHECK(lazy.inspection_files.at("/augeas/files/etc/fstab/lens") == "@Fstab");
    CHECK(lazy.inspection_files.count("/augeas/load/Hosts/lens") == 0);
    INFO(differences(lazy.inspection_files, full.inspection_files));
    CHECK(lazy.inspection_files == full.inspection_files);

    // Loading every file compiles every module it needs, on demand.
    CHECK(lazy.everything.at("/files/etc/hostname/hostname") == "debian-test");
    INFO(differences(lazy.everything, full.everything));
    CHECK(lazy.everything == full.everything);
    CHECK(images_unchanged(images, nullptr));
}
