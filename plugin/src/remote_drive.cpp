#include "remote_drive.hpp"

#include "guestuml/error.hpp"

#include <charconv>
#include <fmt/format.h>

namespace guestuml::plugin {
namespace {

unsigned parse_port(const std::string& file, std::string_view text)
{
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
    if (ec != std::errc() || end != text.data() + text.size() || port == 0 || port > 65535)
        throw Error(fmt::format("remote drive '{}': '{}' is not a port number", file, text));
    return port;
}

int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// libxml2's xmlSaveUri %-escapes what a URI cannot hold; ssh wants the plain path.
std::string percent_decode(const std::string& file, std::string_view text)
{
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        const int hi = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
        const int lo = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
        if (hi < 0 || lo < 0)
            throw Error(fmt::format("remote drive '{}': bad %-escape in '{}'", file, text));
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

// nbd:HOST:PORT[:exportname=NAME] or nbd:unix:SOCKET[:exportname=NAME]
RemoteSource parse_nbd(const std::string& file)
{
    RemoteSource r;
    r.protocol = "nbd";
    std::string rest = file.substr(4);
    if (const auto e = rest.find(":exportname="); e != std::string::npos) {
        r.path = rest.substr(e + 12);
        rest.erase(e);
    }
    if (rest.starts_with("unix:")) {
        r.socket = rest.substr(5);
        if (r.socket.empty())
            throw Error(fmt::format("remote drive '{}': no socket path", file));
        return r;
    }
    const auto colon = rest.rfind(':');
    if (colon == std::string::npos || colon == 0)
        throw Error(fmt::format("remote drive '{}': expected nbd:HOST:PORT or nbd:unix:SOCKET", file));
    r.host = rest.substr(0, colon);
    if (r.host.size() > 2 && r.host.front() == '[' && r.host.back() == ']')
        r.host = r.host.substr(1, r.host.size() - 2);
    r.port = parse_port(file, std::string_view(rest).substr(colon + 1));
    return r;
}

RemoteSource parse_url(const std::string& file, const std::string& scheme)
{
    RemoteSource r;
    r.protocol = scheme;
    r.url = file;
    std::string_view rest = std::string_view(file).substr(scheme.size() + 3);
    const auto path_start = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, path_start);
    std::string_view path = path_start == std::string_view::npos ? "" : rest.substr(path_start);
    if (const auto q = path.find('?'); q != std::string_view::npos) {
        // libguestfs writes ?socket= for a Unix-socket transport; qemu's curl and
        // ssh drivers have none.
        throw Error(fmt::format("remote drive '{}': {} over a Unix socket is not supported", file, scheme));
    }
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        const std::string_view userinfo = authority.substr(0, at);
        authority.remove_prefix(at + 1);
        const auto colon = userinfo.find(':');
        r.user = percent_decode(file, userinfo.substr(0, colon));
        if (colon != std::string_view::npos && scheme == "ssh")
            throw Error(fmt::format("remote drive {}://{}@...: qemu's ssh driver takes no password; use "
                                    "ssh-agent or a key", scheme, r.user));
    }
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos)
            throw Error(fmt::format("remote drive '{}': unclosed '[' in the host", file));
        r.host = authority.substr(1, close - 1);
        authority.remove_prefix(close + 1);
        if (!authority.empty() && authority.front() == ':')
            r.port = parse_port(file, authority.substr(1));
    } else {
        const auto colon = authority.find(':');
        r.host = authority.substr(0, colon);
        if (colon != std::string_view::npos)
            r.port = parse_port(file, authority.substr(colon + 1));
    }
    if (r.host.empty())
        throw Error(fmt::format("remote drive '{}': no server", file));
    r.path = scheme == "ssh" ? percent_decode(file, path) : std::string(path);
    if (r.path.empty() || r.path == "/")
        throw Error(fmt::format("remote drive '{}': no path on the server", file));
    return r;
}

} // namespace

std::optional<RemoteSource> parse_remote_drive(const std::string& file)
{
    const auto colon = file.find(':');
    if (file.empty() || colon == std::string::npos || colon == 0 || file.find('/') < colon)
        return std::nullopt;
    const std::string prefix = file.substr(0, colon);
    if (prefix == "nbd")
        return parse_nbd(file);
    const bool url = file.compare(colon, 3, "://") == 0;
    // gluster+tcp://, nbd+unix:// ...: the scheme names a transport too.
    const std::string protocol = prefix.substr(0, prefix.find('+'));
    if (url && prefix == protocol && is_supported_protocol(protocol))
        return parse_url(file, protocol);
    throw Error(fmt::format("remote drive '{}': protocol '{}' is not supported by guestuml (supported: nbd, "
                            "http, https, ftp, ftps, ssh)", file, prefix));
}

} // namespace guestuml::plugin
