// The sandbox UML runs in, applied to a probe program that tries what UML must
// never do: read or write a user's image, read other host files, reach the
// network, run host programs. Each must fail; writing its own directory must not.
#include "guestuml/process.hpp"
#include "guestuml/sandbox.hpp"
#include "guestuml/temp_dir.hpp"
#include "guestuml/uml_sandbox.hpp"
#include "guestuml/unique_fd.hpp"
#include "read_fd.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <boost/filesystem/operations.hpp>
#include <fstream>
#include <map>
#include <netinet/in.h>
#include <sstream>
#include <sys/socket.h>
#include <unistd.h>

namespace fs = boost::filesystem;
using namespace guestuml;

namespace {

std::string file_bytes(const fs::path& p)
{
    std::ifstream in(p.string(), std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

// A TCP listener on the host's loopback: what a sandbox escape would reach.
struct Listener {
    UniqueFd fd;
    int port = 0;
    Listener()
    {
        fd.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        REQUIRE(fd);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        REQUIRE(::listen(fd.get(), 4) == 0);
        socklen_t len = sizeof a;
        REQUIRE(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len) == 0);
        port = ntohs(a.sin_port);
    }
};

} // namespace

TEST_CASE("UML's sandbox refuses images, host files, the network and host programs", "[sandbox]")
{
    TempDir dir("guestuml-sandbox-test");
    const fs::path image = dir.path() / "user.img", outside = dir.path() / "outside.txt";
    const fs::path uml_dir = dir.path() / "uml", memory = dir.path() / "memory", root = dir.path() / "root.img";
    fs::create_directory(uml_dir);
    fs::create_directory(memory);
    std::ofstream(image.string()) << std::string(4096, 'x');
    std::ofstream(outside.string()) << "secret";
    std::ofstream(root.string()) << "appliance";
    const std::string image_before = file_bytes(image);
    Listener listener;

    // The probe stands in for the kernel binary: the policy lets it be executed.
    Sandbox sandbox(uml_sandbox_policy({GUESTUML_SANDBOX_PROBE, root, uml_dir, memory}));
    INFO("Landlock ABI " << sandbox.landlock_abi() << "; " << sandbox.warning());
    REQUIRE(sandbox.landlock_abi() >= 1); // this machine's kernel has Landlock: it must be used

    auto [out_read, out_write] = make_pipe();
    SpawnOptions opts;
    opts.argv = {GUESTUML_SANDBOX_PROBE, image.string(), outside.string(), std::to_string(listener.port),
                 uml_dir.string()};
    opts.fds = {{out_write.get(), 1}};
    opts.sandbox = &sandbox;
    Process probe(opts);
    out_write.reset();
    const std::string output = test::read_until_eof(out_read.get());
    REQUIRE(probe.wait() == 0);

    std::map<std::string, std::string> result;
    std::istringstream lines(output);
    for (std::string line; std::getline(lines, line);) {
        auto space = line.find(' ');
        result[line.substr(0, space)] = line.substr(space + 1);
    }
    INFO(output);
    for (const char* forbidden : {"write-image", "read-image", "read-outside", "read-etc-shadow", "connect-tcp4",
                                  "connect-tcp6", "socket-netlink", "exec-host-shell"}) {
        INFO(forbidden);
        REQUIRE(result.count(forbidden) == 1);
        CHECK(result[forbidden].rfind("denied", 0) == 0);
    }
    CHECK(result["socket-unix"] == "allowed");     // vhost-user and mconsole need it
    CHECK(result["write-own-dir"] == "allowed");   // uml_dir
    CHECK(fs::exists(uml_dir / "probe-file"));
    CHECK(file_bytes(image) == image_before);
}
