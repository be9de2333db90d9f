// The qemu command line as libguestfs's direct backend writes it, parsed into
// a structure. Pure: no I/O, so it is unit tested with real captured argv.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace guestuml::plugin {

// One option value in qemu's "key=value,key=value" syntax, in order.
struct OptionList {
    std::vector<std::pair<std::string, std::string>> items;

    // The value of the last occurrence of key, or nullopt.
    std::optional<std::string> get(std::string_view key) const;
};

// Splits text the way qemu's option parser does: ",," is a literal comma, a bare
// "flag" means flag=on, and a leading bare value is stored under implied_key
// ("scsi-hd,drive=hd0" with implied_key "driver" gives driver=scsi-hd).
// Throws Error on an empty key or a bare value where none is allowed.
OptionList parse_option_list(std::string_view text, std::string_view implied_key = {});

struct QemuCommandLine {
    // Probes: qemu prints an answer and exits.
    bool help = false;                      // -help, -h
    bool version = false;                   // -version
    bool device_help = false;               // -device ? / -device help
    bool machine_help = false;              // -machine help / -M ?
    bool cpu_help = false;                  // -cpu help
    std::optional<std::string> qmp;         // -qmp CHARDEV

    // The guest.
    std::optional<std::string> memory;      // -m, as given
    std::optional<std::string> smp;         // -smp, as given
    std::optional<std::string> kernel;      // -kernel
    std::optional<std::string> initrd;      // -initrd
    std::optional<std::string> append;      // -append
    std::vector<OptionList> drives;         // -drive
    std::vector<OptionList> devices;        // -device, "driver" first
    std::vector<OptionList> chardevs;       // -chardev, "backend" first
    std::vector<OptionList> objects;        // -object, "qom-type" first
    std::vector<OptionList> netdevs;        // -netdev, "type" first
    std::vector<std::string> serials;       // -serial
    std::vector<std::string> displays;      // -display
    // Options that change nothing for a UML guest, as given ("-no-hpet", "-cpu max").
    std::vector<std::string> harmless;
};

// Parses argv without argv[0]. Throws Error naming an unknown option, a missing
// argument, or an option value qemu itself would refuse to parse.
QemuCommandLine parse_qemu_args(const std::vector<std::string>& args);

} // namespace guestuml::plugin
