// Integration tests: boot the real appliance (built by the "appliance" fixture)
// under UML and check what guestfsd and the host see.
#include "guestfsd_client.hpp"
#include "cpu_claim.hpp"
#include "guestuml/appliance_cache.hpp"
#include "guestuml/error.hpp"
#include "guestuml/process.hpp"
#include "guestuml/run_command.hpp"
#include "guestuml/temp_dir.hpp"
#include "guestuml/uml_instance.hpp"
#include "guestuml/uml_sandbox.hpp"
#include "guestuml/unique_fd.hpp"
#include "process_tree.hpp"
#include "test_images.hpp"

#include <algorithm>
#include <boost/filesystem/operations.hpp>
#include <catch2/catch.hpp>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sstream>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <thread>
#include <unistd.h>

namespace fs = boost::filesystem;
using namespace guestuml;
using Catch::Matchers::Contains;

namespace {

const ApplianceFiles& appliance()
{
    static const ApplianceFiles files = ensure_appliance(default_appliance_inputs());
    return files;
}

LaunchConfig base_config()
{
    LaunchConfig config;
    config.kernel = appliance().kernel;
    config.root = appliance().root;
    return config;
}

bool eventually(const std::function<bool()>& condition, std::chrono::seconds limit = std::chrono::seconds(10))
{
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return condition();
}

std::string joined(const std::vector<std::string>& lines)
{
    std::string out;
    for (const auto& l : lines)
        out += l + "\n";
    return out;
}

// The Cpus_allowed_list of a host process ("0", "0-1", ...).
std::string cpus_allowed(pid_t pid)
{
    const std::string status = test::read_proc_file(fmt::format("/proc/{}/status", pid));
    const std::string key = "Cpus_allowed_list:\t";
    const auto at = status.find(key);
    REQUIRE(at != std::string::npos);
    return status.substr(at + key.size(), status.find('\n', at) - at - key.size());
}

// True if some process holds the abstract Unix socket @name.
bool abstract_socket_bound(const std::string& name)
{
    return test::read_proc_file("/proc/net/unix").find(" @" + name + "\n") != std::string::npos;
}

// The size in KiB of the largest mapping of pid whose VmFlags carry every flag
// in flags (smaps' two-letter names), or 0.
unsigned long largest_mapping_with(pid_t pid, const std::vector<std::string>& flags)
{
    std::istringstream smaps(test::read_proc_file(fmt::format("/proc/{}/smaps", pid)));
    unsigned long largest = 0, size = 0;
    for (std::string line; std::getline(smaps, line);) {
        if (line.rfind("Size:", 0) == 0)
            size = std::stoul(line.substr(5));
        if (line.rfind("VmFlags:", 0) != 0)
            continue;
        const std::string names = line.substr(8) + " ";
        if (std::all_of(flags.begin(), flags.end(),
                        [&](const std::string& f) { return names.find(" " + f + " ") != std::string::npos; }))
            largest = std::max(largest, size);
    }
    return largest;
}

// How much of the start of the guest's memory (UML's memory file from where its
// kernel process maps it: after the kernel's own image) the host has pages
// for, as a fraction of the first `len` bytes, or of a quarter of the file's
// filesystem's free space if that is less (kernel patch 0011 faults in no more
// than that); -1 if the file or the mapping is not found.
double memory_start_resident(pid_t pid, unsigned long len)
{
    std::istringstream maps(test::read_proc_file(fmt::format("/proc/{}/maps", pid)));
    unsigned long offset = 0, largest = 0;
    for (std::string line; std::getline(maps, line);) {
        if (line.find("/guestuml-memory-") == std::string::npos)
            continue;
        unsigned long start = 0, end = 0, at = 0;
        if (std::sscanf(line.c_str(), "%lx-%lx %*s %lx", &start, &end, &at) == 3 && end - start > largest)
            largest = end - start, offset = at;
    }
    for (const auto& entry : fs::directory_iterator(fmt::format("/proc/{}/fd", pid))) {
        boost::system::error_code ec;
        if (fs::read_symlink(entry.path(), ec).string().find("/guestuml-memory-") == std::string::npos)
            continue;
        UniqueFd fd(::open(entry.path().c_str(), O_RDONLY | O_CLOEXEC));
        struct statfs st {};
        if (!fd || ::fstatfs(fd.get(), &st) != 0)
            return -1;
        const long page = ::sysconf(_SC_PAGESIZE);
        len = std::min<unsigned long>(len, st.f_bavail * st.f_bsize / 4) / page * page;
        if (len == 0 || largest < len)
            return -1;
        void* map = ::mmap(nullptr, len, PROT_READ, MAP_SHARED, fd.get(), static_cast<off_t>(offset));
        if (map == MAP_FAILED)
            return -1;
        std::vector<unsigned char> resident(len / page);
        const bool ok = ::mincore(map, len, resident.data()) == 0;
        ::munmap(map, len);
        if (!ok)
            return -1;
        const auto count = std::count_if(resident.begin(), resident.end(), [](unsigned char r) { return r & 1; });
        return static_cast<double>(count) / static_cast<double>(resident.size());
    }
    return -1;
}

// UML's memory directories on /dev/shm (none when it falls back to the session directory).
std::vector<std::string> shm_memory_dirs()
{
    std::vector<std::string> names;
    if (guestuml::memory_file_parent("") != "/dev/shm")
        return names;
    for (const auto& entry : fs::directory_iterator("/dev/shm"))
        if (const std::string name = entry.path().filename().string(); name.rfind("guestuml-memory-", 0) == 0)
            names.push_back(name);
    std::sort(names.begin(), names.end());
    return names;
}

} // namespace

