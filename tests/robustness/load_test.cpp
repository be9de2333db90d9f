// Load: twice as many concurrent sessions as there are cores, first on
// distinct images, then all on the same read-only image. Every one must succeed
// and leave nothing behind.
#include "guestfish_run.hpp"
#include "host_watch.hpp"
#include "test_images.hpp"

#include "guestuml/run_command.hpp"
#include "guestuml/temp_dir.hpp"

#include <boost/filesystem/operations.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <memory>
#include <sys/wait.h>
#include <thread>

namespace fs = boost::filesystem;
using namespace guestuml;
using namespace guestuml::robustness;
using namespace std::chrono_literals;

namespace {

fs::path make_image(const fs::path& dir, unsigned n)
{
    const fs::path content = dir / fmt::format("content{}", n), image = dir / fmt::format("disk{}.img", n);
    fs::create_directories(content);
    run_command_checked({"sh", "-c", fmt::format("echo image-{} > '{}/name'", n, content.string())});
    run_command_checked({"truncate", "-s", "32M", image.string()});
    run_command_checked({"mke2fs", "-q", "-F", "-t", "ext4", "-d", content.string(), image.string()});
    return image;
}

// Starts every session at once, waits for all, checks each read its own image.
void run_concurrently(const fs::path& work, const std::vector<fs::path>& images, const std::vector<unsigned>& expect,
                      const std::string& label)
{
    std::vector<std::unique_ptr<GuestfishRun>> runs;
    for (size_t i = 0; i < images.size(); ++i) {
        const fs::path tmp = work / fmt::format("{}-tmp{}", label, i);
        fs::create_directories(tmp);
        runs.push_back(std::make_unique<GuestfishRun>(
            tmp, work / fmt::format("{}-{}.log", label, i), std::vector<std::string>{},
            fmt::format("add-drive {} readonly:true format:raw\nrun\nmount-ro /dev/sda /\ncat /name\n",
                        images[i].string())));
    }
    for (size_t i = 0; i < runs.size(); ++i) {
        const auto status = runs[i]->wait_for(300s);
        INFO(label << " session " << i << ":\n" << runs[i]->output());
        REQUIRE(status);
        CHECK(WIFEXITED(*status));
        CHECK(WEXITSTATUS(*status) == 0);
        CHECK(runs[i]->output().find(fmt::format("image-{}", expect[i])) != std::string::npos);
        const fs::path tmp = work / fmt::format("{}-tmp{}", label, i);
        const auto left = wait_for_no_process(tmp.string(), 20s);
        INFO("left: " << join(left));
        CHECK(left.empty());
        // guestuml's files only: libguestfs keeps its qemu probe cache in $TMPDIR/.guestfs-UID.
        for (const auto& f : files_under(tmp))
            CHECK(f.rfind("guestuml", 0) != 0);
    }
}

} // namespace

TEST_CASE("2x cores concurrent sessions, on distinct images and on one read-only image", "[load]")
{
    const unsigned sessions = 2 * std::max(1u, std::thread::hardware_concurrency());
    TempDir work("guestuml-load");
    std::vector<fs::path> distinct;
    std::vector<std::string> sums;
    std::vector<unsigned> ids;
    for (unsigned i = 0; i < sessions; ++i) {
        distinct.push_back(make_image(work.path(), i));
        sums.push_back(test::sha256_file(distinct.back()));
        ids.push_back(i);
    }

    run_concurrently(work.path(), distinct, ids, "distinct");
    run_concurrently(work.path(), std::vector<fs::path>(sessions, distinct[0]), std::vector<unsigned>(sessions, 0),
                     "shared");

    for (unsigned i = 0; i < sessions; ++i)
        CHECK(test::sha256_file(distinct[i]) == sums[i]);
    WARN(fmt::format("{} concurrent sessions on distinct images and {} on one image all succeeded", sessions,
                     sessions));
}
