#include "uml_channel_guest.hpp"

#include "guestuml/error.hpp"
#include "guestuml/run_command.hpp"

#include <boost/filesystem/operations.hpp>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

namespace fs = boost::filesystem;

namespace guestuml::channel_test {

namespace {

const char* const kUml = "/usr/bin/linux.uml";
const char* const kModule = "/usr/lib/uml/modules/6.1.176/kernel/drivers/char/virtio_console.ko";

void require_file(const fs::path& path, const char* what)
{
    if (!fs::exists(path))
        throw Error(fmt::format("{} not found at {}", what, path.string()));
}

} // namespace

UmlChannelGuest::UmlChannelGuest(const std::string& mode, std::uint64_t bytes, const std::string& io)
    : dir_("channel-test")
{
    require_file(kUml, "the UML kernel (package user-mode-linux)");
    require_file(kModule, "virtio_console.ko (package user-mode-linux)");
    require_file(CHANNEL_GUEST_PROGRAM, "the channel_guest program");

    const fs::path root = dir_.path() / "root";
    for (const char* sub : {"dev", "sys", "proc"})
        fs::create_directories(root / sub);
    fs::copy_file(CHANNEL_GUEST_PROGRAM, root / "init");
    fs::copy_file(kModule, root / "virtio_console.ko");
    const fs::path image = dir_.path() / "root.img";
    run_command_checked({"mke2fs", "-q", "-F", "-t", "ext2", "-d", root.string(), image.string(), "16M"});

    FdPair pair = make_socketpair();
    host_end_ = std::move(pair.first);
    server_end_ = std::move(pair.second);
    const fs::path socket = dir_.path() / "console.sock";
    server_ = std::make_unique<vhost::VirtioConsoleServer>(socket, server_end_.get());

    UniqueFd log(::open((dir_.path() / "console.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!log)
        throw_errno("creating the console log");
    const fs::path uml_dir = dir_.path() / "uml";
    fs::create_directories(uml_dir);
    SpawnOptions options;
    options.argv = {kUml,
                    "mem=256M",
                    "ubd0r=" + image.string(),
                    "root=/dev/ubda",
                    "ro",
                    "init=/init",
                    "con=null",
                    "ssl=null",
                    "con0=null,fd:1",
                    "uml_dir=" + uml_dir.string(),
                    "umid=channel",
                    "virtio_uml.device=" + socket.string() + ":3",
                    "chmode=" + mode,
                    fmt::format("chbytes={}", bytes),
                    "chio=" + io};
    options.extra_env = {"TMPDIR=" + dir_.path().string()};
    options.fds = {{log.get(), 1}, {log.get(), 2}};
    options.contain = true;
    uml_ = Process(options);
}

UmlChannelGuest::~UmlChannelGuest()
{
    uml_.kill();
    server_.reset();
}

std::string UmlChannelGuest::console_log() const
{
    std::ifstream in((dir_.path() / "console.log").string());
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

void UmlChannelGuest::wait_for(short events)
{
    pollfd p{host_end_.get(), events, 0};
    if (::poll(&p, 1, 30000) == 0)
        throw Error(fmt::format("no progress on the channel for 30 s; server error: '{}'; guest console:\n{}",
                                server_->error(), console_log()));
}

void UmlChannelGuest::send_all(const unsigned char* data, std::size_t size)
{
    while (size > 0) {
        wait_for(POLLOUT);
        ssize_t n = ::send(host_end_.get(), data, size, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n < 0)
            throw_errno("sending to the guest");
        data += n;
        size -= static_cast<std::size_t>(n);
    }
}

std::size_t UmlChannelGuest::receive_some(unsigned char* data, std::size_t size)
{
    while (true) {
        wait_for(POLLIN);
        ssize_t n = ::recv(host_end_.get(), data, size, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n <= 0)
            throw Error(fmt::format("the channel closed early; guest console:\n{}", console_log()));
        return static_cast<std::size_t>(n);
    }
}

void UmlChannelGuest::finish()
{
    const unsigned char ack = 1;
    send_all(&ack, 1);
    if (!uml_.wait_for(std::chrono::seconds(30)))
        throw Error(fmt::format("UML did not power off; console:\n{}", console_log()));
    // With the guest gone, the server ends by itself.
    for (int i = 0; i < 100 && !server_->finished(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

} // namespace guestuml::channel_test
