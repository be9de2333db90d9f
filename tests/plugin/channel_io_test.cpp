// guestuml-channel-io.so (appliance/channel_io/) carries guestfsd's I/O on its
// channel and its clock readings with fewer system calls. With the preload and
// without it (guestuml_channel_io=0 on the kernel command line) the same bytes
// must cross both ways, also at offsets; an upload guestfsd cancels and a download the library
// cancels must each end in an error and leave guestfsd serving; a loop timed
// with the clock the preload carries forward (`debug device_speed`) must last
// as long as asked; and progress messages must still come, in order, ending
// at 100 %.
#include "debian_session.hpp"
#include "tool_run.hpp"

#include "guestuml/temp_dir.hpp"

#include <boost/filesystem/operations.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <guestfs.h>
#include <iterator>
#include <random>
#include <string>
#include <vector>

using namespace guestuml::plugin::test;
namespace fs = boost::filesystem;

namespace {

constexpr std::size_t transfer_bytes = 48u << 20;

struct Progress {
    int events = 0;
    bool in_order = true;
    uint64_t last_position = 0, last_total = 0;
};

void on_progress(guestfs_h*, void* opaque, uint64_t, int, int, const char*, size_t, const uint64_t* array,
                 size_t array_len)
{
    // array: proc_nr, serial, position, total (guestfs-internals).
    if (array_len < 4)
        return;
    auto* p = static_cast<Progress*>(opaque);
    if (p->events > 0 && array[2] < p->last_position)
        p->in_order = false;
    ++p->events;
    p->last_position = array[2];
    p->last_total = array[3];
}

std::string file_bytes(const fs::path& file)
{
    std::ifstream in(file.string(), std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct ChannelView {
    PreloadPlacement preload;
    std::string guest_sha256;     // of the disk the data was uploaded to
    bool downloaded_same = false;
    std::string upload_error;     // an upload larger than its disk: guestfsd gives up
    std::string download_error;   // a download the library gives up on
    bool serving_after = false;
    bool offsets_same = false;       // upload_offset, then download_offset around it
    bool copy_same = false;          // copy_device_to_device: 8 KiB reads and writes, interleaved
    double timed_loop_seconds = 0;   // `debug device_speed DISK r 2`, seen from here
    Progress progress;               // `debug progress 3`: guestfsd's rate-limited notifications
};

std::string failed_call_error(guestfs_h* g, int result)
{
    CHECK(result == -1);
    return guestfs_last_error(g) ? guestfs_last_error(g) : "";
}

ChannelView channel_view(const PluginImages& images, const fs::path& data, const char* append)
{
    guestuml::TempDir dir("guestuml-channel-io-test");
    const fs::path disk = dir.path() / "blank.img", small = dir.path() / "small.img", back = dir.path() / "back";
    for (const auto& [file, size] : {std::pair{disk, transfer_bytes}, std::pair{small, transfer_bytes / 2}}) {
        std::ofstream(file.string()).close();
        fs::resize_file(file, size);
    }

    const auto handle = launch_debian_ro(images, append, {disk.string(), small.string()});
    guestfs_h* g = handle.get();

    ChannelView view;
    view.preload = preload_placement(g, "guestuml-channel-io");

    REQUIRE(guestfs_upload(g, data.c_str(), "/dev/sdb") == 0);
    char* sum = guestfs_checksum_device(g, "sha256", "/dev/sdb");
    REQUIRE(sum);
    view.guest_sha256 = sum;
    std::free(sum);
    REQUIRE(guestfs_download(g, "/dev/sdb", back.c_str()) == 0);
    view.downloaded_same = file_bytes(back) == file_bytes(data);

    guestfs_push_error_handler(g, nullptr, nullptr);
    // guestfsd's write to the disk fails; it sends its cancellation flag
    // alone, then reads and discards chunks until the library stops.
    view.upload_error = failed_call_error(g, guestfs_upload(g, data.c_str(), "/dev/sdc"));
    // The library's write fails; guestfsd sees its flag at a later chunk.
    view.download_error = failed_call_error(g, guestfs_download(g, "/dev/sdb", "/dev/full"));
    guestfs_pop_error_handler(g);
    view.serving_after = guestfs_blockdev_getsize64(g, "/dev/sdb") == static_cast<int64_t>(transfer_bytes);

    // Transfers that start and end inside the preload's 512 KiB batches and
    // cross two of their boundaries: an upload at an odd offset, and a
    // download from 100 bytes before it to 100 bytes after, whose last read is
    // shorter than a chunk.
    const fs::path piece = dir.path() / "piece", around = dir.path() / "around";
    const std::string piece_bytes = file_bytes(data).substr(7, 1'300'000);
    std::ofstream(piece.string(), std::ios::binary) << piece_bytes;
    constexpr int64_t at = 12'345;
    const auto device_bytes = [&](const char* device, int64_t offset, int size) {
        size_t got = 0;
        char* bytes = guestfs_pread_device(g, device, size, offset, &got);
        REQUIRE(bytes);
        std::string out(bytes, got);
        std::free(bytes);
        return out;
    };
    const std::string expected = device_bytes("/dev/sdc", at - 100, 100) + piece_bytes +
                                 device_bytes("/dev/sdc", at + static_cast<int64_t>(piece_bytes.size()), 100);
    REQUIRE(guestfs_upload_offset(g, piece.c_str(), "/dev/sdc", at) == 0);
    REQUIRE(guestfs_download_offset(g, "/dev/sdc", around.c_str(), at - 100,
                                    static_cast<int64_t>(piece_bytes.size()) + 200) == 0);
    view.offsets_same = file_bytes(around) == expected;

    // guestfsd's copy reads one device and writes the other 8 KiB at a time:
    // the preload's batch takes the destination, and gives it up at the
    // first read of the source.
    constexpr int64_t from = 3 * 4096 + 17, to = 5, copied_size = 1'300'000;
    const std::string source = device_bytes("/dev/sdb", from, copied_size);
    const std::string after_it = device_bytes("/dev/sdc", to + copied_size, 100);
    REQUIRE(guestfs_copy_device_to_device(g, "/dev/sdb", "/dev/sdc", GUESTFS_COPY_DEVICE_TO_DEVICE_SRCOFFSET, from,
                                          GUESTFS_COPY_DEVICE_TO_DEVICE_DESTOFFSET, to,
                                          GUESTFS_COPY_DEVICE_TO_DEVICE_SIZE, copied_size, -1) == 0);
    view.copy_same = device_bytes("/dev/sdc", to, copied_size + 100) == source + after_it;

    // guestfsd reads the disk until its clock says two seconds have passed,
    // reading the clock before each 8 KiB: most readings are carried ones.
    // (debug calls take the guest's own device names: the init's link.)
    char* speed_args[] = {const_cast<char*>("/dev/disk/by-path/virtio-uml-1"), const_cast<char*>("r"), const_cast<char*>("2"), nullptr};
    const auto start = std::chrono::steady_clock::now();
    char* copied = guestfs_debug(g, "device_speed", speed_args);
    view.timed_loop_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    REQUIRE(copied);
    CHECK(std::stoll(copied) > 0);
    std::free(copied);

    REQUIRE(guestfs_set_event_callback(g, on_progress, GUESTFS_EVENT_PROGRESS, 0, &view.progress) >= 0);
    char* args[] = {const_cast<char*>("3"), nullptr};
    char* out = guestfs_debug(g, "progress", args);
    REQUIRE(out);
    std::free(out);

    REQUIRE(guestfs_shutdown(g) == 0);
    return view;
}

} // namespace

TEST_CASE("channel I/O preload: the same bytes both ways, cancellation and progress", "[capi]")
{
    apply_guestuml_env();
    const auto images = plugin_images(PLUGIN_IMAGE_DIR);

    guestuml::TempDir dir("guestuml-channel-io-data");
    const fs::path data = dir.path() / "data";
    {
        std::mt19937_64 random(20261203);
        std::vector<uint64_t> words(transfer_bytes / sizeof(uint64_t));
        for (auto& w : words)
            w = random();
        std::ofstream(data.string(), std::ios::binary)
            .write(reinterpret_cast<const char*>(words.data()), static_cast<std::streamsize>(transfer_bytes));
    }
    const ToolResult host_sum = run_tool(Hypervisor::guestuml, "sha256sum " + shell_quote(data.string()) + " | cut -d' ' -f1");
    REQUIRE(host_sum.ok());

    const ChannelView with = channel_view(images, data, "");
    const ChannelView without = channel_view(images, data, "guestuml_channel_io=0");

    // The preload is in guestfsd only, and only when asked for.
    CHECK(std::stoi(with.preload.guestfsd_maps) > 0);
    CHECK(without.preload.guestfsd_maps == "0");
    CHECK(with.preload.child_preload == "[]");

    for (const ChannelView* view : {&with, &without}) {
        CHECK(view->guest_sha256 + "\n" == host_sum.out);
        CHECK(view->downloaded_same);
        CHECK(view->upload_error.find("upload: write error") != std::string::npos);
        // The library reports the daemon's cancelled chunk last.
        CHECK(view->download_error.find("file receive cancelled") != std::string::npos);
        CHECK(view->serving_after);
        CHECK(view->offsets_same);
        CHECK(view->copy_same);
        // Two seconds by guestfsd's clock, and a reply, seen from the host.
        INFO("debug device_speed of 2 s took " << view->timed_loop_seconds << " s");
        CHECK(view->timed_loop_seconds >= 1.9);
        CHECK(view->timed_loop_seconds < 4.0);
        // guestfsd sends its first progress message after 2 s and then every
        // 1/3 s: with 3 s of work, a few, and the last one at 100 %.
        INFO("progress events: " << view->progress.events);
        CHECK(view->progress.events >= 3);
        CHECK(view->progress.events <= 6);
        CHECK(view->progress.in_order);
        CHECK(view->progress.last_total == 30);
        CHECK(view->progress.last_position == 30);
    }
}
