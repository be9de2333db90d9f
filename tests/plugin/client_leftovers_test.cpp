#include "client_leftovers.hpp"

#include "guestuml/temp_dir.hpp"
#include "test_images.hpp"

#include <boost/filesystem/operations.hpp>
#include <catch2/catch.hpp>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = boost::filesystem;
using namespace guestuml::plugin;

TEST_CASE("a dead client's socket and overlays go, with their directories once empty", "[unit][client_leftovers]")
{
    guestuml::TempDir dir("guestuml-leftovers-test");
    const fs::path sockdir = dir.path() / "libguestfsAb12Cd", tmpdir = dir.path() / "libguestfsXy34Zw";
    const fs::path busy = dir.path() / "libguestfsBusy01", user = dir.path() / "images";
    for (const auto& d : {sockdir, tmpdir, busy, user})
        fs::create_directory(d);
    for (const auto& f : {sockdir / "guestfsd.sock", tmpdir / "overlay1.qcow2", tmpdir / "overlay2.qcow2",
                          busy / "overlay1.qcow2", busy / "something-else", user / "overlay1.qcow2",
                          user / "disk.img"})
        guestuml::test::write_file(f, "x");

    const auto leftovers =
        client_leftovers({sockdir / "guestfsd.sock", tmpdir / "overlay1.qcow2", tmpdir / "overlay2.qcow2",
                          busy / "overlay1.qcow2", user / "overlay1.qcow2", user / "disk.img", ""});
    CHECK(leftovers.size() == 4);
    remove_client_leftovers(leftovers);

    CHECK_FALSE(fs::exists(sockdir));
    CHECK_FALSE(fs::exists(tmpdir));
    // A directory still holding something is not what we think it is: it stays.
    CHECK_FALSE(fs::exists(busy / "overlay1.qcow2"));
    CHECK(fs::exists(busy / "something-else"));
    // The user's own files, even one named like an overlay, are never touched.
    CHECK(fs::exists(user / "overlay1.qcow2"));
    CHECK(fs::exists(user / "disk.img"));
}

TEST_CASE("a living client is not taken for gone", "[unit][client_leftovers]")
{
    // Our parent (the test runner's shell or ctest) outlives this test.
    const ClientWatch parent;
    CHECK_FALSE(parent.gone_within(std::chrono::milliseconds(50)));
}

TEST_CASE("a client that exits is seen gone", "[unit][client_leftovers]")
{
    // middle plays the client. Its child starts watching it and says so; middle
    // then exits, and the child reports through a pipe (it is no child of ours).
    int report[2];
    REQUIRE(::pipe(report) == 0);
    const pid_t middle = ::fork();
    REQUIRE(middle >= 0);
    if (middle == 0) {
        int watching[2];
        if (::pipe(watching) != 0)
            ::_exit(2);
        if (::fork() == 0) {
            const ClientWatch client;
            const char yes = 1;
            if (::write(watching[1], &yes, 1) != 1)
                ::_exit(2);
            const char seen = client.gone_within(std::chrono::seconds(5)) ? 'y' : 'n';
            ::_exit(::write(report[1], &seen, 1) == 1 ? 0 : 2);
        }
        char yes = 0;
        ::_exit(::read(watching[0], &yes, 1) == 1 ? 0 : 2);
    }
    ::close(report[1]);
    int status = 0;
    REQUIRE(::waitpid(middle, &status, 0) == middle);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    char seen = 0;
    CHECK(::read(report[0], &seen, 1) == 1);
    ::close(report[0]);
    CHECK(seen == 'y');
}
