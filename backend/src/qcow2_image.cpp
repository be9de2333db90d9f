#include "qcow2_image.hpp"

#include "guestuml/error.hpp"
#include "guestuml/unique_fd.hpp"

#include <array>
#include <boost/filesystem/operations.hpp>
#include <cerrno>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace fs = boost::filesystem;

namespace guestuml {
namespace {

constexpr std::array<unsigned char, 4> magic{'Q', 'F', 'I', 0xfb};
constexpr uint32_t backing_format_extension = 0xe2792aca;
constexpr uint64_t incompatible_external_data = 1ull << 2;
constexpr uint64_t incompatible_extended_l2 = 1ull << 4;
// Bits 9-55 of an L1 or standard L2 entry hold a host offset.
constexpr uint64_t offset_mask = 0x00fffffffffffe00ull;
constexpr uint64_t compressed_flag = 1ull << 62;
// qemu refuses larger L1 tables; a bigger value means a damaged header.
constexpr uint64_t max_l1_entries = 32ull * 1024 * 1024;

uint64_t be(const unsigned char* p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i)
        v = (v << 8) | p[i];
    return v;
}

class ImageFile {
public:
    explicit ImageFile(const fs::path& path) : path_(path), fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC))
    {
        if (!fd_)
            throw_errno(fmt::format("disk {}", path.string()));
        struct stat st {};
        if (::fstat(fd_.get(), &st) == -1)
            throw_errno(fmt::format("disk {}", path.string()));
        size_ = S_ISBLK(st.st_mode) ? static_cast<uint64_t>(::lseek(fd_.get(), 0, SEEK_END))
                                    : static_cast<uint64_t>(st.st_size);
    }

    uint64_t size() const { return size_; }

    // Reads exactly n bytes at offset; false if the file ends first.
    bool read(uint64_t offset, void* buf, size_t n) const
    {
        auto* out = static_cast<unsigned char*>(buf);
        while (n > 0) {
            const ssize_t got = ::pread(fd_.get(), out, n, static_cast<off_t>(offset));
            if (got < 0) {
                if (errno == EINTR)
                    continue;
                throw_errno(fmt::format("disk {}: read at offset {}", path_.string(), offset));
            }
            if (got == 0)
                return false;
            out += got;
            n -= static_cast<size_t>(got);
            offset += static_cast<uint64_t>(got);
        }
        return true;
    }

private:
    fs::path path_;
    UniqueFd fd_;
    uint64_t size_ = 0;
};

struct Layout {
    Qcow2Header header;
    uint32_t cluster_bits = 16;
    uint64_t l1_entries = 0;
    uint64_t l1_offset = 0;
    uint64_t refcount_table_offset = 0;
    uint64_t refcount_table_bytes = 0;
    uint64_t snapshots = 0;
    uint64_t snapshots_offset = 0;
    uint64_t incompatible = 0;
};

[[noreturn]] void truncated(const fs::path& image, const std::string& what, uint64_t offset, uint64_t size)
{
    throw Error(fmt::format("disk {}: truncated or damaged qcow2: {} at offset {} lies beyond the end of the "
                            "file ({} bytes); 'qemu-img check' tells more",
                            image.string(), what, offset, size));
}

std::optional<Layout> read_layout(const ImageFile& file, const fs::path& image)
{
    std::array<unsigned char, 104> h{};
    if (!file.read(0, h.data(), 4) || !std::equal(magic.begin(), magic.end(), h.begin()))
        return std::nullopt;
    if (!file.read(0, h.data(), 72))
        throw Error(fmt::format("disk {}: truncated qcow2: the file ends inside its header", image.string()));
    Layout l;
    const uint64_t version = be(&h[4], 4);
    if (version != 2 && version != 3)
        throw Error(fmt::format("disk {}: qcow2 version {} is not one qemu knows", image.string(), version));
    uint64_t header_length = 72;
    if (version == 3) {
        if (!file.read(0, h.data(), h.size()))
            throw Error(fmt::format("disk {}: truncated qcow2: the file ends inside its header", image.string()));
        l.incompatible = be(&h[72], 8);
        header_length = be(&h[100], 4);
    }
    const uint64_t backing_offset = be(&h[8], 8);
    const uint64_t backing_size = be(&h[16], 4);
    l.cluster_bits = static_cast<uint32_t>(be(&h[20], 4));
    if (l.cluster_bits < 9 || l.cluster_bits > 21)
        throw Error(fmt::format("disk {}: damaged qcow2 header: cluster_bits {}", image.string(), l.cluster_bits));
    l.l1_entries = be(&h[36], 4);
    l.l1_offset = be(&h[40], 8);
    l.refcount_table_offset = be(&h[48], 8);
    l.refcount_table_bytes = be(&h[56], 4) << l.cluster_bits;
    l.snapshots = be(&h[60], 4);
    l.snapshots_offset = be(&h[64], 8);
    l.header.external_data_file = (l.incompatible & incompatible_external_data) != 0;

    if (backing_offset != 0) {
        if (backing_size == 0 || backing_size > 1023)
            throw Error(fmt::format("disk {}: damaged qcow2 header: backing file name of {} bytes",
                                    image.string(), backing_size));
        std::string name(backing_size, '\0');
        if (!file.read(backing_offset, name.data(), name.size()))
            truncated(image, "the backing file name", backing_offset, file.size());
        l.header.backing_file = name;
    }

    // Header extensions follow the header, each padded to 8 bytes, up to an
    // end marker (type 0); they live in the first cluster.
    const uint64_t cluster_size = 1ull << l.cluster_bits;
    uint64_t offset = header_length;
    while (offset + 8 <= cluster_size) {
        std::array<unsigned char, 8> ext{};
        if (!file.read(offset, ext.data(), ext.size()))
            break;
        const uint64_t type = be(&ext[0], 4);
        const uint64_t length = be(&ext[4], 4);
        if (type == 0)
            break;
        if (type == backing_format_extension && length > 0 && length < 64) {
            std::string format(length, '\0');
            if (file.read(offset + 8, format.data(), format.size()))
                l.header.backing_format = format;
        }
        offset += 8 + ((length + 7) & ~uint64_t{7});
    }
    return l;
}

