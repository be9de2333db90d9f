// The vhost-user wire format (QEMU's docs/interop/vhost-user.rst), as far as a
// device back end serving UML's virtio_uml driver needs it: message framing,
// file descriptors passed with SCM_RIGHTS, and the payload layouts.
#pragma once

#include "guestuml/unique_fd.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <vector>

namespace guestuml::vhost {

enum class Request : std::uint32_t {
    GetFeatures = 1,
    SetFeatures = 2,
    SetOwner = 3,
    ResetOwner = 4,
    SetMemTable = 5,
    SetLogBase = 6,
    SetLogFd = 7,
    SetVringNum = 8,
    SetVringAddr = 9,
    SetVringBase = 10,
    GetVringBase = 11,
    SetVringKick = 12,
    SetVringCall = 13,
    SetVringErr = 14,
    GetProtocolFeatures = 15,
    SetProtocolFeatures = 16,
    GetQueueNum = 17,
    SetVringEnable = 18,
    SetSlaveReqFd = 21,
    GetConfig = 24,
    SetConfig = 25,
};

inline constexpr std::uint32_t kFlagVersion = 0x1;
inline constexpr std::uint32_t kFlagVersionMask = 0x3;
inline constexpr std::uint32_t kFlagReply = 1u << 2;
inline constexpr std::uint32_t kFlagNeedReply = 1u << 3;

inline constexpr unsigned kFeatureProtocolFeatures = 30;
inline constexpr unsigned kProtocolFeatureReplyAck = 3;
inline constexpr unsigned kProtocolFeatureSlaveReq = 5;
inline constexpr unsigned kProtocolFeatureConfig = 9;

// SET_VRING_KICK/CALL/ERR: the low byte is the queue, this bit means "no fd".
inline constexpr std::uint64_t kVringIndexMask = 0xff;
inline constexpr std::uint64_t kVringNoFd = 1u << 8;

// Bounds that keep a misbehaving front end from making us allocate much.
inline constexpr std::size_t kMaxPayload = 4096;
inline constexpr std::size_t kMaxFds = 8;
inline constexpr std::size_t kMaxMemRegions = 8;

#pragma pack(push, 1)
struct Header {
    std::uint32_t request = 0;
    std::uint32_t flags = 0;
    std::uint32_t size = 0;
};

struct VringState {
    std::uint32_t index = 0;
    std::uint32_t num = 0;
};

struct VringAddr {
    std::uint32_t index = 0;
    std::uint32_t flags = 0;
    std::uint64_t desc = 0;
    std::uint64_t used = 0;
    std::uint64_t avail = 0;
    std::uint64_t log = 0;
};

struct MemRegion {
    std::uint64_t guest_addr = 0;
    std::uint64_t size = 0;
    std::uint64_t user_addr = 0;
    std::uint64_t mmap_offset = 0;
};

struct MemTableHeader {
    std::uint32_t num = 0;
    std::uint32_t padding = 0;
};

struct ConfigHeader {
    std::uint32_t offset = 0;
    std::uint32_t size = 0;
    std::uint32_t flags = 0;
};
#pragma pack(pop)

struct Message {
    Header header;
    std::vector<std::byte> payload;
    std::vector<UniqueFd> fds;

    Request request() const { return static_cast<Request>(header.request); }
    bool needs_reply() const { return (header.flags & kFlagNeedReply) != 0; }

    // The payload at offset read as a T; nullopt if it is too short.
    template <class T>
    std::optional<T> read(std::size_t offset = 0) const
    {
        if (offset > payload.size() || payload.size() - offset < sizeof(T))
            return std::nullopt;
        T value;
        std::memcpy(&value, payload.data() + offset, sizeof(T));
        return value;
    }
};

// Reads one message (blocking). Returns nullopt when the peer closed the
// connection between messages. Throws Error on malformed input or I/O errors.
std::optional<Message> receive_message(int socket);

// Sends a reply to request carrying payload. Throws Error.
void send_reply(int socket, const Header& request, std::span<const std::byte> payload);

// Sends a reply carrying one u64 (feature words, REPLY_ACK status). Throws Error.
void send_reply_u64(int socket, const Header& request, std::uint64_t value);

} // namespace guestuml::vhost
