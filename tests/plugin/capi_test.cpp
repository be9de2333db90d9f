// The libguestfs C API, in this process, on guestuml: two drives, launch,
// inspect, shutdown.
#include "plugin_images.hpp"
#include "tool_run.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <guestfs.h>
#include <memory>

using namespace guestuml::plugin::test;

namespace {

struct HandleCloser {
    void operator()(guestfs_h* g) const noexcept { guestfs_close(g); }
};

std::vector<std::string> take_strings(char** list)
{
    std::vector<std::string> out;
    for (size_t i = 0; list && list[i]; ++i) {
        out.emplace_back(list[i]);
        std::free(list[i]);
    }
    std::free(list);
    return out;
}

std::string take_string(char* s)
{
    std::string out = s ? s : "";
    std::free(s);
    return out;
}

} // namespace

TEST_CASE("C API: two drives, launch, inspect, shutdown", "[capi]")
{
    apply_guestuml_env();
    const auto images = plugin_images(PLUGIN_IMAGE_DIR);
    std::unique_ptr<guestfs_h, HandleCloser> handle(guestfs_create());
    guestfs_h* g = handle.get();
    REQUIRE(g);
    REQUIRE(guestfs_add_drive_opts(g, images.debian.c_str(), GUESTFS_ADD_DRIVE_OPTS_READONLY, 1,
                                   GUESTFS_ADD_DRIVE_OPTS_FORMAT, "raw", -1) == 0);
    REQUIRE(guestfs_add_drive_opts(g, images.fedora.c_str(), GUESTFS_ADD_DRIVE_OPTS_READONLY, 1,
                                   GUESTFS_ADD_DRIVE_OPTS_FORMAT, "qcow2", -1) == 0);
    INFO(take_string(guestfs_get_hv(g)));
    REQUIRE(guestfs_launch(g) == 0);
    CHECK(take_strings(guestfs_list_devices(g)) == std::vector<std::string>{"/dev/sda", "/dev/sdb"});
    const auto roots = take_strings(guestfs_inspect_os(g));
    REQUIRE(roots == std::vector<std::string>{"/dev/sda1", "/dev/sdb2"});
    CHECK(take_string(guestfs_inspect_get_distro(g, "/dev/sda1")) == "debian");
    CHECK(take_string(guestfs_inspect_get_hostname(g, "/dev/sda1")) == "debian-test");
    CHECK(take_string(guestfs_inspect_get_distro(g, "/dev/sdb2")) == "fedora");
    CHECK(guestfs_inspect_get_major_version(g, "/dev/sdb2") == 39);
    REQUIRE(guestfs_shutdown(g) == 0);
    handle.reset();
    CHECK(images_unchanged(images, nullptr));
}
