// Every image format and remote protocol issue 7 names, through stock
// libguestfs 1.48's C API on guestuml: all made from one Debian-like raw image
// with qemu-img convert, or served from it by servers on loopback and Unix
// sockets. One appliance per group.
#define CATCH_CONFIG_MAIN
#include "guestfs_handle.hpp"
#include "os_images.hpp"
#include "private_trust.hpp"
#include "process_tree.hpp"
#include "secure_servers.hpp"
#include "servers.hpp"
#include "test_images.hpp"

#include "guestuml/error.hpp"
#include "guestuml/run_command.hpp"
#include "guestuml/temp_dir.hpp"
#include "guestuml/unique_fd.hpp"

#include <boost/filesystem/operations.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fmt/format.h>
#include <guestfs.h>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <pwd.h>
#include <set>
#include <sstream>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

namespace fs = boost::filesystem;
using guestuml::test::run_checked;
using guestuml::test::sha256_file;
using namespace guestuml::formats::test;

namespace {

using Handle = guestuml::test::GuestfsHandle;

std::string take(char* s)
{
    std::string out = s ? s : "";
    std::free(s);
    return out;
}

std::vector<std::string> take(char** list)
{
    std::vector<std::string> out;
    for (size_t i = 0; list && list[i]; ++i) {
        out.emplace_back(list[i]);
        std::free(list[i]);
    }
    std::free(list);
    return out;
}

// Points libguestfs at this build's guestuml-qemu and the cached appliance.
void use_guestuml()
{
    static const bool done = [] {
        const std::string env = run_checked({GUESTUML_PROGRAM, "env"});
        for (const std::string name : {"LIBGUESTFS_BACKEND", "LIBGUESTFS_HV", "LIBGUESTFS_PATH"}) {
            const auto at = env.find("export " + name + "=");
            REQUIRE(at != std::string::npos);
            auto value = env.substr(at + 8 + name.size(), env.find('\n', at) - at - 8 - name.size());
            if (!value.empty() && value.front() == '\'')
                value = value.substr(1, value.size() - 2);
            ::setenv(name.c_str(), value.c_str(), 1);
        }
        return true;
    }();
    (void)done;
}

// Messages libguestfs shows in verbose mode, guestuml-qemu's stderr among them.
struct Messages {
    std::string text;
};

Handle new_handle(Messages* messages = nullptr)
{
    use_guestuml();
    Handle g(guestfs_create());
    REQUIRE(g);
    if (messages) {
        guestfs_set_verbose(g.get(), 1);
        guestfs_set_event_callback(
            g.get(),
            [](guestfs_h*, void* opaque, uint64_t, int, int, const char* buf, size_t len, const uint64_t*, size_t) {
                static_cast<Messages*>(opaque)->text.append(buf, len);
            },
            GUESTFS_EVENT_APPLIANCE | GUESTFS_EVENT_LIBRARY | GUESTFS_EVENT_WARNING, 0, messages);
    }
    return g;
}

struct Drive {
    std::string label;
    std::string file;          // path, or export/path for a remote drive
    std::string format;        // empty: probed
    std::string protocol;      // empty: a local file
    std::string server;        // "tcp:127.0.0.1:N", "unix:/path"
    std::string user;          // ssh: the remote user
};

// guestfs_add_drive_opts for one drive: 0 or -1, as libguestfs returns.
int try_add(guestfs_h* g, const Drive& d, bool readonly)
{
    struct guestfs_add_drive_opts_argv args{};
    args.bitmask = GUESTFS_ADD_DRIVE_OPTS_READONLY_BITMASK;
    args.readonly = readonly;
    if (!d.format.empty()) {
        args.bitmask |= GUESTFS_ADD_DRIVE_OPTS_FORMAT_BITMASK;
        args.format = d.format.c_str();
    }
    const char* servers[] = {d.server.c_str(), nullptr};
    if (!d.protocol.empty()) {
        args.bitmask |= GUESTFS_ADD_DRIVE_OPTS_PROTOCOL_BITMASK | GUESTFS_ADD_DRIVE_OPTS_SERVER_BITMASK;
        args.protocol = d.protocol.c_str();
        args.server = const_cast<char**>(servers);
    }
    if (!d.user.empty()) {
        args.bitmask |= GUESTFS_ADD_DRIVE_OPTS_USERNAME_BITMASK;
        args.username = d.user.c_str();
    }
    return guestfs_add_drive_opts_argv(g, d.file.c_str(), &args);
}

void add(guestfs_h* g, const Drive& d, bool readonly)
{
    INFO(d.label);
    REQUIRE(try_add(g, d, readonly) == 0);
}

// The test image set, made once per process.
struct Images {
    guestuml::TempDir dir{"guestuml-formats-test"};
    fs::path raw;
    std::vector<Drive> local;      // every local format, from raw
    std::string raw_sha256;

