#include "guestuml/process.hpp"
#include "guestuml/temp_dir.hpp"
#include "guestuml/unique_fd.hpp"
#include "janitor.hpp"
#include "read_fd.hpp"

#include <boost/filesystem/operations.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <poll.h>
#include <string>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace fs = boost::filesystem;
using namespace guestuml;

namespace {

[[noreturn]] void run_owner(const fs::path& session, const fs::path& extra_dir, int report_fd);

// Forks an owner that starts a janitor for session, a process that would
// outlive it (no parent-death signal, its own session) and a process group,
// names both to the janitor, writes their pids and waits to be killed.
pid_t start_owner(const fs::path& session, const fs::path& extra_dir, int report_fd)
{
    const pid_t owner = ::fork();
    if (owner != 0)
        return owner;
    try {
        run_owner(session, extra_dir, report_fd);
    } catch (...) {
    }
    ::_exit(1);
}

// The owner's life: everything it starts is named to its janitor, then it waits.
void run_owner(const fs::path& session, const fs::path& extra_dir, int report_fd)
{
    Janitor janitor(session);
    janitor.remove(extra_dir);
    SpawnOptions opts;
    opts.argv = {"sleep", "300"};
    opts.die_with_parent = false;
    opts.new_session = true;
    Process lone(opts);
    Process group_leader(opts);
    janitor.watch(lone.pid());
    janitor.watch(-group_leader.pid());
    const std::string pids = std::to_string(lone.pid()) + " " + std::to_string(group_leader.pid()) + "\n";
    (void)!::write(report_fd, pids.data(), pids.size());
    ::close(report_fd);
    for (;;)
        ::pause();
}

bool exits_within(int pidfd, std::chrono::seconds limit)
{
    pollfd p{pidfd, POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(std::chrono::milliseconds(limit).count())) == 1;
}

} // namespace

TEST_CASE("the janitor kills what its SIGKILLed owner named and removes its directories", "[janitor]")
{
    TempDir parent("guestuml-janitor-test");
    const fs::path session = parent.path() / "session", extra = parent.path() / "memory";
    fs::create_directories(session / "uml");
    fs::create_directories(extra);
    auto [report_read, report_write] = make_pipe();
    const pid_t owner = start_owner(session, extra, report_write.get());
    REQUIRE(owner > 0);
    report_write.reset();
    // The owner's children are running and named once it has written their pids.
    const std::string line = test::read_until_eof(report_read.get());
    pid_t lone = 0, leader = 0;
    REQUIRE(std::sscanf(line.c_str(), "%d %d", &lone, &leader) == 2);
    // pidfds first: once the janitor kills them, init reaps them and the pids may be reused.
    UniqueFd lone_fd(static_cast<int>(::syscall(SYS_pidfd_open, lone, 0)));
    UniqueFd leader_fd(static_cast<int>(::syscall(SYS_pidfd_open, leader, 0)));
    REQUIRE(lone_fd);
    REQUIRE(leader_fd);

    ::kill(owner, SIGKILL);
    int status = 0;
    REQUIRE(::waitpid(owner, &status, 0) == owner);
    CHECK(exits_within(lone_fd.get(), std::chrono::seconds(10)));
    CHECK(exits_within(leader_fd.get(), std::chrono::seconds(10)));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while ((fs::exists(session) || fs::exists(extra)) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK_FALSE(fs::exists(session));
    CHECK_FALSE(fs::exists(extra));
}

TEST_CASE("a dismissed janitor leaves everything alone", "[janitor]")
{
    TempDir dir("guestuml-janitor-test");
    SpawnOptions opts;
    opts.argv = {"sleep", "300"};
    opts.die_with_parent = false;
    Process lone(opts);
    {
        Janitor janitor(dir.path());
        janitor.watch(lone.pid());
        janitor.clear();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(lone.running());
    CHECK_FALSE(lone.try_wait());
    CHECK(fs::exists(dir.path()));
}

namespace {

// Forks an owner whose janitor is told client's files; it reports and waits to
// be killed.
pid_t start_client_owner(const fs::path& session, pid_t client, const fs::path& file, int report_fd)
{
    const pid_t owner = ::fork();
    if (owner != 0)
        return owner;
    try {
        Janitor janitor(session);
        janitor.remove_after(client, {file});
        (void)!::write(report_fd, "named\n", 6);
        ::close(report_fd);
        for (;;)
            ::pause();
    } catch (...) {
    }
    ::_exit(1);
}

// Starts an owner naming client's file, waits until it has, and SIGKILLs it.
void kill_owner_of(const fs::path& session, pid_t client, const fs::path& file)
{
    auto [report_read, report_write] = make_pipe();
    const pid_t owner = start_client_owner(session, client, file, report_write.get());
    REQUIRE(owner > 0);
    report_write.reset();
    REQUIRE(test::read_until_eof(report_read.get()) == "named\n");
    ::kill(owner, SIGKILL);
    int status = 0;
    REQUIRE(::waitpid(owner, &status, 0) == owner);
}

} // namespace

TEST_CASE("a SIGKILLed owner's client files go once the client has exited, not before", "[janitor]")
{
    TempDir parent("guestuml-janitor-test");
    const fs::path client_dir = parent.path() / "libguestfsAb12Cd", file = client_dir / "guestfsd.sock";
    fs::create_directories(client_dir);
    { std::ofstream(file.string()) << "x"; }
    const pid_t client = ::fork();
    REQUIRE(client >= 0);
    if (client == 0) {
        ::pause();
        ::_exit(0);
    }

    // The janitor waits up to 3 s for the client, then leaves a running client's files alone.
    kill_owner_of(parent.path() / "session1", client, file);
    std::this_thread::sleep_for(std::chrono::milliseconds(4000));
    CHECK(fs::exists(file));

    // A client that has exited, even one not reaped yet (a zombie), is gone.
    ::kill(client, SIGKILL);
    kill_owner_of(parent.path() / "session2", client, file);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (fs::exists(client_dir) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK_FALSE(fs::exists(file));
    CHECK_FALSE(fs::exists(client_dir));
    int status = 0;
    CHECK(::waitpid(client, &status, 0) == client);
}
