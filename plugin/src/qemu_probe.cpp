#include "qemu_probe.hpp"

#include <fmt/format.h>
#include <regex>

namespace guestuml::plugin {
namespace {

std::string version_line()
{
    return fmt::format("QEMU emulator version {}.{}.{} (guestuml-qemu: the libguestfs appliance on User-mode Linux)\n"
                       "Copyright (c) 2003-2022 Fabrice Bellard and the QEMU Project developers\n",
                       qemu_major, qemu_minor, qemu_micro);
}

// libguestfs looks for option names in this text with strstr(), so it lists
// exactly the options guestuml-qemu accepts.
std::string help_text()
{
    return version_line() + R"(usage: guestuml-qemu [options]

guestuml-qemu runs the guestuml appliance (a libguestfs fixed appliance whose
kernel is User-mode Linux) for libguestfs's direct backend. It understands the
qemu options libguestfs uses and refuses any other by name.

Standard options:
-h or -help     display this help and exit
-version        display version information and exit
-machine [type=]name[,prop[=value][,...]]
                accepted; UML is not a PC machine
-cpu cpu        accepted; UML runs on the host CPU
-accel accel    accepted
-smp [cpus=]n   accepted; the UML appliance has one CPU
-m [size=]megs  guest memory in MiB (at least 128)
-display none   no display
-nographic      no display
-nodefaults     accepted
-no-user-config accepted
-no-reboot      accepted
-no-hpet        accepted
-no-acpi        accepted
-enable-kvm     accepted; UML needs no KVM
-rtc [base=utc|localtime][,driftfix=slew]
                accepted
-global driver.prop=value
                accepted
-msg timestamp[=on|off]
                accepted
-name string    accepted

Block device options:
-drive [file=file][,if=none][,id=id][,format=f][,cache=c][,snapshot=on|off]
       [,file.file.filename=overlay,file.driver=qcow2][,discard=unmap|ignore]
       [,copy-on-read=on|off]
                a disk for the guest, attached with -device scsi-hd or virtio-blk-pci

Linux/Multiboot boot specific:
-kernel bzImage the UML kernel of the guestuml appliance
-initrd file    accepted and unused
-append cmdline kernel command line (PC-only parameters are dropped)

Character device options:
-chardev socket,id=id,path=path
                connect to a Unix socket (libguestfs's guestfsd channel)
-serial stdio   the appliance console on standard output
-qmp stdio      QMP monitor on standard input/output (probes only)

Device options:
-device driver[,prop[=value][,...]]
                see -device help
-object rng-random,id=id,filename=file
                accepted
)";
}

// Device names as qemu 7.2 lists them: libguestfs looks for them with strstr().
std::string device_list()
{
    return R"(Storage devices:
name "scsi-hd", bus SCSI, desc "virtual SCSI disk"
name "virtio-blk-pci", bus PCI, alias "virtio-blk"
name "virtio-scsi-pci", bus PCI, alias "virtio-scsi"

Input devices:
name "virtconsole", bus virtio-serial-bus
name "virtio-serial-pci", bus PCI, alias "virtio-serial"
name "virtserialport", bus virtio-serial-bus

Misc devices:
name "virtio-rng-pci", bus PCI, alias "virtio-rng"

)";
}

std::string machine_list()
{
    return "Supported machines are:\n"
           "pc                   User-mode Linux (guestuml-qemu) (default)\n"
           "none                 empty machine\n";
}

std::string cpu_list()
{
    return "Available CPUs:\n"
           "x86 host                  the host CPU (User-mode Linux runs on it directly)\n"
           "x86 max                   the host CPU\n";
}

// qemu's schema is large; libguestfs only looks for an object type with a
// "locking" member (mandatory image locking, qemu >= 2.10), so that is all we claim.
constexpr std::string_view qmp_schema_reply =
    R"("return": [{"name": "BlockdevOptionsFile", "meta-type": "object", "members": [)"
    R"({"name": "filename", "type": "str"}, {"name": "locking", "default": null, "type": "OnOffAuto"}]}, )"
    R"({"name": "str", "meta-type": "builtin", "json-type": "string"}, )"
    R"({"name": "OnOffAuto", "meta-type": "enum", "values": ["auto", "on", "off"]}])";

// Splits a stream into top-level JSON objects; returns how many bytes were consumed.
size_t split_objects(std::string_view text, std::vector<std::string_view>& objects)
{
    int depth = 0;
    bool in_string = false, escaped = false;
    size_t start = 0, consumed = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '{') {
            if (depth++ == 0)
                start = i;
        } else if (c == '}' && depth > 0) {
            if (--depth == 0) {
                objects.push_back(text.substr(start, i + 1 - start));
                consumed = i + 1;
            }
        } else if (depth == 0) {
            consumed = i + 1;   // whitespace between objects
        }
    }
    return consumed;
}

