#include "guestuml/uml_command_line.hpp"

#include "guestuml/error.hpp"

#include <algorithm>
#include <cctype>
#include <fmt/format.h>

namespace guestuml {
namespace {

constexpr unsigned min_memory_mb = 64;
constexpr unsigned max_memory_mb = 64 * 1024;
constexpr size_t max_umid_length = 63;   // UML's UMID_LEN is 64 with the terminator

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// UML hands its argv to the kernel's parameter parser as one space-separated line,
// and the ubd, channel and virtio_uml parsers split their values on ',' and ':'.
void check_path(std::string_view what, const boost::filesystem::path& path)
{
    const std::string s = path.string();
    if (s.empty())
        throw Error(fmt::format("UML command line: {}: empty path", what));
    for (char c : s) {
        if (c == ',' || c == ':' || c == '"' || is_space(c) || std::iscntrl(static_cast<unsigned char>(c)))
            throw Error(fmt::format("UML command line: {} {}: the path contains '{}', which UML's parser "
                                    "splits on; use a path without ',', ':', quotes or whitespace",
                                    what, s, c == '\n' ? std::string("\\n") : std::string(1, c)));
    }
}

void check_umid(const std::string& umid)
{
    if (umid.empty() || umid.size() > max_umid_length)
        throw Error(fmt::format("UML command line: umid '{}': must be 1 to {} characters", umid, max_umid_length));
    const bool ok = std::all_of(umid.begin(), umid.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    });
    if (!ok)
        throw Error(fmt::format("UML command line: umid '{}': only letters, digits, '-' and '_' are allowed", umid));
}

void check_extra_arg(const std::string& arg)
{
    if (arg.empty())
        throw Error("UML command line: empty extra kernel parameter");
    if (std::any_of(arg.begin(), arg.end(), [](char c) { return is_space(c) || std::iscntrl(static_cast<unsigned char>(c)); }))
        throw Error(fmt::format("UML command line: kernel parameter '{}' contains whitespace; "
                                "UML would split it into several parameters", arg));
}

} // namespace

std::vector<std::string> build_uml_argv(const UmlCommandLine& cmd)
{
    if (cmd.kernel.empty())
        throw Error("UML command line: no kernel given");
    if (cmd.memory_mb < min_memory_mb || cmd.memory_mb > max_memory_mb)
        throw Error(fmt::format("UML command line: memory {} MB out of range ({} to {} MB)",
                                cmd.memory_mb, min_memory_mb, max_memory_mb));
    check_umid(cmd.umid);
    check_path("uml_dir", cmd.uml_dir);
    check_path("appliance root", cmd.root);
    for (const auto& sock : cmd.block_sockets)
        check_path("disk socket", sock);
    if (!cmd.console_socket.empty())
        check_path("console socket", cmd.console_socket);
    for (const auto& arg : cmd.extra_args)
        check_extra_arg(arg);

    std::vector<std::string> argv{
        cmd.kernel.string(),
        fmt::format("mem={}M", cmd.memory_mb),
        "umid=" + cmd.umid,
        "uml_dir=" + cmd.uml_dir.string(),
        "ubd0r=" + cmd.root.string(),
        "root=/dev/ubda",
        "ro",
        "init=/init",
        // Registering the 256 legacy BSD ptys costs seconds of UML boot; nothing uses them.
        "pty.legacy_count=0",
        "con=null",
        "ssl=null",
        cmd.console_fd >= 0 ? fmt::format("con0=null,fd:{}", cmd.console_fd) : std::string("con0=null"),
    };
    if (cmd.loops_per_jiffy > 0)
        argv.push_back(fmt::format("lpj={}", cmd.loops_per_jiffy));
    if (cmd.serial_channel_fd >= 0) {
        argv.push_back(fmt::format("ssl3=fd:{}", cmd.serial_channel_fd));
        argv.emplace_back("guestfs_channel=/dev/ttyS3");
    }
    for (const auto& sock : cmd.block_sockets)
        argv.push_back(fmt::format("virtio_uml.device={}:2", sock.string()));
    if (!cmd.console_socket.empty())
        argv.push_back(fmt::format("virtio_uml.device={}:3", cmd.console_socket.string()));
    argv.insert(argv.end(), cmd.extra_args.begin(), cmd.extra_args.end());
    return argv;
}

} // namespace guestuml
