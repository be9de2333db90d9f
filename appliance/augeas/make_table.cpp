// guestuml-augeas-table OUTPUT LENSDIR...: writes the autoload table
// (autoload_table.hpp) of Augeas started on exactly those lens directories, as
// the appliance's Augeas sees its standard path, with this process's $HOME. The
// appliance builder runs it on the appliance's /usr/share/augeas/lenses and
// .../dist with guestfsd's HOME.
#include "augeas_matches.hpp"
#include "autoload_table.hpp"

#include <augeas.h>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <fmt/format.h>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace guestuml::augeas;

struct AugeasCloser {
    void operator()(augeas* aug) const { aug_close(aug); }
};
using AugeasHandle = std::unique_ptr<augeas, AugeasCloser>;


std::string get(augeas* aug, const char* path)
{
    const char* value = nullptr;
    if (aug_get(aug, path, &value) != 1 || value == nullptr)
        throw std::runtime_error(fmt::format("no value at {}", path));
    return value;
}

std::string label(augeas* aug, const char* path)
{
    const char* name = nullptr;
    if (aug_label(aug, path, &name) != 1 || name == nullptr)
        throw std::runtime_error(fmt::format("no label at {}", path));
    return name;
}

std::vector<AutoloadEntry> autoload_entries(augeas* aug)
{
    std::vector<AutoloadEntry> entries;
    const AugeasMatches transforms(aug, "/augeas/load/*");
    if (transforms.count() < 0)
        throw std::runtime_error(fmt::format("aug_match /augeas/load/*: {}", aug_error_message(aug)));
    for (int i = 0; i < transforms.count(); ++i) {
        AutoloadEntry entry{label(aug, transforms[i]), {}};
        // Augeas names each transform after its module and its lens "@Module";
        // the shim recreates exactly that.
        if (get(aug, fmt::format("{}/lens", transforms[i]).c_str()) != "@" + entry.module)
            throw std::runtime_error(fmt::format("{}: not an autoload transform", transforms[i]));
        const AugeasMatches children(aug, fmt::format("{}/*", transforms[i]).c_str());
        if (children.count() < 0)
            throw std::runtime_error(fmt::format("aug_match {}/*: {}", transforms[i], aug_error_message(aug)));
        for (int c = 0; c < children.count(); ++c) {
            const std::string kind = label(aug, children[c]);
            if (kind == "lens")
                continue;
            if (kind != "incl" && kind != "excl")
                throw std::runtime_error(fmt::format("{}: unexpected node", children[c]));
            const std::string glob = get(aug, children[c]);
            if (glob.find('\n') != std::string::npos)
                throw std::runtime_error(fmt::format("{}: a newline in a glob", children[c]));
            entry.filters.push_back({kind == "incl", glob});
        }
        entries.push_back(std::move(entry));
    }
    return entries;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 3) {
        fmt::print(stderr, "usage: guestuml-augeas-table OUTPUT LENSDIR...\n");
        return 2;
    }
    const std::string output = argv[1];
    std::string loadpath;
    for (int i = 2; i < argc; ++i)
        loadpath += (i > 2 ? ":" : "") + std::string(argv[i]);
    ::unsetenv("AUGEAS_LENS_LIB");
    try {
        const AugeasHandle aug(aug_init("/nonexistent", loadpath.c_str(),
                                        AUG_NO_STDINC | AUG_NO_LOAD | AUG_NO_ERR_CLOSE));
        if (!aug)
            throw std::runtime_error("aug_init failed");
        if (aug_error(aug.get()) != AUG_NOERROR)
            throw std::runtime_error(fmt::format("aug_init: {} {}", aug_error_message(aug.get()),
                                                 aug_error_details(aug.get()) ? aug_error_details(aug.get()) : ""));
        AutoloadTable table;
        const char* home = std::getenv("HOME");
        table.home = home ? home : "";
        if (table.home.find('\n') != std::string::npos)
            throw std::runtime_error("a newline in HOME");
        table.entries = autoload_entries(aug.get());
        if (table.entries.empty())
            throw std::runtime_error(fmt::format("no lens modules in {}", loadpath));
        std::ofstream out(output, std::ios::trunc);
        out << format_autoload_table(table);
        if (!out.flush())
            throw std::runtime_error(fmt::format("cannot write {}", output));
        fmt::print("guestuml-augeas-table: {} lens modules with autoload transforms, HOME={}\n",
                   table.entries.size(), table.home);
        return 0;
    } catch (const std::exception& e) {
        fmt::print(stderr, "guestuml-augeas-table: {}\n", e.what());
        return 1;
    }
}