TEST_CASE("a session over read-only and writable disks", "[integration]")
{
    TempDir dir("guestuml-test");
    const fs::path content = dir.path() / "content";
    fs::create_directory(content);
    test::write_file(content / "hello.txt", "hello\n");
    const fs::path ext4 = dir.path() / "ro-ext4.img", xfs = dir.path() / "ro-xfs.img", rw = dir.path() / "rw-ext4.img";
    test::make_ext4_image(ext4, 32, content);
    test::make_xfs_image(xfs, 300);
    test::make_ext4_image(rw, 32);
    const std::string ext4_sum = test::sha256_file(ext4), xfs_sum = test::sha256_file(xfs);

    LaunchConfig config = base_config();
    config.disks = {{ext4, "", true}, {xfs, "raw", true}, {rw, "raw", false}};
    UmlInstance instance(config);
    const fs::path session = instance.temp_dir();
    CHECK(fs::is_directory(session));

    INFO("console:\n" << joined(instance.console_tail()));
    instance.wait_ready(std::chrono::seconds(60));   // the readiness flag arrived
    test::GuestfsdClient guestfsd(instance.channel_fd());

    // UML runs sandboxed (docs/sandbox.md): its first process is the kernel.
    const auto uml_processes = test::descendants(instance.uml_pid());
    REQUIRE_FALSE(uml_processes.empty());
    const std::string proc = fmt::format("/proc/{}", uml_processes.front());
    const std::string status = test::read_proc_file(proc + "/status");
    CHECK_THAT(status, Contains("NoNewPrivs:\t1"));
    CHECK_THAT(status, Contains("Seccomp:\t2"));
    CHECK(fs::read_symlink(proc + "/ns/net") != fs::read_symlink("/proc/self/ns/net"));
    CHECK_THAT(test::read_proc_file(proc + "/cmdline"), Contains("hostfs=" + (session / "uml" / "hostfs").string()));
    // The host measured the delay loop, so the kernel skipped its calibration.
    CHECK_THAT(test::read_proc_file(proc + "/cmdline"), Contains("lpj="));
    // UML (kernel process and guest processes alike) runs on one claimed CPU.
    const std::string allowed = cpus_allowed(uml_processes.front());
    CHECK(allowed.find_first_of(",-") == std::string::npos);
    for (pid_t pid : uml_processes)
        CHECK(cpus_allowed(pid) == allowed);
    CHECK(abstract_socket_bound(guestuml::CpuClaim::lock_name(std::stoi(allowed))));
    // Without address-space randomisation UML's heap follows its binary, so the
    // guest's memory is what was asked for, with no gap added to it.
    {
        INFO("a seccomp profile that refuses personality(ADDR_NO_RANDOMIZE), as Docker's does, leaves 00000000");
        CHECK(test::read_proc_file(proc + "/personality") == "00040000\n");
    }
    for (const auto& line : instance.console_tail())
        CHECK_THAT(line, !Contains("exec-shield gap"));
    // The minimal kernel keeps its page structures (64 bytes per 4 KiB page,
    // here of most of the guest's memory: the kernel's own image is not
    // counted) in private host memory advised for huge pages ("hg") and not
    // copied into the host processes it forks ("dc"): kernel patch 0010.
    if (kernel_choice() == KernelChoice::minimal) {
        const pid_t kernel = uml_processes.front();
        CHECK(largest_mapping_with(kernel, {"hg", "dc"}) >= config.memory_mb * 1024 / 64 / 2);
        // Without kernel patch 0011 a launch leaves parts of the start of memory
        // untouched (a quarter to a half of some MiB); with it, a host thread has
        // faulted in all of the first 64 MiB (its default; less on a nearly full
        // filesystem) by now, or soon.
        double resident = -1;
        eventually([&] { return (resident = memory_start_resident(kernel, 64ul << 20)) == 1.0; });
        INFO("fraction of the first 64 MiB (or a quarter of the free space) resident: " << resident);
        CHECK(resident == 1.0);
    }

    SECTION("disks appear in order as /dev/sdX; writes stay out of read-only images")
    {
        CHECK(guestfsd.list_devices() == std::vector<std::string>{"/dev/sda", "/dev/sdb", "/dev/sdc"});

        guestfsd.mount("/dev/sda", "/");
        guestfsd.touch("/written-by-the-guest");
        guestfsd.sync();
        guestfsd.umount("/");

        // The sequence UML's own copy-on-write broke: XFS log recovery writes.
        guestfsd.mount("/dev/sdb", "/");
        guestfsd.umount("/");
        guestfsd.mount("/dev/sdb", "/");
        guestfsd.touch("/also-written");
        guestfsd.umount("/");

        guestfsd.mount("/dev/sdc", "/");
        guestfsd.touch("/kept");
        guestfsd.umount("/");

        CHECK(instance.shutdown());   // clean stop: the guest powered off by itself
        CHECK_FALSE(fs::exists(session));
        CHECK(test::sha256_file(ext4) == ext4_sum);
        CHECK(test::sha256_file(xfs) == xfs_sum);
        // The writable image got the guest's write (the storage daemon flushed).
        CHECK_NOTHROW(run_command_checked({"debugfs", "-R", "stat /kept", rw.string()}));
        const auto r = run_command({"debugfs", "-R", "stat /kept", rw.string()});
        CHECK_THAT(r.err + r.out, !Contains("not found"));
    }
}

