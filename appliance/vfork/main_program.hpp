// Where guestfsd is loaded and which build it is: what the preload's
// constructors compare with the builds they have vetted.
#pragma once

#include <cstddef>
#include <cstdint>

namespace guestuml::vfork {

// Longer build IDs than this are not in the vetted lists.
inline constexpr std::size_t max_build_id = 32;

struct MainProgram {
    std::uintptr_t load_address = 0;
    char build_id[2 * max_build_id + 1] = {};   // lower-case hex, empty if none
};

// The main program's load address and GNU build ID.
MainProgram main_program();

} // namespace guestuml::vfork
