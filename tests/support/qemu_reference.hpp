// How tests and benchmarks run stock libguestfs on its own appliance under QEMU,
// the reference guestuml is compared with and timed against.
#pragma once

#include <string>
#include <vector>

namespace guestuml::test {

// NAME=VALUE settings for the reference run. TCG is forced because on nested
// VMs /dev/kvm may exist and yet hang the guest after the BIOS (our 2-core CI
// machines, 2026-12-05): the reference must be QEMU as it runs where KVM does
// not work, which is what guestuml replaces.
inline const std::vector<std::string> qemu_reference_settings{"LIBGUESTFS_BACKEND=direct",
                                                              "LIBGUESTFS_BACKEND_SETTINGS=force_tcg"};

// guestuml's settings (what `guestuml env` points libguestfs at), which the
// reference run drops.
inline const std::vector<std::string> qemu_reference_dropped{"LIBGUESTFS_HV", "LIBGUESTFS_PATH"};

// A shell prefix (ends in a newline) that drops qemu_reference_dropped and
// applies qemu_reference_settings, for a command line run by sh.
inline std::string qemu_reference_shell_prefix()
{
    std::string prefix = "unset";
    for (const auto& name : qemu_reference_dropped)
        prefix += " " + name;
    prefix += "; export";
    for (const auto& setting : qemu_reference_settings)
        prefix += " " + setting;
    return prefix + "\n";
}

// argv run through env(1) with qemu_reference_dropped dropped and
// qemu_reference_settings applied, for a command started without a shell.
inline std::vector<std::string> qemu_reference_argv(const std::vector<std::string>& argv)
{
    std::vector<std::string> full{"env"};
    for (const auto& name : qemu_reference_dropped)
        full.insert(full.end(), {"-u", name});
    full.insert(full.end(), qemu_reference_settings.begin(), qemu_reference_settings.end());
    full.insert(full.end(), argv.begin(), argv.end());
    return full;
}

} // namespace guestuml::test
