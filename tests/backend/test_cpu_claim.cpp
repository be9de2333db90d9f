#include "cpu_claim.hpp"
#include "guestuml/process.hpp"
#include "guestuml/unique_fd.hpp"
#include "read_fd.hpp"

#include <catch2/catch.hpp>
#include <sched.h>
#include <set>
#include <thread>
#include <unistd.h>
#include <vector>

using guestuml::CpuClaim;
using guestuml::Process;
using guestuml::SpawnOptions;

namespace {

cpu_set_t allowed_cpus()
{
    cpu_set_t set;
    CPU_ZERO(&set);
    REQUIRE(::sched_getaffinity(0, sizeof set, &set) == 0);
    return set;
}

// What a child spawned with these options reports as its Cpus_allowed_list.
std::string child_cpus(SpawnOptions opts)
{
    auto [out_read, out_write] = guestuml::make_pipe();
    opts.argv = {"sh", "-c", "grep Cpus_allowed_list /proc/self/status | cut -f2"};
    opts.fds = {{out_write.get(), 1}};
    Process child(opts);
    out_write.reset();
    std::string out = guestuml::test::read_until_eof(out_read.get());
    REQUIRE(child.wait() == 0);
    return out;
}

} // namespace

TEST_CASE("CPU claims are exclusive and end with their owner", "[cpu]")
{
    const cpu_set_t allowed = allowed_cpus();
    const int cpus = CPU_COUNT(&allowed);
    if (cpus < 2)
        FAIL("this test needs a machine with at least two CPUs; this process may use " << cpus);

    // Claim until none is left: each claim a different CPU, one per CPU.
    std::vector<CpuClaim> held;
    std::set<int> seen;
    while (auto claim = CpuClaim::claim_free()) {
        CHECK(seen.insert(claim->cpu()).second);
        held.push_back(std::move(*claim));
        REQUIRE(held.size() <= static_cast<size_t>(cpus));
    }
    // Another guestuml appliance on the machine may hold some; this test holds the rest.
    REQUIRE_FALSE(held.empty());

    const int released = held.front().cpu();
    held.erase(held.begin());
    const auto again = CpuClaim::claim_free();
    REQUIRE(again);
    CHECK(again->cpu() == released);
}

TEST_CASE("no claim when only one CPU may be used: there is nothing to choose", "[cpu]")
{
    // Affinity is per thread: narrow a thread's, not the test's (Catch's
    // assertions stay on the main thread).
    std::optional<CpuClaim> claim;
    int pinned = -1;
    std::thread one_cpu([&] {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(::sched_getcpu(), &set);
        pinned = ::sched_setaffinity(0, sizeof set, &set);
        claim = CpuClaim::claim_free();
    });
    one_cpu.join();
    REQUIRE(pinned == 0);
    CHECK_FALSE(claim);
}

TEST_CASE("a spawned process runs on the CPU it was given, contained or not", "[cpu][process]")
{
    const cpu_set_t set = allowed_cpus();
    if (CPU_COUNT(&set) < 2)
        FAIL("this test needs a machine with at least two CPUs");
    int last = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
        if (CPU_ISSET(cpu, &set))
            last = cpu;

    SpawnOptions opts;
    CHECK(child_cpus(opts) != std::to_string(last) + "\n");   // unpinned: more than one
    opts.cpu = last;
    CHECK(child_cpus(opts) == std::to_string(last) + "\n");
    opts.contain = true;   // through the reaper: the program itself is its grandchild
    CHECK(child_cpus(opts) == std::to_string(last) + "\n");
}
