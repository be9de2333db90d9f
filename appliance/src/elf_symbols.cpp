#include "elf_symbols.hpp"

#include "guestuml/error.hpp"

#include <cstring>
#include <elf.h>
#include <fmt/format.h>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>

namespace guestuml {

namespace {

// The file's bytes, with reads that check their bounds: a truncated or
// hostile file gives an Error, never a read past the end.
class ElfImage {
public:
    explicit ElfImage(const boost::filesystem::path& file) : file_(file)
    {
        std::ifstream in(file.string(), std::ios::binary);
        if (!in)
            throw Error(fmt::format("cannot read {}", file.string()));
        bytes_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }

    template <typename T>
    T at(std::uint64_t offset) const
    {
        if (offset > bytes_.size() || bytes_.size() - offset < sizeof(T))
            malformed("a structure runs past the end of the file");
        T value;
        std::memcpy(&value, bytes_.data() + offset, sizeof(T));
        return value;
    }

    // The NUL-terminated string at offset within the section [start, start + size).
    std::string string_at(std::uint64_t start, std::uint64_t size, std::uint64_t offset) const
    {
        if (offset >= size || start > bytes_.size() || bytes_.size() - start < size)
            malformed("a name lies outside its string table");
        const char* begin = bytes_.data() + start + offset;
        const void* end = std::memchr(begin, '\0', size - offset);
        if (end == nullptr)
            malformed("a name is not terminated");
        return std::string(begin, static_cast<const char*>(end));
    }

    [[noreturn]] void malformed(const std::string& why) const
    {
        throw Error(fmt::format("{} is not a usable ELF file: {}", file_.string(), why));
    }

private:
    boost::filesystem::path file_;
    std::string bytes_;
};

struct Section {
    Elf64_Shdr header;
    std::uint64_t index;
};

std::optional<Section> find_section(const ElfImage& elf, const Elf64_Ehdr& eh, std::uint32_t type)
{
    for (std::uint64_t i = 0; i < eh.e_shnum; ++i) {
        const auto sh = elf.at<Elf64_Shdr>(eh.e_shoff + i * sizeof(Elf64_Shdr));
        if (sh.sh_type == type)
            return Section{sh, i};
    }
    return std::nullopt;
}

Elf64_Shdr section_at(const ElfImage& elf, const Elf64_Ehdr& eh, std::uint64_t index)
{
    if (index >= eh.e_shnum)
        elf.malformed("a section links to one that does not exist");
    return elf.at<Elf64_Shdr>(eh.e_shoff + index * sizeof(Elf64_Shdr));
}

// Version index -> name, from the versions the file defines and those it needs.
std::map<std::uint16_t, std::string> version_names(const ElfImage& elf, const Elf64_Ehdr& eh)
{
    std::map<std::uint16_t, std::string> names;
    if (const auto def = find_section(elf, eh, SHT_GNU_verdef)) {
        const Elf64_Shdr strtab = section_at(elf, eh, def->header.sh_link);
        std::uint64_t offset = def->header.sh_offset;
        for (std::uint64_t n = 0; n < def->header.sh_info; ++n) {
            const auto vd = elf.at<Elf64_Verdef>(offset);
            // The file's own base version (its soname) is not a symbol version.
            if (!(vd.vd_flags & VER_FLG_BASE) && vd.vd_cnt > 0) {
                const auto aux = elf.at<Elf64_Verdaux>(offset + vd.vd_aux);
                names[vd.vd_ndx] = elf.string_at(strtab.sh_offset, strtab.sh_size, aux.vda_name);
            }
            if (vd.vd_next == 0)
                break;
            offset += vd.vd_next;
        }
    }
    if (const auto need = find_section(elf, eh, SHT_GNU_verneed)) {
        const Elf64_Shdr strtab = section_at(elf, eh, need->header.sh_link);
        std::uint64_t offset = need->header.sh_offset;
        for (std::uint64_t n = 0; n < need->header.sh_info; ++n) {
            const auto vn = elf.at<Elf64_Verneed>(offset);
            std::uint64_t aux_offset = offset + vn.vn_aux;
            for (std::uint64_t a = 0; a < vn.vn_cnt; ++a) {
                const auto aux = elf.at<Elf64_Vernaux>(aux_offset);
                names[aux.vna_other] = elf.string_at(strtab.sh_offset, strtab.sh_size, aux.vna_name);
                if (aux.vna_next == 0)
                    break;
                aux_offset += aux.vna_next;
            }
            if (vn.vn_next == 0)
                break;
            offset += vn.vn_next;
        }
    }
    return names;
}

} // namespace

ElfDynamicInfo read_elf_dynamic_info(const boost::filesystem::path& file)
{
    const ElfImage elf(file);
    const auto eh = elf.at<Elf64_Ehdr>(0);
    if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
        elf.malformed("no ELF magic number");
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
        elf.malformed("not a 64-bit little-endian file");
    if (eh.e_shentsize != sizeof(Elf64_Shdr))
        elf.malformed("unexpected section header size");

    ElfDynamicInfo info;
    if (const auto dynamic = find_section(elf, eh, SHT_DYNAMIC)) {
        const Elf64_Shdr strtab = section_at(elf, eh, dynamic->header.sh_link);
        for (std::uint64_t off = 0; off + sizeof(Elf64_Dyn) <= dynamic->header.sh_size; off += sizeof(Elf64_Dyn)) {
            const auto dyn = elf.at<Elf64_Dyn>(dynamic->header.sh_offset + off);
            if (dyn.d_tag == DT_NULL)
                break;
            if (dyn.d_tag == DT_NEEDED)
                info.needed.push_back(elf.string_at(strtab.sh_offset, strtab.sh_size, dyn.d_un.d_val));
            else if (dyn.d_tag == DT_SONAME)
                info.soname = elf.string_at(strtab.sh_offset, strtab.sh_size, dyn.d_un.d_val);
        }
    }

    const auto dynsym = find_section(elf, eh, SHT_DYNSYM);
    if (!dynsym)
        return info;
    const Elf64_Shdr strtab = section_at(elf, eh, dynsym->header.sh_link);
    const auto versym = find_section(elf, eh, SHT_GNU_versym);
    const auto versions = version_names(elf, eh);
    const std::uint64_t count = dynsym->header.sh_size / sizeof(Elf64_Sym);
    for (std::uint64_t i = 1; i < count; ++i) {
        const auto sym = elf.at<Elf64_Sym>(dynsym->header.sh_offset + i * sizeof(Elf64_Sym));
        const unsigned bind = ELF64_ST_BIND(sym.st_info);
        if (bind != STB_GLOBAL && bind != STB_WEAK)
            continue;
        DynamicSymbol s;
        s.name = elf.string_at(strtab.sh_offset, strtab.sh_size, sym.st_name);
        s.defined = sym.st_shndx != SHN_UNDEF;
        const unsigned type = ELF64_ST_TYPE(sym.st_info);
        s.function = type == STT_FUNC || type == STT_GNU_IFUNC;
        s.weak = bind == STB_WEAK;
        if (versym) {
            const auto v = elf.at<Elf64_Half>(versym->header.sh_offset + i * sizeof(Elf64_Half));
            s.default_version = (v & 0x8000) == 0;
            if (const auto it = versions.find(v & 0x7fff); it != versions.end())
                s.version = it->second;
        }
        // Each version a library defines has an absolute symbol of its name.
        if (sym.st_shndx == SHN_ABS && s.name == s.version)
            continue;
        info.symbols.push_back(std::move(s));
    }
    return info;
}

} // namespace guestuml