std::vector<uint64_t> read_table(const ImageFile& file, uint64_t offset, uint64_t entries)
{
    std::vector<unsigned char> raw(entries * 8);
    if (!file.read(offset, raw.data(), raw.size()))
        return {};
    std::vector<uint64_t> out(entries);
    for (uint64_t i = 0; i < entries; ++i)
        out[i] = be(&raw[i * 8], 8);
    return out;
}

} // namespace

std::optional<Qcow2Header> read_qcow2_header(const fs::path& image)
{
    const ImageFile file(image);
    auto layout = read_layout(file, image);
    if (!layout)
        return std::nullopt;
    return layout->header;
}

void check_qcow2_complete(const fs::path& image)
{
    const ImageFile file(image);
    const auto layout = read_layout(file, image);
    if (!layout)
        return;
    const Layout& l = *layout;
    const uint64_t size = file.size();
    const uint64_t cluster_size = 1ull << l.cluster_bits;
    if (l.l1_entries > max_l1_entries)
        throw Error(fmt::format("disk {}: damaged qcow2 header: {} L1 entries", image.string(), l.l1_entries));
    if (l.refcount_table_offset + l.refcount_table_bytes > size)
        truncated(image, "the refcount table", l.refcount_table_offset, size);
    if (l.l1_entries && l.l1_offset + l.l1_entries * 8 > size)
        truncated(image, "the L1 table", l.l1_offset, size);
    if (l.snapshots && l.snapshots_offset >= size)
        truncated(image, "the snapshot table", l.snapshots_offset, size);

    // Extended L2 entries are 128 bits; the first 64 have the standard layout.
    const uint64_t entry_words = (l.incompatible & incompatible_extended_l2) ? 2 : 1;
    const uint64_t l2_entries = cluster_size / 8;
    const int compressed_offset_bits = 62 - (static_cast<int>(l.cluster_bits) - 8);
    const uint64_t compressed_offset_mask = (1ull << compressed_offset_bits) - 1;
    for (const uint64_t l1 : read_table(file, l.l1_offset, l.l1_entries)) {
        const uint64_t l2_offset = l1 & offset_mask;
        if (l2_offset == 0)
            continue;
        if (l2_offset + cluster_size > size)
            truncated(image, "an L2 table", l2_offset, size);
        if (l.header.external_data_file)
            continue;   // data clusters live in another file
        const auto l2 = read_table(file, l2_offset, l2_entries);
        for (uint64_t i = 0; i < l2.size(); i += entry_words) {
            const uint64_t entry = l2[i];
            const uint64_t host = (entry & compressed_flag) ? (entry & compressed_offset_mask) : (entry & offset_mask);
            // qemu-img check, too, tolerates a last cluster the file ends inside.
            if (host != 0 && host >= size)
                truncated(image, (entry & compressed_flag) ? "a compressed cluster" : "a data cluster", host, size);
        }
    }
}

bool names_protocol(const std::string& backing)
{
    const auto colon = backing.find(':');
    return colon != std::string::npos && colon > 0 && backing.find('/') > colon;
}

fs::path resolve_backing(const fs::path& image, const std::string& backing)
{
    const fs::path name(backing);
    if (name.is_absolute())
        return name;
    return fs::absolute(image).parent_path() / name;
}

} // namespace guestuml
