// The by-path listing guestuml-vfork.so writes in guestfsd's child
// (appliance/vfork/by_path_listing.cpp), against GNU ls -1v itself on the same
// directories: byte for byte for guestuml-init's link names, and nothing
// written, so that ls runs, for any other name.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "by_path_listing.hpp"

#include "guestuml/temp_dir.hpp"

#include <boost/filesystem/operations.hpp>
#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <string>
#include <unistd.h>

namespace fs = boost::filesystem;
using guestuml::vfork::write_by_path_listing;

namespace {

// A directory holding links of these names (their targets do not matter).
void make_links(const fs::path& dir, std::initializer_list<const char*> names)
{
    fs::create_directories(dir);
    for (const char* name : names)
        fs::create_symlink("../../nothing", dir / name);
}

std::string ls_v(const fs::path& dir)
{
    const std::string command = "ls -1v '" + dir.string() + "'";
    FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe);
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0)
        out.append(buf, n);
    REQUIRE(::pclose(pipe) == 0);
    return out;
}

// What write_by_path_listing writes for dir, and its status.
std::pair<int, std::string> ours(const fs::path& dir, const fs::path& out_file)
{
    const int fd = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    const int status = write_by_path_listing(dir.c_str(), fd);
    ::close(fd);
    std::ifstream in(out_file.string());
    return {status, std::string(std::istreambuf_iterator<char>(in), {})};
}

} // namespace

TEST_CASE("guestuml-init's by-path links are listed in ls -1v's order")
{
    guestuml::TempDir tmp("guestuml-by-path-test");
    const fs::path dir = tmp.path() / "by-path";
    make_links(dir, {"virtio-uml-10", "virtio-uml-2-part10", "virtio-uml-0", "virtio-uml-2-part9", "virtio-uml-1",
                     "virtio-uml-0-part1", "virtio-uml-2", "virtio-uml-9", "virtio-uml-100", "virtio-uml-11-part2",
                     "virtio-uml-11", "virtio-uml-2-part1", "virtio-uml-123456789-part987654321"});
    const auto [status, text] = ours(dir, tmp.path() / "out");
    CHECK(status == 0);
    CHECK(text == ls_v(dir));
    CHECK(text.rfind("virtio-uml-0\nvirtio-uml-0-part1\nvirtio-uml-1\nvirtio-uml-2\nvirtio-uml-2-part1\n"
                     "virtio-uml-2-part9\nvirtio-uml-2-part10\nvirtio-uml-9\nvirtio-uml-10\n",
                     0) == 0);

    const fs::path empty = tmp.path() / "empty";
    fs::create_directories(empty);
    const auto [empty_status, empty_text] = ours(empty, tmp.path() / "out");
    CHECK(empty_status == 0);
    CHECK(empty_text.empty());
}

TEST_CASE("any other name in by-path leaves the listing to ls")
{
    guestuml::TempDir tmp("guestuml-by-path-test");
    int n = 0;
    for (const char* other : {"virtio-uml-01", "virtio-uml-1-part0", "virtio-uml-1-part01", "virtio-uml-1234567890",
                              "virtio-uml-", "virtio-uml-1-part", "virtio-uml-1-partx", "virtio-uml-1x", ".hidden",
                              "pci-0000:00:04.0", "virtio-uml--1"}) {
        INFO(other);
        const fs::path dir = tmp.path() / std::to_string(++n);
        make_links(dir, {"virtio-uml-0", other});
        const auto [status, text] = ours(dir, tmp.path() / "out");
        CHECK(status == -1);
        CHECK(text.empty());
    }
    const auto [missing_status, missing_text] = ours(tmp.path() / "missing", tmp.path() / "out");
    CHECK(missing_status == -1);
    CHECK(missing_text.empty());
}
