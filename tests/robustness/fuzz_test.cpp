// Hostile input: at least 200 images with corrupted superblocks, partition
// tables and truncations, made by a seeded fuzzer from small images of every
// filesystem the host can make, inspected by stock guestfish on guestuml with a
// time-out. Each run must end with a result or a clear error, none may hang,
// every image must be unchanged (they are opened read-only), nothing may be left.
#include "guestfish_run.hpp"
#include "host_watch.hpp"
#include "test_images.hpp"

#include "guestuml/error.hpp"
#include "guestuml/run_command.hpp"
#include "guestuml/temp_dir.hpp"
#include "guestuml/unique_fd.hpp"

#include <boost/filesystem/operations.hpp>
#include <catch2/catch.hpp>
#include <csignal>
#include <fcntl.h>
#include <fmt/format.h>
#include <random>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = boost::filesystem;
using namespace guestuml;
using namespace guestuml::robustness;
using namespace std::chrono_literals;

namespace {

struct Base {
    std::string kind;
    fs::path path;
};

void sh(const std::string& script) { run_command_checked({"sh", "-ec", script}); }

// One small image per kind, made with the host's tools.
std::vector<Base> make_bases(const fs::path& dir)
{
    const std::string d = dir.string();
    const fs::path content = dir / "content";
    fs::create_directories(content / "etc");
    sh(fmt::format("echo fuzz > '{0}/etc/hostname'; echo 'ID=debian' > '{0}/etc/os-release'", content.string()));
    std::vector<Base> bases = {
        {"ext4", dir / "ext4.img"}, {"ext2", dir / "ext2.img"}, {"xfs", dir / "xfs.img"},
        {"btrfs", dir / "btrfs.img"}, {"vfat", dir / "vfat.img"}, {"swap", dir / "swap.img"},
        {"mbr", dir / "mbr.img"}, {"gpt", dir / "gpt.img"},
    };
    sh(fmt::format("truncate -s 16M {0}/ext4.img && mke2fs -q -F -t ext4 -d {1} {0}/ext4.img", d, content.string()));
    sh(fmt::format("truncate -s 8M {0}/ext2.img && mke2fs -q -F -t ext2 -d {1} {0}/ext2.img", d, content.string()));
    sh(fmt::format("truncate -s 300M {0}/xfs.img && mkfs.xfs -q -f {0}/xfs.img", d));
    sh(fmt::format("truncate -s 128M {0}/btrfs.img && mkfs.btrfs -q -f {0}/btrfs.img", d));
    sh(fmt::format("truncate -s 16M {0}/vfat.img && mkfs.vfat {0}/vfat.img >/dev/null", d));
    sh(fmt::format("truncate -s 8M {0}/swap.img && mkswap {0}/swap.img >/dev/null", d));
    // Partition tables with a filesystem inside (offset 1 MiB).
    sh(fmt::format("truncate -s 24M {0}/mbr.img && printf 'start=2048, size=20480, type=83\\nstart=22528, type=82\\n' "
                   "| sfdisk -q {0}/mbr.img && mke2fs -q -F -t ext4 -d {1} -E offset=1048576 {0}/mbr.img 10M",
                   d, content.string()));
    sh(fmt::format("truncate -s 24M {0}/gpt.img && printf 'label: gpt\\nstart=2048, size=20480\\n' "
                   "| sfdisk -q {0}/gpt.img && mke2fs -q -F -t ext4 -d {1} -E offset=1048576 {0}/gpt.img 10M",
                   d, content.string()));
    return bases;
}

void write_at(int fd, off_t offset, const void* data, size_t size)
{
    if (::pwrite(fd, data, size, offset) != static_cast<ssize_t>(size))
        throw_errno("fuzz: pwrite");
}

// Mutates a sparse copy of base: byte flips in the metadata areas (start and
// end, where superblocks and partition tables live), random sectors, or a truncation.
std::string mutate(const Base& base, const fs::path& out, std::mt19937_64& random)
{
    run_command_checked({"cp", "--sparse=always", base.path.string(), out.string()});
    UniqueFd fd(::open(out.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd)
        throw_errno("fuzz: " + out.string());
    const off_t size = static_cast<off_t>(fs::file_size(out));
    auto pick = [&](off_t lo, off_t hi) { return std::uniform_int_distribution<off_t>(lo, hi - 1)(random); };
    const int strategy = static_cast<int>(pick(0, 3));
    std::string what;
    if (strategy == 0) {
        const int flips = static_cast<int>(pick(1, 65));
        for (int i = 0; i < flips; ++i) {
            // Most flips in the first 128 KiB; some near the end (GPT backup, btrfs/xfs copies).
            const off_t at = pick(0, 8) ? pick(0, std::min<off_t>(size, 131072)) : pick(std::max<off_t>(0, size - 65536), size);
            const unsigned char byte = static_cast<unsigned char>(pick(0, 256));
            write_at(fd.get(), at, &byte, 1);
        }
        what = fmt::format("{} byte flips", flips);
    } else if (strategy == 1) {
        const int sectors = static_cast<int>(pick(1, 5));
        for (int i = 0; i < sectors; ++i) {
            unsigned char junk[512];
            for (auto& b : junk)
                b = static_cast<unsigned char>(pick(0, 256));
            write_at(fd.get(), pick(0, std::min<off_t>(size, 1 << 20) / 512) * 512, junk, sizeof junk);
        }
        what = fmt::format("{} random sectors", sectors);
    } else {
        const off_t length = pick(1, size / 4096) * 4096;
        if (::ftruncate(fd.get(), length) != 0)
            throw_errno("fuzz: truncate");
        const unsigned char byte = static_cast<unsigned char>(pick(0, 256));
        write_at(fd.get(), pick(0, std::min<off_t>(length, 65536)), &byte, 1);
        what = fmt::format("truncated to {} KiB", length / 1024);
    }
    return what;
}

// sda..sdz, sdaa..: the names libguestfs gives the drives, in order.
std::string device_letters(size_t index)
{
    std::string name;
    for (size_t n = index + 1; n > 0; n = (n - 1) / 26)
        name.insert(name.begin(), static_cast<char>('a' + (n - 1) % 26));
    return name;
}

struct Outcome {
    bool finished = false;  // ended within the time-out
    bool ok = false;        // exit status 0
    std::string output;
};

Outcome inspect(const fs::path& work, const std::vector<fs::path>& images, const std::string& label)
{
    const fs::path tmp = work / (label + "-tmp");
    fs::create_directories(tmp);
    std::string script;
    for (const auto& image : images)
        script += fmt::format("add-drive {} readonly:true format:raw\n", image.string());
    // "-": an error (a corrupt filesystem refusing to mount, say) is reported and
    // the script goes on; "ping-daemon" at the end fails only if the appliance died.
    // Each image gets its own mount (the guest kernel parses its superblock or
    // partition table); then inspection as a whole. libguestfs's list_filesystems
    // and inspect_os stop at the first filesystem that refuses to mount (on QEMU
    // too), hence the per-device mounts. "-": an error is reported and the script
    // goes on; the final ping-daemon fails only if the appliance itself died.
    script += "run\n";
    for (size_t i = 0; i < images.size(); ++i)
        script += fmt::format("-mount-ro /dev/sd{} /\n-umount-all\n", device_letters(i));
    script += "-list-filesystems\n-inspect-os\nping-daemon\n";
    GuestfishRun run(tmp, work / (label + ".log"), {}, script);
    Outcome result;
    auto status = run.wait_for(std::chrono::seconds(60 + 10 * images.size()));
    result.finished = status.has_value();
    if (!status) {
        run.signal(SIGKILL);
        run.wait_for(10s);
    }
    result.ok = status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
    result.output = run.output();
    const auto left = wait_for_no_process(tmp.string(), 20s);
    INFO(label << " left: " << join(left));
    CHECK(left.empty());
    for (const auto& f : files_under(tmp)) {
        CHECK(f.rfind("guestuml", 0) != 0);
        CHECK(f.rfind("libguestfs", 0) != 0);
    }
    fs::remove_all(tmp);
    return result;
}

} // namespace

TEST_CASE("200 fuzzed images: a result or a clear error each, no hang, no change, nothing left", "[fuzz]")
{
    const unsigned count = 200, batch = 40;
    const std::uint64_t seed = 0x6775657374756d6c;   // fixed: a failure can be replayed
    std::mt19937_64 random(seed);
    TempDir work("guestuml-fuzz");
    const auto bases = make_bases(work.path());
    const auto sockdirs_before = libguestfs_sockdirs();

    std::vector<fs::path> images;
    std::vector<std::string> sums, descriptions;
    for (unsigned i = 0; i < count; ++i) {
        const Base& base = bases[i % bases.size()];
        images.push_back(work.path() / fmt::format("fuzz{:03}-{}.img", i, base.kind));
        descriptions.push_back(base.kind + ": " + mutate(base, images.back(), random));
        sums.push_back(test::sha256_file(images.back()));
    }

    unsigned results = 0, errors = 0, batch_errors = 0;
    for (unsigned first = 0; first < count; first += batch) {
        const std::vector<fs::path> group(images.begin() + first, images.begin() + std::min(count, first + batch));
        Outcome o = inspect(work.path(), group, fmt::format("batch{}", first));
        INFO("images " << first << ".." << first + group.size() - 1 << ":\n" << o.output);
        REQUIRE(o.finished);   // no hang past the time-out
        if (o.ok) {
            results += static_cast<unsigned>(group.size());
            continue;
        }
        // One image broke the whole appliance: try each alone, so each gets its answer.
        ++batch_errors;
        for (unsigned i = 0; i < group.size(); ++i) {
            Outcome one = inspect(work.path(), {group[i]}, fmt::format("image{}", first + i));
            INFO("image " << first + i << " (" << descriptions[first + i] << "):\n" << one.output);
            REQUIRE(one.finished);
            if (one.ok) {
                ++results;
            } else {
                ++errors;
                // A clear error: libguestfs's own message, not silence.
                CHECK(one.output.find("error") != std::string::npos);
            }
        }
    }
    for (unsigned i = 0; i < count; ++i) {
        INFO(images[i].string());
        CHECK(test::sha256_file(images[i]) == sums[i]);
    }
    CHECK(results + errors == count);
    const auto sockdirs_left = added_since(sockdirs_before, libguestfs_sockdirs());
    INFO("libguestfs socket directories left: " << join(sockdirs_left));
    CHECK(sockdirs_left.empty());
    WARN(fmt::format("{} fuzzed images (seed {:#x}): {} inspected to a result, {} clear errors, {} batches "
                     "retried image by image; no hang, no image changed",
                     count, seed, results, errors, batch_errors));
}
