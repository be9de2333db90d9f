#include "guestfsd_client.hpp"

#include "guestuml/error.hpp"

#include <cerrno>
#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>

namespace guestuml::test {
namespace {

// From libguestfs 1.48's generator (XDR.ml, proc_nr.ml).
constexpr std::uint32_t program = 0x2000F5F5;
constexpr std::uint32_t protocol_version = 4;
constexpr std::uint32_t progress_flag = 0xffff5555;
constexpr std::uint32_t proc_mount = 1, proc_sync = 2, proc_touch = 3, proc_list_devices = 7, proc_umount = 45;
constexpr size_t progress_size = 24;

void put_u32(std::string& out, std::uint32_t v)
{
    for (int shift = 24; shift >= 0; shift -= 8)
        out += static_cast<char>((v >> shift) & 0xff);
}

void put_u64(std::string& out, std::uint64_t v)
{
    put_u32(out, static_cast<std::uint32_t>(v >> 32));
    put_u32(out, static_cast<std::uint32_t>(v));
}

void put_string(std::string& out, const std::string& s)
{
    put_u32(out, static_cast<std::uint32_t>(s.size()));
    out += s;
    out.append((4 - s.size() % 4) % 4, '\0');
}

struct Reader {
    const std::string& data;
    size_t pos = 0;

    std::uint32_t u32()
    {
        if (pos + 4 > data.size())
            throw Error("guestfsd reply: truncated");
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i)
            v = (v << 8) | static_cast<unsigned char>(data[pos++]);
        return v;
    }
    std::uint64_t u64() { return (static_cast<std::uint64_t>(u32()) << 32) | u32(); }
    std::string string()
    {
        const std::uint32_t len = u32();
        if (pos + len > data.size())
            throw Error("guestfsd reply: truncated string");
        std::string s = data.substr(pos, len);
        pos += len + (4 - len % 4) % 4;
        return s;
    }
};

} // namespace

void GuestfsdClient::write_all(const std::string& data)
{
    size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            throw_errno("guestfsd channel: write");
        done += static_cast<size_t>(n);
    }
}

std::string GuestfsdClient::read_exact(size_t size)
{
    std::string out(size, '\0');
    size_t done = 0;
    while (done < size) {
        pollfd p{fd_, POLLIN, 0};
        const int ready = ::poll(&p, 1, static_cast<int>(timeout_.count()));
        if (ready == 0)
            throw Error(fmt::format("guestfsd channel: no reply within {} ms", timeout_.count()));
        if (ready == -1 && errno == EINTR)
            continue;
        const ssize_t n = ::read(fd_, out.data() + done, size - done);
        if (n == -1 && errno == EINTR)
            continue;
        if (n <= 0)
            throw Error("guestfsd channel: closed while reading a reply");
        done += static_cast<size_t>(n);
    }
    return out;
}

std::string GuestfsdClient::call(std::uint32_t proc, const std::string& args, std::uint64_t optargs_bitmask)
{
    const std::uint32_t serial = serial_++;
    std::string msg;
    put_u32(msg, program);
    put_u32(msg, protocol_version);
    put_u32(msg, proc);
    put_u32(msg, 0);   // call
    put_u32(msg, serial);
    put_u64(msg, 0);   // progress hint
    put_u64(msg, optargs_bitmask);
    put_u32(msg, 0);   // status OK
    msg += args;
    std::string frame;
    put_u32(frame, static_cast<std::uint32_t>(msg.size()));
    write_all(frame + msg);

    for (;;) {
        const std::string len_bytes = read_exact(4);
        const std::uint32_t len = Reader{len_bytes}.u32();
        if (len == progress_flag) {
            read_exact(progress_size);
            continue;
        }
        if (len > 4 * 1024 * 1024)
            throw Error(fmt::format("guestfsd channel: implausible message length {:#x}", len));
        const std::string reply = read_exact(len);
        Reader r{reply};
        const std::uint32_t prog = r.u32(), vers = r.u32(), rproc = r.u32(), direction = r.u32(), rserial = r.u32();
        r.u64();
        r.u64();
        const std::uint32_t status = r.u32();
        if (prog != program || vers != protocol_version || direction != 1 || rproc != proc || rserial != serial)
            throw Error(fmt::format("guestfsd channel: unexpected reply (prog {:#x} proc {} serial {})", prog, rproc, rserial));
        if (status != 0) {
            const std::string err_name = r.string();
            throw Error(fmt::format("guestfsd call {} failed: {} ({})", proc, r.string(), err_name));
        }
        return reply.substr(r.pos);
    }
}

std::vector<std::string> GuestfsdClient::list_devices()
{
    const std::string ret = call(proc_list_devices, {});
    Reader r{ret};
    std::vector<std::string> devices(r.u32());
    for (auto& d : devices)
        d = r.string();
    return devices;
}

void GuestfsdClient::mount(const std::string& device, const std::string& mountpoint)
{
    std::string args;
    put_string(args, device);
    put_string(args, mountpoint);
    call(proc_mount, args);
}

void GuestfsdClient::umount(const std::string& path)
{
    std::string args;
    put_string(args, path);
    put_u32(args, 0);   // force (optional, not set)
    put_u32(args, 0);   // lazyunmount (optional, not set)
    call(proc_umount, args);
}

void GuestfsdClient::touch(const std::string& path)
{
    std::string args;
    put_string(args, path);
    call(proc_touch, args);
}

void GuestfsdClient::sync() { call(proc_sync, {}); }

} // namespace guestuml::test
