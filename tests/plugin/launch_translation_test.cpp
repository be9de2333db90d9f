#include "captured_command_lines.hpp"
#include "kernel_append.hpp"
#include "launch_translation.hpp"
#include "qemu_args.hpp"

#include "guestuml/error.hpp"

#include <catch2/catch.hpp>

using namespace guestuml::plugin;
using guestuml::Error;

namespace {

LaunchPlan translate(const std::vector<std::string>& args)
{
    return translate_launch(parse_qemu_args(args));
}

// The captured read-only launch with one argument replaced.
std::vector<std::string> with(std::vector<std::string> args, const std::string& from, const std::string& to)
{
    for (auto& a : args)
        if (a == from)
            a = to;
    return args;
}

std::vector<std::string> plus(std::vector<std::string> args, const std::vector<std::string>& more)
{
    args.insert(args.end(), more.begin(), more.end());
    return args;
}

} // namespace

TEST_CASE("the /dev/null launch becomes one raw writable disk on the appliance", "[unit][translation]")
{
    const auto plan = translate(test::devnull_launch("/app"));
    CHECK(plan.config.kernel == "/app/kernel");
    CHECK(plan.config.root == "/app/root");
    CHECK(plan.config.memory_mb == 1280);
    REQUIRE(plan.config.disks.size() == 1);
    CHECK(plan.config.disks[0].path == "/tmp/libguestfsmbEON4/devnull1.img");
    CHECK(plan.config.disks[0].format == "raw");
    CHECK_FALSE(plan.config.disks[0].read_only);
    CHECK(plan.channel_socket == "/tmp/libguestfs1JVHzB/guestfsd.sock");
    CHECK(plan.console_to_stdout);
    CHECK(plan.config.kernel_args == std::vector<std::string>{"guestfs_verbose=1", "TERM=xterm"});
    CHECK(plan.notes.empty());
}

TEST_CASE("read-only drives are served as libguestfs's writable qcow2 overlays", "[unit][translation]")
{
    const auto plan = translate(test::readonly_two_drives_launch("/app"));
    REQUIRE(plan.config.disks.size() == 2);
    CHECK(plan.config.disks[0].path == "/tmp/libguestfsNsQbOk/overlay1.qcow2");
    CHECK(plan.config.disks[0].format == "qcow2");
    CHECK_FALSE(plan.config.disks[0].read_only);
    CHECK(plan.config.disks[1].path == "/tmp/libguestfsNsQbOk/overlay2.qcow2");
    CHECK(plan.config.kernel_args == std::vector<std::string>{"quiet", "TERM=xterm"});
}

TEST_CASE("writable drives keep libguestfs's format and comma-escaped names", "[unit][translation]")
{
    const auto plan = translate(test::writable_three_drives_launch("/app"));
    REQUIRE(plan.config.disks.size() == 3);
    CHECK(plan.config.disks[0].format == "raw");
    CHECK(plan.config.disks[1].format == "qcow2");
    CHECK(plan.config.disks[2].path == "/tmp/plugin-research/c,with:comma.img");
}

TEST_CASE("a drive without format= is left for probing, never guessed", "[unit][translation]")
{
    const auto args = with(test::devnull_launch("/app"),
                           "file=/tmp/libguestfsmbEON4/devnull1.img,cache=writeback,format=raw,id=hd0,if=none",
                           "file=/images/x.img,cache=writeback,id=hd0,if=none");
    const auto plan = translate(args);
    REQUIRE(plan.config.disks.size() == 1);
    CHECK(plan.config.disks[0].format.empty());
}

