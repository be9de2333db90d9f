// Where guestuml's own helper programs are: installed under libexec, or in the
// build tree when the calling program runs from there.
#pragma once

#include <boost/filesystem/path.hpp>
#include <string_view>

namespace guestuml {

// Path of one of our programs: "guestuml-init", "udevadm" (the shim),
// "guestuml-qemu". $GUESTUML_LIBEXEC overrides the directory. Throws Error if it
// does not exist.
boost::filesystem::path helper_program(std::string_view name);

// The minimal kernel's build script, configuration and patches (appliance/kernel
// in the source tree, share/guestuml/kernel when installed).
// $GUESTUML_KERNEL_CONFIG_DIR overrides. Throws Error if it does not exist.
boost::filesystem::path kernel_config_dir();

} // namespace guestuml
