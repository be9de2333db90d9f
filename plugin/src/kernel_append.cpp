#include "kernel_append.hpp"

#include <array>

namespace guestuml::plugin {
namespace {

// Parameters libguestfs 1.48 adds for a PC (or ARM) kernel booted by qemu
// (lib/appliance-kcmdline.c). "name=" entries match any value.
constexpr std::array dropped{
    std::string_view{"panic="},           std::string_view{"console="},
    std::string_view{"earlyprintk="},     std::string_view{"edd="},
    std::string_view{"udevtimeout="},     std::string_view{"udev.event-timeout="},
    std::string_view{"no_timer_check"},   std::string_view{"lpj="},
    std::string_view{"printk.time="},     std::string_view{"cgroup_disable="},
    std::string_view{"usbcore.nousb"},    std::string_view{"cryptomgr.notests"},
    std::string_view{"tsc="},             std::string_view{"8250.nr_uarts="},
    std::string_view{"noapic"},           std::string_view{"efi-rtc="},
    std::string_view{"ignore_loglevel"},  std::string_view{"mem="},
    std::string_view{"selinux="},         std::string_view{"enforcing="},
    // The backend boots UML's own root device with our init.
    std::string_view{"root="},            std::string_view{"rootfstype="},
    std::string_view{"init="},            std::string_view{"ro"},
    std::string_view{"rw"},
};

bool is_dropped(std::string_view param)
{
    for (auto d : dropped) {
        if (d.ends_with('=') ? param.starts_with(d) : param == d)
            return true;
    }
    return false;
}

} // namespace

std::vector<std::string> appliance_kernel_args(std::string_view append)
{
    std::vector<std::string> kept;
    size_t pos = 0;
    while (pos < append.size()) {
        const size_t start = append.find_first_not_of(" \t\n", pos);
        if (start == std::string_view::npos)
            break;
        size_t end = append.find_first_of(" \t\n", start);
        if (end == std::string_view::npos)
            end = append.size();
        const auto param = append.substr(start, end - start);
        if (!is_dropped(param))
            kept.emplace_back(param);
        pos = end;
    }
    return kept;
}

} // namespace guestuml::plugin