TEST_CASE("disk order follows -device order, virtio-blk included", "[unit][translation]")
{
    auto args = test::virtio_blk_launch("/app");
    auto plan = translate(args);
    REQUIRE(plan.config.disks.size() == 2);
    CHECK(plan.config.disks[0].path == "/tmp/plugin-research/a.raw");
    CHECK(plan.config.disks[1].format == "qcow2");

    // Swapping the devices swaps the disks, whatever the -drive order.
    args = with(args, "virtio-blk-pci,drive=hd0", "scsi-hd,drive=hdX");
    args = with(args, "scsi-hd,drive=hd1", "virtio-blk-pci,drive=hd0");
    args = with(args, "scsi-hd,drive=hdX", "scsi-hd,drive=hd1");
    plan = translate(args);
    REQUIRE(plan.config.disks.size() == 2);
    CHECK(plan.config.disks[0].path == "/tmp/libguestfs90VtVs/overlay2.qcow2");
    CHECK(plan.config.disks[1].path == "/tmp/plugin-research/a.raw");
}

TEST_CASE("snapshot=on on a user drive asks for a private overlay", "[unit][translation]")
{
    const auto args = with(test::devnull_launch("/app"),
                           "file=/tmp/libguestfsmbEON4/devnull1.img,cache=writeback,format=raw,id=hd0,if=none",
                           "file=/images/x.img,snapshot=on,cache=writeback,format=raw,id=hd0,if=none");
    const auto plan = translate(args);
    CHECK(plan.config.disks.at(0).read_only);
}

TEST_CASE("memory: a sane minimum, suffixes, and -smp accepted with a note", "[unit][translation]")
{
    const auto base = test::devnull_launch("/app");
    CHECK(translate(with(base, "1280", "2G")).config.memory_mb == 2048);
    CHECK(translate(with(base, "1280", "size=768M")).config.memory_mb == 768);
    CHECK_THROWS_WITH(translate(with(base, "1280", "64")), Catch::Contains("at least 128 MiB"));
    CHECK_THROWS_WITH(translate(with(base, "1280", "lots")), Catch::Contains("-m lots"));
    const auto plan = translate(plus(base, {"-smp", "4"}));
    REQUIRE(plan.notes.size() == 1);
    CHECK(plan.notes[0].find("-smp 4") != std::string::npos);
    CHECK(translate(plus(base, {"-smp", "1"})).notes.empty());
}

TEST_CASE("what the UML appliance cannot do is an error naming the option", "[unit][translation]")
{
    const auto base = test::devnull_launch("/app");
    CHECK_THROWS_WITH(translate(plus(base, {"-netdev", "user,id=usernet,net=169.254.0.0/16", "-device",
                                            "virtio-net-pci,netdev=usernet"})),
                      Catch::Contains("-netdev user"));
    CHECK_THROWS_WITH(translate(with(base, "none", "gtk")), Catch::Contains("-display gtk"));
    CHECK_THROWS_WITH(translate(with(base, "scsi-hd,drive=hd0", "scsi-hd,drive=hd0,serial=lbl")),
                      Catch::Contains("serial=lbl"));
    CHECK_THROWS_WITH(translate(with(base, "scsi-hd,drive=hd0", "scsi-hd,drive=hd0,physical_block_size=4096")),
                      Catch::Contains("physical_block_size"));
    CHECK_THROWS_WITH(translate(with(base, "scsi-hd,drive=hd0", "ide-hd,drive=hd0")), Catch::Contains("ide-hd"));
    CHECK_THROWS_WITH(translate(with(base, "stdio", "pty")), Catch::Contains("-serial pty"));
    CHECK_THROWS_WITH(translate(plus(base, {"-object", "secret,id=sec0,data=x"})), Catch::Contains("secret"));
}

TEST_CASE("drives must be local files attached to a device", "[unit][translation]")
{
    const auto base = test::devnull_launch("/app");
    const std::string drive = "file=/tmp/libguestfsmbEON4/devnull1.img,cache=writeback,format=raw,id=hd0,if=none";
    CHECK_THROWS_WITH(translate(with(base, drive, "file=iscsi://localhost/iqn.x/0,format=raw,id=hd0,if=none")),
                      Catch::Contains("remote drive"));
    CHECK_THROWS_WITH(translate(with(base, drive, "file=/x.img,format=raw,id=hd0,if=ide")),
                      Catch::Contains("if=ide"));
    CHECK_THROWS_WITH(translate(with(base, drive, "file=/x.img,format=raw,id=hd0,if=none,aio=native")),
                      Catch::Contains("aio=native"));
    CHECK_THROWS_WITH(translate(with(base, "scsi-hd,drive=hd0", "virtio-rng-pci")),
                      Catch::Contains("id=hd0: not attached"));
    CHECK_THROWS_WITH(translate(with(base, "scsi-hd,drive=hd0", "scsi-hd,drive=hd9")),
                      Catch::Contains("no -drive with id=hd9"));
}

