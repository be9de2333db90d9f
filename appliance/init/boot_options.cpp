#include "boot_options.hpp"

namespace guestuml::init {

namespace {

bool take_value(std::string_view word, std::string_view key, std::string& value)
{
    if (word.substr(0, key.size()) != key)
        return false;
    value = word.substr(key.size());
    return true;
}

} // namespace

BootOptions parse_boot_options(std::string_view cmdline)
{
    BootOptions options;
    std::string verbose;
    std::string profile;
    std::string lazy_augeas;
    std::string vfork;
    std::string ocaml_fork;
    std::string listings;
    std::string channel_io;
    std::string lazy_libs;
    size_t pos = 0;
    while (pos < cmdline.size()) {
        const size_t start = cmdline.find_first_not_of(" \t\n", pos);
        if (start == std::string_view::npos)
            break;
        size_t end = cmdline.find_first_of(" \t\n", start);
        if (end == std::string_view::npos)
            end = cmdline.size();
        const std::string_view word = cmdline.substr(start, end - start);
        take_value(word, "guestfs_channel=", options.channel);
        take_value(word, "TERM=", options.term);
        if (take_value(word, "guestfs_verbose=", verbose))
            options.verbose = verbose == "1";
        if (take_value(word, "guestuml_profile=", profile))
            options.profile = profile == "1";
        if (take_value(word, "guestuml_lazy_augeas=", lazy_augeas))
            options.lazy_augeas = lazy_augeas != "0";
        if (take_value(word, "guestuml_vfork=", vfork))
            options.vfork = vfork != "0";
        if (take_value(word, "guestuml_ocaml_fork=", ocaml_fork))
            options.replace_ocaml_forks = ocaml_fork != "0";
        if (take_value(word, "guestuml_listings=", listings))
            options.answer_listings = listings != "0";
        if (take_value(word, "guestuml_channel_io=", channel_io))
            options.channel_io = channel_io != "0";
        if (take_value(word, "guestuml_lazy_libs=", lazy_libs))
            options.lazy_libs = lazy_libs != "0";
        pos = end;
    }
    return options;
}

} // namespace guestuml::init
