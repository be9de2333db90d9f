// What the dynamic linker sees of an ELF file: the libraries it needs, its
// soname and its dynamic symbols with their versions. Enough for the builder
// to decide which of guestfsd's libraries may be replaced by lazy stubs.
#pragma once

#include <boost/filesystem/path.hpp>
#include <string>
#include <vector>

namespace guestuml {

struct DynamicSymbol {
    std::string name;
    std::string version;      // empty when unversioned (or the file's base version)
    bool defined = false;     // false: the file imports it
    bool function = false;    // STT_FUNC or STT_GNU_IFUNC
    bool weak = false;
    bool default_version = true;   // false for an old "name@VERSION" kept for compatibility
};

struct ElfDynamicInfo {
    std::string soname;
    std::vector<std::string> needed;       // DT_NEEDED, in order
    std::vector<DynamicSymbol> symbols;    // global and weak ones only
};

// Reads a 64-bit little-endian ELF file's dynamic section and symbol table.
// Throws Error naming the file if it is not one or is malformed.
ElfDynamicInfo read_elf_dynamic_info(const boost::filesystem::path& file);

} // namespace guestuml
