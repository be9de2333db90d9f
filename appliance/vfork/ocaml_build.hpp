// guestfsd's OCaml runtime, where vetted_ocaml_forks.hpp describes its build.
#pragma once

#include "vetted_ocaml_forks.hpp"

#include <cstdint>

namespace guestuml::vfork {

struct OcamlBuild {
    const VettedOcamlForks* vetted = nullptr;   // null: not a vetted guestfsd
    std::uintptr_t load = 0;                    // guestfsd's load address

    // An address in guestfsd, from its offset in the binary.
    std::uintptr_t address(std::uintptr_t offset) const { return load + offset; }
    // OCaml's domain state (Caml_state): where its fields are.
    std::uintptr_t caml_state() const { return *reinterpret_cast<const std::uintptr_t*>(address(vetted->caml_state)); }
    // A field of the domain state, by byte offset.
    std::uintptr_t& caml_field(std::uintptr_t offset) const
    {
        return *reinterpret_cast<std::uintptr_t*>(caml_state() + offset);
    }
};

// The build ocaml_forks.cpp's constructor found.
const OcamlBuild& ocaml_build();

} // namespace guestuml::vfork
