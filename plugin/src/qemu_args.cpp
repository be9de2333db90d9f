#include "qemu_args.hpp"

#include "guestuml/error.hpp"

#include <array>
#include <fmt/format.h>

namespace guestuml::plugin {
namespace {

enum class Takes { flag, value };

struct OptionSpec {
    std::string_view name;
    Takes takes;
};

// Every option guestuml-qemu understands. Anything else is refused by name,
// so that nothing libguestfs asks for is silently dropped.
constexpr std::array option_specs{
    OptionSpec{"help", Takes::flag},         OptionSpec{"h", Takes::flag},
    OptionSpec{"version", Takes::flag},      OptionSpec{"qmp", Takes::value},
    OptionSpec{"m", Takes::value},           OptionSpec{"smp", Takes::value},
    OptionSpec{"kernel", Takes::value},      OptionSpec{"initrd", Takes::value},
    OptionSpec{"append", Takes::value},      OptionSpec{"drive", Takes::value},
    OptionSpec{"device", Takes::value},      OptionSpec{"chardev", Takes::value},
    OptionSpec{"object", Takes::value},      OptionSpec{"netdev", Takes::value},
    OptionSpec{"serial", Takes::value},      OptionSpec{"display", Takes::value},
    OptionSpec{"machine", Takes::value},     OptionSpec{"M", Takes::value},
    OptionSpec{"cpu", Takes::value},         OptionSpec{"accel", Takes::value},
    OptionSpec{"rtc", Takes::value},         OptionSpec{"global", Takes::value},
    OptionSpec{"msg", Takes::value},         OptionSpec{"name", Takes::value},
    OptionSpec{"nodefaults", Takes::flag},   OptionSpec{"no-user-config", Takes::flag},
    OptionSpec{"no-reboot", Takes::flag},    OptionSpec{"no-hpet", Takes::flag},
    OptionSpec{"enable-kvm", Takes::flag},   OptionSpec{"nographic", Takes::flag},
    OptionSpec{"no-acpi", Takes::flag},
};

const OptionSpec* find_spec(std::string_view name)
{
    for (const auto& spec : option_specs)
        if (spec.name == name)
            return &spec;
    return nullptr;
}

bool is_help_request(std::string_view value) { return value == "?" || value == "help"; }

} // namespace

std::optional<std::string> OptionList::get(std::string_view key) const
{
    std::optional<std::string> found;
    for (const auto& [k, v] : items)
        if (k == key)
            found = v;
    return found;
}

OptionList parse_option_list(std::string_view text, std::string_view implied_key)
{
    OptionList list;
    std::string current;
    std::vector<std::string> parts;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] != ',') {
            current += text[i];
        } else if (i + 1 < text.size() && text[i + 1] == ',') {
            current += ',';
            ++i;
        } else {
            parts.push_back(std::move(current));
            current.clear();
        }
    }
    parts.push_back(std::move(current));

    for (size_t i = 0; i < parts.size(); ++i) {
        const std::string& part = parts[i];
        const auto eq = part.find('=');
        if (eq == std::string::npos) {
            if (i == 0 && !implied_key.empty()) {
                list.items.emplace_back(std::string(implied_key), part);
                continue;
            }
            if (part.empty())
                throw Error(fmt::format("option value '{}': empty parameter", text));
            list.items.emplace_back(part, "on");
            continue;
        }
        if (eq == 0)
            throw Error(fmt::format("option value '{}': parameter '{}' has no name", text, part));
        list.items.emplace_back(part.substr(0, eq), part.substr(eq + 1));
    }
    return list;
}

QemuCommandLine parse_qemu_args(const std::vector<std::string>& args)
{
    QemuCommandLine cmd;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg.size() < 2 || arg[0] != '-')
            throw Error(fmt::format("unsupported argument '{}': guestuml-qemu boots no disk image "
                                    "given without an option", arg));
        std::string_view name(arg);
        name.remove_prefix(name.starts_with("--") ? 2 : 1);
        const OptionSpec* spec = find_spec(name);
        if (!spec)
            throw Error(fmt::format("unsupported qemu option '{}'", arg));

        std::string value;
        if (spec->takes == Takes::value) {
            if (i + 1 >= args.size())
                throw Error(fmt::format("qemu option '{}' requires an argument", arg));
            value = args[++i];
        }

        if (name == "help" || name == "h") {
            cmd.help = true;
        } else if (name == "version") {
            cmd.version = true;
        } else if (name == "qmp") {
            cmd.qmp = value;
        } else if (name == "m") {
            cmd.memory = value;
        } else if (name == "smp") {
            cmd.smp = value;
        } else if (name == "kernel") {
            cmd.kernel = value;
        } else if (name == "initrd") {
            cmd.initrd = value;
        } else if (name == "append") {
            cmd.append = value;
        } else if (name == "drive") {
            cmd.drives.push_back(parse_option_list(value));
        } else if (name == "device") {
            if (is_help_request(value))
                cmd.device_help = true;
            else
                cmd.devices.push_back(parse_option_list(value, "driver"));
        } else if (name == "chardev") {
            cmd.chardevs.push_back(parse_option_list(value, "backend"));
        } else if (name == "object") {
            cmd.objects.push_back(parse_option_list(value, "qom-type"));
        } else if (name == "netdev") {
            cmd.netdevs.push_back(parse_option_list(value, "type"));
        } else if (name == "serial") {
            cmd.serials.push_back(value);
        } else if (name == "display") {
            cmd.displays.push_back(value);
        } else if ((name == "machine" || name == "M") && is_help_request(value)) {
            cmd.machine_help = true;
        } else if (name == "cpu" && is_help_request(value)) {
            cmd.cpu_help = true;
        } else {
            cmd.harmless.push_back(spec->takes == Takes::value ? fmt::format("{} {}", arg, value) : arg);
        }
    }
    return cmd;
}

} // namespace guestuml::plugin
