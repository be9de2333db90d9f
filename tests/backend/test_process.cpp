#include "guestuml/error.hpp"
#include "guestuml/process.hpp"
#include "guestuml/unique_fd.hpp"
#include "guestuml/temp_dir.hpp"
#include "process_tree.hpp"
#include "read_fd.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using guestuml::Error;
using guestuml::Process;
using guestuml::SpawnOptions;
using Catch::Matchers::Contains;

namespace {

// Waits up to 5 s for pids to disappear; process teardown takes a moment.
bool all_gone(const std::vector<pid_t>& pids)
{
    for (int i = 0; i < 100; ++i) {
        if (std::none_of(pids.begin(), pids.end(), guestuml::test::process_alive))
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

} // namespace

TEST_CASE("an exec failure is reported with errno", "[process]")
{
    SpawnOptions opts;
    opts.argv = {"/nonexistent/guestuml-test-program"};
    CHECK_THROWS_WITH(Process(opts), Contains("/nonexistent/guestuml-test-program") &&
                                         Contains("No such file or directory"));
    guestuml::TempDir dir("guestuml-test");
    const auto plain = (dir.path() / "not-executable").string();
    std::FILE* f = std::fopen(plain.c_str(), "w");
    REQUIRE(f);
    std::fclose(f);
    opts.argv = {plain};
    CHECK_THROWS_WITH(Process(opts), Contains("not-executable") && Contains("Permission denied"));
}

TEST_CASE("descriptors are mapped and every other one is closed", "[process]")
{
    auto [out_read, out_write] = guestuml::make_pipe();
    auto [side_read, side_write] = guestuml::make_pipe();
    SpawnOptions opts;
    opts.argv = {"/bin/sh", "-c", "echo side >&7; ls /proc/self/fd | sort -n | tr '\\n' ' '"};
    opts.fds = {{out_write.get(), 1}, {side_write.get(), 7}};
    Process proc(opts);
    out_write.reset();
    side_write.reset();
    CHECK(guestuml::test::read_until_eof(side_read.get()) == "side\n");
    // ls itself holds one descriptor (3) on /proc/self/fd while listing.
    CHECK(guestuml::test::read_until_eof(out_read.get()) == "0 1 2 3 7 ");
    const int status = proc.wait();
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("a swapped descriptor mapping does not clobber its sources", "[process]")
{
    auto [a_read, a_write] = guestuml::make_pipe();
    auto [b_read, b_write] = guestuml::make_pipe();
    SpawnOptions opts;
    opts.argv = {"/bin/sh", "-c", "echo A >&4; echo B >&5"};
    // Map the pipes onto each other's numbers in the child.
    const int a = a_write.get(), b = b_write.get();
    opts.fds = {{a, 4}, {b, 5}};
    Process proc(opts);
    a_write.reset();
    b_write.reset();
    CHECK(guestuml::test::read_until_eof(a_read.get()) == "A\n");
    CHECK(guestuml::test::read_until_eof(b_read.get()) == "B\n");
    proc.wait();
}

TEST_CASE("the exit status and describe_wait_status", "[process]")
{
    SpawnOptions opts;
    opts.argv = {"/bin/sh", "-c", "exit 3"};
    Process proc(opts);
    const int status = proc.wait();
    CHECK(guestuml::describe_wait_status(status) == "exited with status 3");
    CHECK_FALSE(proc.running());
}

TEST_CASE("fixed_layout turns address-space randomisation off for the program only", "[process]")
{
    const auto personality_of = [](bool fixed) {
        auto [out_read, out_write] = guestuml::make_pipe();
        SpawnOptions opts;
        opts.argv = {"cat", "/proc/self/personality"};
        opts.fds = {{out_write.get(), 1}};
        opts.contain = true;
        opts.fixed_layout = fixed;
        Process proc(opts);
        out_write.reset();
        const std::string out = guestuml::test::read_until_eof(out_read.get());
        CHECK(proc.wait() == 0);
        return out;
    };
    INFO("a seccomp profile that refuses personality(ADDR_NO_RANDOMIZE), as Docker's does, leaves 00000000");
    CHECK(personality_of(true) == "00040000\n");
    CHECK(personality_of(false) == "00000000\n");
}

TEST_CASE("a contained process runs and reports its exit status through the reaper", "[process]")
{
    SpawnOptions opts;
    opts.argv = {"/bin/sh", "-c", "[ $$ = 2 ] && exit 1; exit 5"};
    opts.contain = true;
    Process proc(opts);
    const int status = proc.wait();
    REQUIRE(WIFEXITED(status));
    // pid 2 inside its own PID namespace (exit 1), or 5 in the process-group fallback.
    CHECK((WEXITSTATUS(status) == 1 || (proc.owns_group() && WEXITSTATUS(status) == 5)));
}

TEST_CASE("killing a contained process kills its grandchildren", "[process]")
{
    auto [ready_read, ready_write] = guestuml::make_pipe();
    SpawnOptions opts;
    opts.argv = {"/bin/sh", "-c", "sleep 600 & sleep 600 & (sleep 600 & wait) & echo up; wait"};
    opts.fds = {{ready_write.get(), 1}};
    opts.contain = true;
    Process proc(opts);
    ready_write.reset();
    char buf[3] = {};
    REQUIRE(::read(ready_read.get(), buf, 3) == 3);
    std::vector<pid_t> tree;
    for (int i = 0; i < 50 && tree.size() < 5; ++i) {
        tree = guestuml::test::descendants(proc.pid());
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    // sh, three sleeps and the subshell (plus sh itself under the reaper).
    REQUIRE(tree.size() >= 5);
    proc.kill();
    CHECK(all_gone(tree));
    CHECK_FALSE(guestuml::test::process_alive(proc.pid()));
}

TEST_CASE("a process that is not contained is still killed and reaped by its owner", "[process]")
{
    pid_t pid = 0;
    {
        SpawnOptions opts;
        opts.argv = {"sleep", "600"};
        Process proc(opts);
        pid = proc.pid();
        CHECK(proc.running());
        CHECK_FALSE(proc.try_wait());
        CHECK_FALSE(proc.wait_for(std::chrono::milliseconds(50)));
    }
    CHECK_FALSE(guestuml::test::process_alive(pid));
}
