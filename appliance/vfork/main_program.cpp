// The main program's load address and build ID, from the dynamic loader's
// list of loaded objects.
#include "main_program.hpp"

#include <algorithm>
#include <cstring>
#include <elf.h>
#include <link.h>

namespace guestuml::vfork {
namespace {

void to_hex(const unsigned char* bytes, std::size_t size, char* out)
{
    static constexpr char digits[] = "0123456789abcdef";
    for (std::size_t i = 0; i < size; ++i) {
        *out++ = digits[bytes[i] >> 4];
        *out++ = digits[bytes[i] & 0xf];
    }
    *out = '\0';
}

void find_build_id(const dl_phdr_info& info, MainProgram& program)
{
    for (int i = 0; i < info.dlpi_phnum; ++i) {
        const ElfW(Phdr)& ph = info.dlpi_phdr[i];
        if (ph.p_type != PT_NOTE)
            continue;
        // Notes are padded to their segment's alignment: 4, or 8 for some.
        const std::size_t align = ph.p_align == 8 ? 8 : 4;
        const auto padded = [align](std::size_t n) { return (n + align - 1) & ~(align - 1); };
        const auto* p = reinterpret_cast<const unsigned char*>(info.dlpi_addr + ph.p_vaddr);
        const auto* end = p + ph.p_memsz;
        while (end - p >= static_cast<std::ptrdiff_t>(sizeof(ElfW(Nhdr)))) {
            const auto* note = reinterpret_cast<const ElfW(Nhdr)*>(p);
            const unsigned char* name = p + sizeof(ElfW(Nhdr));
            if (static_cast<std::size_t>(end - name) < padded(note->n_namesz))
                break;
            const unsigned char* desc = name + padded(note->n_namesz);
            if (static_cast<std::size_t>(end - desc) < note->n_descsz)
                break;
            if (note->n_type == NT_GNU_BUILD_ID && note->n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0) {
                if (note->n_descsz <= max_build_id)
                    to_hex(desc, note->n_descsz, program.build_id);
                return;
            }
            p = desc + std::min(padded(note->n_descsz), static_cast<std::size_t>(end - desc));
        }
    }
}

} // namespace

MainProgram main_program()
{
    MainProgram program;
    // The main program is the first object dl_iterate_phdr reports.
    dl_iterate_phdr(
        [](dl_phdr_info* info, std::size_t, void* data) {
            auto* out = static_cast<MainProgram*>(data);
            out->load_address = info->dlpi_addr;
            find_build_id(*info, *out);
            return 1;
        },
        &program);
    return program;
}

} // namespace guestuml::vfork