TEST_CASE("a guest that never becomes ready is killed at the time-out, with the console tail", "[integration]")
{
    LaunchConfig config = base_config();
    // Parameters without '=' become the init's arguments: PID 1 is "sleep 1000".
    config.kernel_args = {"init=/bin/sleep", "1000"};
    UmlInstance instance(config);
    const int uml = instance.uml_pid();
    const auto start = std::chrono::steady_clock::now();
    try {
        // Long enough for the kernel to reach the init on a busy machine.
        instance.wait_ready(std::chrono::seconds(25));
        FAIL("wait_ready returned although the guest cannot be ready");
    } catch (const LaunchError& e) {
        const std::string msg = e.what();
        CHECK_THAT(msg, Contains("not ready after 25.0 s") && Contains("last console lines"));
        CHECK_THAT(msg, Contains("/bin/sleep"));
    }
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(35));
    CHECK(eventually([&] { return !test::process_alive(uml); }));
}

TEST_CASE("a guest whose init fails is reported with the console tail", "[integration]")
{
    LaunchConfig config = base_config();
    config.kernel_args = {"init=/bin/false"};
    UmlInstance instance(config);
    CHECK_THROWS_WITH(instance.wait_ready(std::chrono::seconds(30)),
                      Contains("before guestfsd was ready") && Contains("last console lines") &&
                          Contains("/bin/false"));
}

TEST_CASE("SIGKILL of the owning process leaves no UML process and no temp directory", "[integration]")
{
    // The owner alone, and (as ctest does on a time-out) the owner and every
    // process it started, all at once.
    for (const bool whole_tree : {false, true}) {
        INFO((whole_tree ? "the whole process tree killed" : "the owner killed"));
        TempDir dir("guestuml-test");
        const fs::path disk = dir.path() / "disk.img";
        test::make_ext4_image(disk, 32);
        auto [out_read, out_write] = make_pipe();
        SpawnOptions opts;
        opts.argv = {GUESTUML_INSTANCE_HOLDER, appliance().kernel.string(), appliance().root.string(),
                     "--ro", disk.string(), "--hold"};
        opts.fds = {{out_write.get(), 1}};
        const auto memory_before = shm_memory_dirs();
        Process holder(opts);
        out_write.reset();

        std::string out;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
        while (out.find("ready\n") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
            pollfd p{out_read.get(), POLLIN, 0};
            if (::poll(&p, 1, 1000) <= 0)
                continue;
            char buf[256];
            const ssize_t n = ::read(out_read.get(), buf, sizeof buf);
            if (n <= 0)
                break;
            out.append(buf, static_cast<size_t>(n));
        }
        REQUIRE_THAT(out, Contains("ready\n"));
        const auto temp_at = out.find("temp ");
        const fs::path session = out.substr(temp_at + 5, out.find('\n', temp_at) - temp_at - 5);
        REQUIRE(fs::is_directory(session));
        const auto memory_dirs = shm_memory_dirs();
        if (guestuml::memory_file_parent("") == "/dev/shm")
            REQUIRE(memory_dirs.size() == memory_before.size() + 1);

        const std::vector<pid_t> tree = test::descendants(holder.pid());
        INFO("holder " << holder.pid() << " had " << tree.size() << " descendants");
        REQUIRE(tree.size() >= 3);   // storage daemon, UML's reaper and UML's processes
        // The tree first: after the holder dies, its orphans could be reaped and their pids reused.
        if (whole_tree)
            for (const pid_t pid : tree)
                ::kill(pid, SIGKILL);
        holder.signal(SIGKILL);
        holder.wait();
        CHECK(eventually([&] { return std::none_of(tree.begin(), tree.end(), test::process_alive); }));
        CHECK(eventually([&] { return !fs::exists(session); }));
        CHECK(eventually([&] { return shm_memory_dirs() == memory_before; }));
    }
}
