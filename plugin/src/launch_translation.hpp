// Turns the qemu command line of a libguestfs launch into a guestuml
// LaunchConfig. Pure (no I/O) except check_uml_kernel().
#pragma once

#include "qemu_args.hpp"

#include "guestuml/uml_instance.hpp"

#include <boost/filesystem/path.hpp>
#include <string>
#include <vector>

namespace guestuml::plugin {

struct LaunchPlan {
    // Everything but channel_fd and console, which the caller wires up.
    LaunchConfig config;
    // libguestfs's listening socket for guestfsd's channel (-chardev socket,path=).
    boost::filesystem::path channel_socket;
    // -serial stdio: console lines go to standard output.
    bool console_to_stdout = false;
    // Remarks for standard error (an option accepted with a different effect).
    std::vector<std::string> notes;
};

// Smallest guest memory the UML appliance boots with, in MiB.
inline constexpr unsigned min_memory_mb = 128;

// Throws Error naming the option when the command line asks for something the
// UML appliance cannot do (a network, a display, an unattached or remote drive,
// a drive option with no UML equivalent).
LaunchPlan translate_launch(const QemuCommandLine& cmd);

// Throws Error unless kernel is a UML kernel (an ELF executable), with advice
// when it is a PC kernel image (libguestfs is not using the guestuml appliance).
void check_uml_kernel(const boost::filesystem::path& kernel);

} // namespace guestuml::plugin