// The command name of a QMP request.
std::string json_execute(std::string_view object)
{
    static const std::regex pattern(R"re("execute"\s*:\s*"((?:[^"\\]|\\.)*)")re");
    std::match_results<std::string_view::const_iterator> m;
    if (std::regex_search(object.begin(), object.end(), m, pattern))
        return m[1].str();
    return {};
}

// The raw JSON value of "id" (string or number), which QMP echoes in the reply.
std::string json_id(std::string_view object)
{
    static const std::regex pattern(R"re("id"\s*:\s*("(?:[^"\\]|\\.)*"|-?[0-9]+))re");
    std::match_results<std::string_view::const_iterator> m;
    if (std::regex_search(object.begin(), object.end(), m, pattern))
        return m[1].str();
    return {};
}

std::string with_id(std::string reply_body, const std::string& id)
{
    if (id.empty())
        return fmt::format("{{{}}}\n", reply_body);
    return fmt::format("{{{}, \"id\": {}}}\n", reply_body, id);
}

std::string command_not_found(std::string_view command)
{
    return fmt::format(R"("error": {{"class": "CommandNotFound", "desc": "The command {} has not been found"}})", command);
}

std::string shutdown_event()
{
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
    return fmt::format(R"({{"timestamp": {{"seconds": {}, "microseconds": {}}}, "event": "SHUTDOWN", )"
                       R"("data": {{"guest": false, "reason": "host-qmp-quit"}}}})"
                       "\n",
                       us / 1000000, us % 1000000);
}

} // namespace

bool is_probe(const QemuCommandLine& cmd)
{
    return cmd.help || cmd.version || cmd.device_help || cmd.machine_help || cmd.cpu_help || cmd.qmp;
}

std::optional<std::string> probe_answer(const QemuCommandLine& cmd)
{
    // qemu handles these in command-line order and exits at the first; -help and
    // -version win over everything else in practice, and libguestfs never mixes them.
    if (cmd.help)
        return help_text();
    if (cmd.version)
        return version_line();
    if (cmd.device_help)
        return device_list();
    if (cmd.machine_help)
        return machine_list();
    if (cmd.cpu_help)
        return cpu_list();
    return std::nullopt;
}

std::string QmpResponder::greeting() const
{
    return fmt::format(R"({{"QMP": {{"version": {{"qemu": {{"micro": {}, "minor": {}, "major": {}}}, )"
                       R"("package": "guestuml-qemu"}}, "capabilities": ["oob"]}}}})"
                       "\n",
                       qemu_micro, qemu_minor, qemu_major);
}

std::string QmpResponder::feed(std::string_view input)
{
    pending_.append(input);
    std::vector<std::string_view> objects;
    const size_t consumed = split_objects(pending_, objects);
    std::string out;
    for (auto object : objects) {
        if (quit_)
            break;
        out += reply_to(object);
    }
    pending_.erase(0, consumed);
    return out;
}

std::string QmpResponder::reply_to(std::string_view command_json)
{
    const std::string command = json_execute(command_json);
    const std::string id = json_id(command_json);
    if (command.empty())
        return with_id(R"("error": {"class": "GenericError", "desc": "QMP input lacks member 'execute'"})", id);
    if (!negotiated_) {
        if (command != "qmp_capabilities")
            return with_id(R"("error": {"class": "CommandNotFound", "desc": "Expecting capabilities negotiation with 'qmp_capabilities'"})",
                           id);
        negotiated_ = true;
        return with_id(R"("return": {})", id);
    }
    if (command == "qmp_capabilities")
        return with_id(R"("error": {"class": "CommandNotFound", "desc": "Capabilities negotiation is already complete, command ignored"})",
                       id);
    // libguestfs asks whether guest code runs at native speed; under UML it
    // does. "false" would make it apply its emulation-only workarounds: each
    // launch would run "dmesg | grep lpj=" on the host (about 40 ms here) for a
    // delay-loop figure the UML kernel never uses.
    if (command == "query-kvm")
        return with_id(R"("return": {"enabled": true, "present": true})", id);
    if (command == "query-qmp-schema")
        return with_id(std::string(qmp_schema_reply), id);
    if (command == "query-version")
        return with_id(fmt::format(R"("return": {{"qemu": {{"micro": {}, "minor": {}, "major": {}}}, "package": "guestuml-qemu"}})",
                                   qemu_micro, qemu_minor, qemu_major),
                       id);
    if (command == "query-status")
        return with_id(R"("return": {"status": "prelaunch", "singlestep": false, "running": false})", id);
    if (command == "quit") {
        quit_ = true;
        return with_id(R"("return": {})", id) + shutdown_event();
    }
    return with_id(command_not_found(command), id);
}

} // namespace guestuml::plugin