    Images()
    {
        raw = guestuml::test::make_fake_debian(dir.path(), "original.raw", {.hostname = "formats1"});
        raw_sha256 = sha256_file(raw);
        const auto p = [&](const std::string& name) { return (dir.path() / name).string(); };
        run_checked({"qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw.string(), p("plain.qcow2")});
        run_checked({"qemu-img", "convert", "-c", "-f", "raw", "-O", "qcow2", raw.string(), p("compressed.qcow2")});
        // A three-image chain: raw base, qcow2 middle, empty qcow2 top.
        run_checked({"cp", raw.string(), p("chain-base.raw")});
        run_checked({"qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", p("chain-base.raw"),
                     p("chain-mid.qcow2")});
        run_checked({"qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", "chain-mid.qcow2",
                     p("chain-top.qcow2")});   // relative: qemu resolves it next to the top
        run_checked({"qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw.string(), p("snapshot.qcow2")});
        run_checked({"qemu-img", "snapshot", "-c", "before", p("snapshot.qcow2")});
        for (const std::string f : {"vmdk", "vdi", "vhdx"})
            run_checked({"qemu-img", "convert", "-f", "raw", "-O", f, raw.string(), p("image." + f)});
        local = {
            {"raw", raw.string(), "raw"},
            {"qcow2", p("plain.qcow2"), "qcow2"},
            {"qcow2 compressed", p("compressed.qcow2"), "qcow2"},
            {"qcow2 backing chain", p("chain-top.qcow2"), "qcow2"},
            {"qcow2 internal snapshot", p("snapshot.qcow2"), "qcow2"},
            {"vmdk", p("image.vmdk"), "vmdk"},
            {"vdi", p("image.vdi"), "vdi"},
            {"vhdx", p("image.vhdx"), "vhdx"},
            {"qcow2 probed", p("plain.qcow2"), ""},
        };
    }
};

Images& images()
{
    static Images set;
    return set;
}

// Kills the session's hypervisor if still alive after limit: a disk that stalls
// then fails the test's next call, with a line saying why, instead of hanging
// until ctest's time-out.
class StallGuard {
public:
    // A pidfd, not the pid: the signal can only reach the hypervisor itself.
    StallGuard(guestfs_h* g, std::chrono::seconds limit)
        : hypervisor_(pidfd_of(guestfs_get_pid(g))),
          watchdog_([this, limit] {
              std::unique_lock lock(mutex_);
              if (cv_.wait_for(lock, limit, [this] { return done_; }))
                  return;
              std::fprintf(stderr, "formats test: the session was still running after %lld s (a stalled disk?); "
                                   "killing its hypervisor\n", static_cast<long long>(limit.count()));
              ::syscall(SYS_pidfd_send_signal, hypervisor_.get(), SIGKILL, nullptr, 0);
          })
    {
    }
    ~StallGuard()
    {
        {
            std::lock_guard lock(mutex_);
            done_ = true;
        }
        cv_.notify_all();
        watchdog_.join();
    }

private:
    static guestuml::UniqueFd pidfd_of(pid_t pid)
    {
        REQUIRE(pid > 0);
        guestuml::UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
        REQUIRE(fd);
        return fd;
    }

    guestuml::UniqueFd hypervisor_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool done_ = false;
    std::thread watchdog_;   // last: it starts once the members it uses exist
};

// Eight guest processes read the whole device at once, three times each, with
// O_DIRECT so that every read reaches the server. Through qemu 7.2's own curl
// driver such reads stalled for good (docs/design.md); guestuml reads URLs
// through nbdkit instead.
std::string parallel_reads(guestfs_h* g, const std::string& device)
{
    const std::string guest_device = "/dev/vd" + device.substr(std::string("/dev/sd").size());
    const std::string script = fmt::format(
        "for i in 1 2 3 4 5 6 7 8; do (for r in 1 2 3; do dd if={} of=/dev/null bs=128k iflag=direct "
        "2>/dev/null || echo failed; done) & done; wait; echo done",
        guest_device);
    const char* args[] = {script.c_str(), nullptr};
    return take(guestfs_debug(g, "sh", const_cast<char**>(args)));
}

std::map<std::string, std::string> sha256_of(const std::vector<Drive>& drives)
{
    std::map<std::string, std::string> out;
    for (const auto& d : drives)
        if (d.protocol.empty())
            out[d.file] = sha256_file(d.file);
    return out;
}

} // namespace

TEST_CASE("every format and protocol, read-only: the same bytes and the same inspection as the raw original",
          "[formats][readonly]")
{
    Images& im = images();
    const auto socket = im.dir.path() / "nbd.sock";
    const unsigned nbd_port = free_port();
    const unsigned http_port = free_port();
    fs::create_directories(im.dir.path() / "www");
    fs::copy_file(im.raw, im.dir.path() / "www" / "disk.img", fs::copy_options::overwrite_existing);
    fs::copy_file(im.dir.path() / "plain.qcow2", im.dir.path() / "www" / "disk.qcow2",
                  fs::copy_options::overwrite_existing);
    const Server nbd_unix({"qemu-nbd", "-r", "-t", "-f", "raw", "-k", socket.string(), im.raw.string()}, 0, socket);
    const Server nbd_tcp({"qemu-nbd", "-r", "-t", "-f", "qcow2", "-b", "127.0.0.1", "-p",
                          std::to_string(nbd_port), (im.dir.path() / "plain.qcow2").string()},
                         nbd_port);
    const Server http({"python3", RANGE_HTTP_SERVER, std::to_string(http_port), (im.dir.path() / "www").string()},
                      http_port);

    std::vector<Drive> drives = im.local;
    drives.push_back({"nbd tcp", "", "raw", "nbd", fmt::format("tcp:127.0.0.1:{}", nbd_port)});
    drives.push_back({"nbd unix", "", "raw", "nbd", "unix:" + socket.string()});
    drives.push_back({"http raw", "/disk.img", "raw", "http", fmt::format("tcp:127.0.0.1:{}", http_port)});
    drives.push_back({"http qcow2", "/disk.qcow2", "qcow2", "http", fmt::format("tcp:127.0.0.1:{}", http_port)});
    // The format rule: a qcow2 declared raw is read as raw bytes, never probed.
    const Drive declared_raw{"qcow2 declared raw", (im.dir.path() / "plain.qcow2").string(), "raw"};
    const auto before = sha256_of(drives);
    const auto declared_raw_sha = sha256_file(declared_raw.file);

    Handle g = new_handle();
    for (const auto& d : drives)
        add(g.get(), d, true);
    add(g.get(), declared_raw, true);
    REQUIRE(guestfs_launch(g.get()) == 0);
    const StallGuard guard(g.get(), std::chrono::seconds(300));
    const auto devices = take(guestfs_list_devices(g.get()));
    REQUIRE(devices.size() == drives.size() + 1);

    for (size_t i = 0; i < drives.size(); ++i) {
        INFO(drives[i].label << " as " << devices[i]);
        CHECK(take(guestfs_checksum_device(g.get(), "sha256", devices[i].c_str())) == im.raw_sha256);
    }
    for (size_t i = 0; i < drives.size(); ++i)
        if (drives[i].protocol == "http") {
            INFO(drives[i].label << " as " << devices[i] << ", read by eight processes at once");
            CHECK(parallel_reads(g.get(), devices[i]) == "done");
        }
    const std::string& raw_dev = devices.back();
    CHECK(guestfs_blockdev_getsize64(g.get(), raw_dev.c_str()) ==
          static_cast<int64_t>(fs::file_size(declared_raw.file)));
    size_t n = 0;
    char* head = guestfs_pread_device(g.get(), raw_dev.c_str(), 4, 0, &n);
    CHECK(std::string(head ? head : "", n) == std::string("QFI\xfb"));
    std::free(head);

    const auto roots = take(guestfs_inspect_os(g.get()));
    CHECK(roots.size() == drives.size());
    for (const auto& root : roots) {
        INFO(root);
        CHECK(take(guestfs_inspect_get_distro(g.get(), root.c_str())) == "debian");
        CHECK(take(guestfs_inspect_get_hostname(g.get(), root.c_str())) == "formats1");
        CHECK(take(guestfs_inspect_get_package_format(g.get(), root.c_str())) == "deb");
    }
    REQUIRE(guestfs_shutdown(g.get()) == 0);
    g.reset();
    CHECK(sha256_of(drives) == before);
    CHECK(sha256_file(declared_raw.file) == declared_raw_sha);
}

TEST_CASE("writable sessions write through to the image's own format", "[formats][writable]")
{
    Images& im = images();
    const auto w = im.dir.path() / "writable";
    fs::create_directories(w);
    std::vector<Drive> drives;
    for (const auto& d : im.local) {
        if (d.format.empty() || d.label == "qcow2 backing chain")
            continue;
        const auto copy = w / fs::path(d.file).filename();
        fs::copy_file(d.file, copy, fs::copy_options::overwrite_existing);
        drives.push_back({d.label, copy.string(), d.format});
    }
    // The chain's top takes the writes; its backing files stay as they were.
    run_checked({"qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", im.raw.string(),
                 (w / "top.qcow2").string()});
    drives.push_back({"qcow2 over raw backing", (w / "top.qcow2").string(), "qcow2"});
    const auto nbd_copy = w / "nbd.qcow2";
    fs::copy_file(im.dir.path() / "plain.qcow2", nbd_copy, fs::copy_options::overwrite_existing);
    const auto socket = w / "nbd.sock";
    {
        const Server nbd({"qemu-nbd", "-t", "-f", "qcow2", "-k", socket.string(), nbd_copy.string()}, 0, socket);
        drives.push_back({"nbd unix, writable", "", "raw", "nbd", "unix:" + socket.string()});
        const auto raw_sha = sha256_file(im.raw);

        Handle g = new_handle();
        for (const auto& d : drives)
            add(g.get(), d, false);
        REQUIRE(guestfs_launch(g.get()) == 0);
        const auto devices = take(guestfs_list_devices(g.get()));
        REQUIRE(devices.size() == drives.size());
        for (size_t i = 0; i < drives.size(); ++i) {
            INFO(drives[i].label);
            const std::string part = devices[i] + "1";
            REQUIRE(guestfs_mount(g.get(), part.c_str(), "/") == 0);
            CHECK(guestfs_write(g.get(), "/written", drives[i].label.c_str(), drives[i].label.size()) == 0);
            CHECK(guestfs_umount(g.get(), "/") == 0);
        }
        REQUIRE(guestfs_shutdown(g.get()) == 0);
        g.reset();
        CHECK(sha256_file(im.raw) == raw_sha);
    }
    for (const auto& d : drives) {
        INFO(d.label);
        const std::string file = d.protocol.empty() ? d.file : nbd_copy.string();
        if (d.format != "raw")
            CHECK_NOTHROW(run_checked({"qemu-img", "check", "-q", file}));
    }
    CHECK(run_checked({"qemu-img", "snapshot", "-l", (w / "snapshot.qcow2").string()}).find("before") !=
          std::string::npos);

    // A new session reads back what each image got, through its own format.
    Handle g = new_handle();
    for (auto d : drives) {
        if (!d.protocol.empty())
            d = {d.label, nbd_copy.string(), "qcow2"};
        add(g.get(), d, true);
    }
    REQUIRE(guestfs_launch(g.get()) == 0);
    const auto devices = take(guestfs_list_devices(g.get()));
    for (size_t i = 0; i < drives.size(); ++i) {
        INFO(drives[i].label);
        const std::string part = devices[i] + "1";
        REQUIRE(guestfs_mount_ro(g.get(), part.c_str(), "/") == 0);
        CHECK(take(guestfs_cat(g.get(), "/written")) == drives[i].label);
        CHECK(guestfs_umount(g.get(), "/") == 0);
    }
    REQUIRE(guestfs_shutdown(g.get()) == 0);
}

namespace {

// Launches one drive that must fail; returns libguestfs's messages, guestuml-qemu's stderr among them.
std::string failed_launch_argv(const Drive& d, bool readonly, double* seconds)
{
    Messages messages;
    Handle g = new_handle(&messages);
    add(g.get(), d, readonly);
    const auto start = std::chrono::steady_clock::now();
    CHECK(guestfs_launch(g.get()) == -1);
    *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    messages.text += guestfs_last_error(g.get()) ? guestfs_last_error(g.get()) : "";
    return messages.text;
}

// Adds and launches one drive that must fail at either step: for a read-only
// remote drive, libguestfs's own qemu-img opens the source in add_drive, to
// make its overlay. Returns libguestfs's messages, guestuml-qemu's among them.
std::string failed_session(const Drive& d, bool readonly, double* seconds)
{
    Messages messages;
    Handle g = new_handle(&messages);
    const auto start = std::chrono::steady_clock::now();
    const bool failed = try_add(g.get(), d, readonly) == -1 || guestfs_launch(g.get()) == -1;
    CHECK(failed);
    *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    messages.text += guestfs_last_error(g.get()) ? guestfs_last_error(g.get()) : "";
    return messages.text;
}

// No qemu-storage-daemon or UML left that names a file of this test.
bool nothing_left(const fs::path& dir)
{
    const auto out = guestuml::run_command({"pgrep", "-f", dir.string()});
    return out.out.empty();
}

} // namespace

TEST_CASE("broken images, unserved protocols and silent servers fail clearly, in bounded time, leaving nothing",
          "[formats][errors]")
{
    Images& im = images();
    const auto e = im.dir.path() / "errors";
    fs::create_directories(e);
    ::setenv("GUESTUML_DISK_OPEN_TIMEOUT", "5", 1);
    double seconds = 0;

    SECTION("missing backing file")
    {
        run_checked({"qemu-img", "create", "-q", "-u", "-f", "qcow2", "-F", "raw", "-b", (e / "gone.raw").string(),
                     (e / "orphan.qcow2").string(), "26M"});
        const auto msg = failed_launch_argv({"orphan", (e / "orphan.qcow2").string(), "qcow2"}, false, &seconds);
        CHECK_THAT(msg, Catch::Contains("gone.raw") && Catch::Contains("does not exist"));
        CHECK(seconds < 60);
    }
    SECTION("truncated qcow2, read-only and writable")
    {
        fs::copy_file(im.dir.path() / "plain.qcow2", e / "cut.qcow2", fs::copy_options::overwrite_existing);
        fs::resize_file(e / "cut.qcow2", fs::file_size(e / "cut.qcow2") / 2);
        for (const bool ro : {true, false}) {
            const auto msg = failed_launch_argv({"cut", (e / "cut.qcow2").string(), "qcow2"}, ro, &seconds);
            CHECK_THAT(msg, Catch::Contains("truncated or damaged qcow2"));
            CHECK(seconds < 60);
        }
    }
    SECTION("a protocol guestuml does not serve")
    {
        const auto msg =
            failed_launch_argv({"iscsi", "iqn.2024-01.test:target/0", "raw", "iscsi", "tcp:127.0.0.1:3260"},
                               false, &seconds);
        CHECK_THAT(msg, Catch::Contains("protocol 'iscsi' is not supported by guestuml"));
        CHECK(seconds < 60);
    }
    SECTION("a server that refuses, and one that never answers")
    {
        const auto refused = failed_launch_argv(
            {"refused", "", "raw", "nbd", fmt::format("tcp:127.0.0.1:{}", free_port())}, false, &seconds);
        CHECK_THAT(refused, Catch::Contains("Connection refused"));
        CHECK(seconds < 60);
        const SilentServer silent;
        const auto msg = failed_launch_argv(
            {"silent", "", "raw", "nbd", fmt::format("tcp:127.0.0.1:{}", silent.port())}, false, &seconds);
        CHECK_THAT(msg, Catch::Contains("not open after 5 s"));
        CHECK(seconds < 60);
    }
    CHECK(nothing_left(e));
    ::unsetenv("GUESTUML_DISK_OPEN_TIMEOUT");
}

namespace {

void append_text(const fs::path& file, const std::string& text)
{
    std::ofstream out(file.string(), std::ios::app);
    out << text;
    REQUIRE(out.flush());
}

// No process left that names this test's directory or the https server's
// address, but the test's own servers (and sshd's per-connection children).
bool only_servers_left(const fs::path& dir, unsigned https_port, std::initializer_list<pid_t> servers)
{
    std::set<pid_t> ours(servers);
    for (const pid_t server : servers)
        for (const pid_t child : guestuml::test::descendants(server))
            ours.insert(child);
    bool clean = true;
    for (const std::string& pattern : {dir.string(), fmt::format("127.0.0.1:{}", https_port)}) {
        std::istringstream pids(guestuml::run_command({"pgrep", "-f", pattern}).out);
        for (pid_t pid; pids >> pid;)
            if (!ours.count(pid) && pid != ::getpid()) {
                UNSCOPED_INFO("left behind: pid " << pid << " naming " << pattern);
                clean = false;
            }
    }
    return clean;
}

} // namespace

// Runs in a process of its own (ctest's formats_encrypted): it moves the test
// into a private mount namespace where the host trusts the test's CA and keys.
TEST_CASE("https and ssh drives from live servers on loopback: refused until trusted, then the same bytes",
          "[formats][encrypted]")
{
    try {
        enter_private_mount_namespace();
    } catch (const guestuml::Error& e) {
        FAIL(e.what());
    }
    Images& im = images();
    const auto d = im.dir.path() / "encrypted";
    const auto www = d / "www";
    fs::create_directories(www);
    fs::copy_file(im.raw, www / "disk.img", fs::copy_options::overwrite_existing);
    fs::copy_file(im.dir.path() / "plain.qcow2", www / "disk.qcow2", fs::copy_options::overwrite_existing);
    const fs::path ssh_rw = d / "ssh-rw.img";
    fs::copy_file(im.raw, ssh_rw, fs::copy_options::overwrite_existing);

    const TestTls tls = make_test_tls(d / "tls");
    const unsigned https_port = free_port();
    const Server https({"python3", RANGE_HTTP_SERVER, std::to_string(https_port), www.string(),
                        tls.server_cert.string(), tls.server_key.string()},
                       https_port);
    const fs::path client = d / "client-ssh";
    make_ssh_key(client);
    const SshServer sshd(d / "sshd", client / "id_ed25519.pub");
    append_text(client / "known_hosts", "");
    const BindMount ssh_dir(client, user_ssh_dir());
    const std::string user = ::getpwuid(::geteuid())->pw_name;
    const std::string https_server = fmt::format("tcp:127.0.0.1:{}", https_port);
    const std::string ssh_server = fmt::format("tcp:127.0.0.1:{}", sshd.port());

    const std::vector<Drive> reads = {
        {"https raw", "/disk.img", "raw", "https", https_server},
        {"https qcow2", "/disk.qcow2", "qcow2", "https", https_server},
        {"ssh raw", (www / "disk.img").string(), "raw", "ssh", ssh_server, user},
    };
    const Drive write{"ssh raw, writable", ssh_rw.string(), "raw", "ssh", ssh_server, user};
    const auto www_sha = std::map<std::string, std::string>{
        {"disk.img", sha256_file(www / "disk.img")}, {"disk.qcow2", sha256_file(www / "disk.qcow2")}};

    // Before the host trusts them, a certificate from an unknown CA and an
    // unknown host key are each refused, clearly and soon.
    double seconds = 0;
    // The writable ssh drive reaches guestuml's storage daemon; the read-only
    // ones stop at libguestfs's own overlay.
    for (const Drive* drive : {&reads[0], &reads[2], &write}) {
        const auto msg = failed_session(*drive, drive != &write, &seconds);
        INFO(drive->label << ": " << msg);
        CHECK_THAT(msg, Catch::Contains(drive->protocol == "https" ? "certificate" : "known_hosts",
                                        Catch::CaseSensitive::No));
        CHECK(seconds < 60);
    }
    CHECK(only_servers_left(d, https_port, {https.pid(), sshd.pid()}));

    const fs::path bundle = d / "ca-bundle.crt";
    fs::copy_file(system_ca_bundle(), bundle, fs::copy_options::overwrite_existing);
    std::ifstream ca(tls.ca_cert.string());
    append_text(bundle, std::string((std::istreambuf_iterator<char>(ca)), std::istreambuf_iterator<char>()));
    const BindMount ca_bundle(bundle, system_ca_bundle());
    append_text(client / "known_hosts", sshd.known_hosts_line());

    Handle g = new_handle();
    for (const auto& drive : reads)
        add(g.get(), drive, true);
    add(g.get(), write, false);
    REQUIRE(guestfs_launch(g.get()) == 0);
    std::optional<StallGuard> guard(std::in_place, g.get(), std::chrono::seconds(300));
    const auto devices = take(guestfs_list_devices(g.get()));
    REQUIRE(devices.size() == reads.size() + 1);
    for (size_t i = 0; i < reads.size(); ++i) {
        INFO(reads[i].label << " as " << devices[i]);
        CHECK(take(guestfs_checksum_device(g.get(), "sha256", devices[i].c_str())) == im.raw_sha256);
    }
    const auto roots = take(guestfs_inspect_os(g.get()));
    CHECK(roots.size() == reads.size() + 1);
    for (const auto& root : roots) {
        INFO(root);
        CHECK(take(guestfs_inspect_get_distro(g.get(), root.c_str())) == "debian");
        CHECK(take(guestfs_inspect_get_hostname(g.get(), root.c_str())) == "formats1");
    }
    const std::string rw_part = devices.back() + "1";
    REQUIRE(guestfs_mount(g.get(), rw_part.c_str(), "/") == 0);
    CHECK(guestfs_write(g.get(), "/written", write.label.c_str(), write.label.size()) == 0);
    CHECK(guestfs_umount(g.get(), "/") == 0);
    REQUIRE(guestfs_shutdown(g.get()) == 0);
    guard.reset();   // its time limit is this session's, not the next one's
    g.reset();
    CHECK(sha256_file(www / "disk.img") == www_sha.at("disk.img"));
    CHECK(sha256_file(www / "disk.qcow2") == www_sha.at("disk.qcow2"));
    CHECK(only_servers_left(d, https_port, {https.pid(), sshd.pid()}));

    // What went over ssh landed in the server's file.
    Handle check = new_handle();
    add(check.get(), {"ssh-written copy", ssh_rw.string(), "raw"}, true);
    REQUIRE(guestfs_launch(check.get()) == 0);
    REQUIRE(guestfs_mount_ro(check.get(), "/dev/sda1", "/") == 0);
    CHECK(take(guestfs_cat(check.get(), "/written")) == write.label);
    REQUIRE(guestfs_shutdown(check.get()) == 0);
}