TEST_CASE("the launch must use the guestuml appliance and guestfsd's channel", "[unit][translation]")
{
    auto base = test::devnull_launch("/app");
    CHECK_THROWS_WITH(translate(with(base, "scsi-hd,drive=appliance", "virtio-rng-pci")),
                      Catch::Contains("id=appliance: not attached"));
    CHECK_THROWS_WITH(translate(with(base, "virtserialport,chardev=channel0,name=org.libguestfs.channel.0",
                                     "virtserialport,chardev=channel0,name=other")),
                      Catch::Contains("org.libguestfs.channel.0"));
    CHECK_THROWS_WITH(translate(with(base, "socket,path=/tmp/libguestfs1JVHzB/guestfsd.sock,id=channel0",
                                     "socket,path=/tmp/s,id=channel0,server=on")),
                      Catch::Contains("server=on"));
    CHECK_THROWS_WITH(translate({"-m", "512"}), Catch::Contains("no -kernel"));
}

TEST_CASE("PC-only kernel parameters are dropped, libguestfs's own kept", "[unit][translation]")
{
    CHECK(appliance_kernel_args(test::verbose_append) == std::vector<std::string>{"guestfs_verbose=1", "TERM=xterm"});
    CHECK(appliance_kernel_args("panic=1 quiet TERM=linux guestfs_identifier=x guestfs_network=1 "
                                "selinux=1 enforcing=0 my.param=3") ==
          std::vector<std::string>{"quiet", "TERM=linux", "guestfs_identifier=x", "guestfs_network=1", "my.param=3"});
    CHECK(appliance_kernel_args("  ").empty());
}

TEST_CASE("a PC kernel image is refused with advice", "[unit][translation]")
{
    CHECK_NOTHROW(check_uml_kernel("/proc/self/exe"));
    CHECK_THROWS_WITH(check_uml_kernel("/etc/hostname"), Catch::Contains("guestuml env"));
    CHECK_THROWS_WITH(check_uml_kernel("/nonexistent/kernel"), Catch::Contains("cannot open"));
}

namespace {

const std::string devnull_drive = "file=/tmp/libguestfsmbEON4/devnull1.img,cache=writeback,format=raw,id=hd0,if=none";

guestuml::DiskSpec one_disk(const std::string& drive)
{
    const auto plan = translate(with(test::devnull_launch("/app"), devnull_drive, drive));
    REQUIRE(plan.config.disks.size() == 1);
    return plan.config.disks[0];
}

} // namespace

TEST_CASE("nbd drives as libguestfs 1.48 writes them: TCP, Unix socket, export name", "[unit][translation]")
{
    auto d = one_disk("file=nbd:127.0.0.1:10810,cache=writeback,format=raw,id=hd0,if=none");
    REQUIRE(d.remote);
    CHECK(d.remote->protocol == "nbd");
    CHECK(d.remote->host == "127.0.0.1");
    CHECK(d.remote->port == 10810);
    CHECK(d.remote->path.empty());
    CHECK(d.format == "raw");
    CHECK_FALSE(d.read_only);

    // qemu's option syntax doubles commas; parse_qemu_args undoes that.
    d = one_disk("file=nbd:unix:/tmp/a,,b.sock:exportname=disk1,cache=writeback,id=hd0,if=none");
    REQUIRE(d.remote);
    CHECK(d.remote->socket == "/tmp/a,b.sock");
    CHECK(d.remote->path == "disk1");
    CHECK(d.remote->host.empty());
    CHECK(d.format.empty());   // no format=: probed, never guessed

    d = one_disk("file=nbd:[::1]:10809:exportname=x,format=qcow2,id=hd0,if=none");
    CHECK(d.remote->host == "::1");
    CHECK(d.remote->port == 10809);
    CHECK(d.remote->path == "x");
}

