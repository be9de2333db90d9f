// Every way a session ends leaves nothing behind: no UML or storage daemon
// process, no guestuml temporary file, and the read-only image unchanged.
#include "plugin_images.hpp"
#include "tool_run.hpp"

#include "guestuml/temp_dir.hpp"

#include <boost/filesystem/operations.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <csignal>
#include <guestfs.h>

using namespace guestuml::plugin::test;

namespace {

const PluginImages images = plugin_images(PLUGIN_IMAGE_DIR);

// Starts guestfish on the Debian image with TMPDIR=$D, waits for its appliance,
// then does `action` ($FISH: guestfish's pid, $HV: guestuml-qemu's pid, fd 3:
// guestfish's command input), and reports what is left after up to 15 s.
std::string interrupted_session(const std::string& action)
{
    const std::string script = fmt::format(R"(D=$(mktemp -d /tmp/plugin-shutdown-XXXXXX)
export TMPDIR=$D
mkfifo $D/in
guestfish --ro -a {} <$D/in >$D/out 2>&1 &
FISH=$!
exec 3>$D/in
echo run >&3; echo get-pid >&3; echo 'echo ready' >&3
for i in $(seq 1200); do grep -q ready $D/out && break; sleep 0.1; done
grep -q ready $D/out || {{ echo "appliance not up:"; cat $D/out; kill -9 $FISH; exit 1; }}
HV=$(head -n 1 $D/out)
{}
exec 3>&-
wait $FISH
for i in $(seq 150); do
  left=$(grep -l -s -F "$D" /proc/[0-9]*/cmdline; ls $D | grep guestuml)
  [ -z "$left" ] && break
  sleep 0.1
done
[ -z "$left" ] && echo clean || echo "left behind: $left"
rm -rf $D
)",
                                           shell_quote(images.debian.string()), action);
    const ToolResult r = run_tool(Hypervisor::guestuml, script);
    INFO(r.describe());
    REQUIRE(r.ok());
    return r.out;
}

} // namespace

TEST_CASE("guestfs_shutdown (libguestfs's SIGTERM) and a normal exit leave nothing", "[shutdown]")
{
    CHECK(interrupted_session("echo exit >&3") == "clean\n");
}

TEST_CASE("the client killed with SIGKILL leaves nothing", "[shutdown]")
{
    CHECK(interrupted_session("kill -9 $FISH") == "clean\n");
    CHECK(images_unchanged(images, nullptr));
}

TEST_CASE("the hypervisor terminated under a running session leaves nothing", "[shutdown]")
{
    CHECK(interrupted_session("kill -TERM $HV; echo 'echo after' >&3; echo exit >&3") == "clean\n");
}

TEST_CASE("closing a launched handle without guestfs_shutdown leaves nothing", "[shutdown]")
{
    apply_guestuml_env();
    guestuml::TempDir tmp("plugin-close");
    ::setenv("TMPDIR", tmp.path().c_str(), 1);
    guestfs_h* g = guestfs_create();
    REQUIRE(g);
    REQUIRE(guestfs_add_drive_opts(g, images.debian.c_str(), GUESTFS_ADD_DRIVE_OPTS_READONLY, 1,
                                   GUESTFS_ADD_DRIVE_OPTS_FORMAT, "raw", -1) == 0);
    REQUIRE(guestfs_launch(g) == 0);
    const int hv = guestfs_get_pid(g);
    guestfs_close(g);
    ::unsetenv("TMPDIR");
    CHECK(::kill(hv, 0) == -1);
    bool ours_left = false;
    for (const auto& entry : boost::filesystem::directory_iterator(tmp.path()))
        ours_left |= entry.path().filename().string().starts_with("guestuml");
    CHECK_FALSE(ours_left);
}