TEST_CASE("http, https, ftp and ssh URLs become remote sources", "[unit][translation]")
{
    auto d = one_disk("file=http://127.0.0.1:8080/images/disk.img,snapshot=on,format=raw,id=hd0,if=none");
    REQUIRE(d.remote);
    CHECK(d.remote->protocol == "http");
    CHECK(d.remote->url == "http://127.0.0.1:8080/images/disk.img");
    CHECK(d.remote->host == "127.0.0.1");
    CHECK(d.remote->port == 8080);
    CHECK(d.read_only);

    d = one_disk("file=https://user@example.com/a%20b.img,format=raw,snapshot=on,id=hd0,if=none");
    CHECK(d.remote->protocol == "https");
    CHECK(d.remote->user == "user");
    CHECK(d.remote->port == 0);
    CHECK(d.remote->path == "/a%20b.img");   // curl gets the URL as written

    d = one_disk("file=ssh://root@host.example:2222/var/lib/a%20b.img,format=qcow2,id=hd0,if=none");
    CHECK(d.remote->protocol == "ssh");
    CHECK(d.remote->user == "root");
    CHECK(d.remote->port == 2222);
    CHECK(d.remote->path == "/var/lib/a b.img");   // qemu's ssh driver wants the plain path
}

TEST_CASE("protocols guestuml does not serve and malformed remote drives are errors naming them",
          "[unit][translation]")
{
    const auto translate_drive = [](const std::string& drive) {
        return translate(with(test::devnull_launch("/app"), devnull_drive, drive));
    };
    CHECK_THROWS_WITH(translate_drive("file=iscsi://127.0.0.1/iqn.2024-01.test:t/0,format=raw,id=hd0,if=none"),
                      Catch::Contains("protocol 'iscsi' is not supported"));
    CHECK_THROWS_WITH(translate_drive("file=gluster+tcp://h:24007/vol/img,format=raw,id=hd0,if=none"),
                      Catch::Contains("protocol 'gluster+tcp' is not supported"));
    CHECK_THROWS_WITH(translate_drive("file=rbd:pool/img:auth_supported=none,format=raw,id=hd0,if=none"),
                      Catch::Contains("protocol 'rbd' is not supported"));
    CHECK_THROWS_WITH(translate_drive("file=nbd:host:notaport,format=raw,id=hd0,if=none"),
                      Catch::Contains("not a port number"));
    CHECK_THROWS_WITH(translate_drive("file=ssh://u:pw@h/x.img,format=raw,id=hd0,if=none"),
                      Catch::Contains("no password"));
    CHECK_THROWS_WITH(translate_drive("file=http://h:80/x?socket=/s,format=raw,snapshot=on,id=hd0,if=none"),
                      Catch::Contains("Unix socket"));
    // A local name with a colon after a slash is a file, as qemu reads it.
    const auto d = one_disk("file=/tmp/a:b.img,format=raw,id=hd0,if=none");
    CHECK_FALSE(d.remote);
    CHECK(d.path == "/tmp/a:b.img");
}

TEST_CASE("discard= and file.backing.file.locking= reach the DiskSpec", "[unit][translation]")
{
    CHECK(one_disk("file=/x.img,format=raw,discard=unmap,id=hd0,if=none").discard);
    CHECK_FALSE(one_disk("file=/x.img,format=raw,discard=ignore,id=hd0,if=none").discard);
    CHECK_FALSE(one_disk("file=/x.img,format=raw,id=hd0,if=none").discard);
    const auto ro = one_disk("file.file.filename=/tmp/o.qcow2,file.driver=qcow2,file.backing.file.locking=off,"
                             "cache=unsafe,id=hd0,if=none");
    CHECK_FALSE(ro.lock_backing);
    CHECK(one_disk("file=/x.img,format=raw,id=hd0,if=none").lock_backing);
}
