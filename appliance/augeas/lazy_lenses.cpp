// guestuml-augeas.so, preloaded into guestfsd in the appliance: Augeas compiles
// only the lens modules a load needs.
//
// aug_init compiles every lens module on its path (about 200; 0.3-0.6 s in the
// appliance) before its caller can say which files it wants. libguestfs's
// inspection opens Augeas with AUG_NO_LOAD, removes every transform but the one
// for /etc/fstab, and loads that file alone. For such an aug_init this shim
// starts Augeas without its modules (AUG_NO_MODL_AUTOLOAD) and rebuilds
// /augeas/load from the table the appliance builder wrote with the same Augeas
// and lenses (and $HOME); aug_load then has Augeas compile the modules its remaining
// transforms name, first. What a caller sees is what Augeas alone gives, except
// that the order of the /augeas/load entries is the builder's directory order.
#include "augeas_matches.hpp"
#include "autoload_table.hpp"

#include <augeas.h>
#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>
#include <optional>
#include <set>
#include <string>

namespace {

using namespace guestuml::augeas;

// Written by the appliance builder (appliance/src/root_fixups.cpp).
constexpr const char* table_path = "/usr/lib/guestuml/augeas-autoload.table";
// Where this shim has Augeas compile a module: entries it adds before the
// caller's in /augeas/load and removes after the load.
constexpr const char* loader_label = "guestuml-module-loader";
constexpr const char* loader_entries = "/augeas/load/guestuml-module-loader";
constexpr const char* newest_loader_lens = "/augeas/load/guestuml-module-loader[1]/lens";

template <typename Fn>
Fn* next_definition(const char* name)
{
    return reinterpret_cast<Fn*>(::dlsym(RTLD_NEXT, name));
}

// The table describes the standard module path only, and is only worth it when
// the caller loads files later (a full aug_init loads every module anyway).
bool table_applies(const char* loadpath, unsigned int flags)
{
    const char* lens_lib = std::getenv("AUGEAS_LENS_LIB");
    return loadpath == nullptr && (lens_lib == nullptr || *lens_lib == '\0') && (flags & AUG_NO_LOAD) &&
           !(flags & (AUG_NO_MODL_AUTOLOAD | AUG_NO_STDINC | AUG_TRACE_MODULE_LOADING));
}

std::optional<AutoloadTable> read_table()
{
    std::FILE* file = std::fopen(table_path, "re");
    if (!file)
        return std::nullopt;
    std::string text;
    char buffer[16384];
    for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, file)) > 0;)
        text.append(buffer, n);
    const bool failed = std::ferror(file);
    std::fclose(file);
    if (failed)
        return std::nullopt;
    return parse_autoload_table(text);
}

// What Augeas's own aug_init puts under /augeas/load for each autoloading module.
bool add_transforms(augeas* aug, const std::vector<AutoloadEntry>& entries)
{
    for (const auto& entry : entries) {
        const std::string base = "/augeas/load/" + entry.module;
        if (aug_set(aug, (base + "/lens").c_str(), ("@" + entry.module).c_str()) < 0)
            return false;
        for (const auto& filter : entry.filters) {
            const std::string node = base + (filter.include ? "/incl" : "/excl") + "[last()+1]";
            if (aug_set(aug, node.c_str(), filter.glob.c_str()) < 0)
                return false;
        }
    }
    return true;
}

// A transform's "@Module" lens resolves only once Module is compiled; a lens
// named "Module.lns" has Augeas compile Module on demand. So each "@Module"
// gets a loader entry ahead of it, whether or not the module is already in.
int add_module_loaders(augeas* aug)
{
    std::set<std::string> modules;
    {
        const AugeasMatches lenses(aug, "/augeas/load/*/lens");
        for (int i = 0; i < lenses.count(); ++i) {
            const char* lens = nullptr;
            if (aug_get(aug, lenses[i], &lens) == 1 && lens && lens[0] == '@' && lens[1] != '\0')
                modules.insert(lens + 1);
        }
    }

    int added = 0;
    for (const auto& module : modules) {
        if (aug_insert(aug, "/augeas/load/*[1]", loader_label, 1) < 0)
            break;
        ++added;
        if (aug_set(aug, newest_loader_lens, (module + ".lns").c_str()) < 0)
            break;
    }
    return added;
}

} // namespace

extern "C" {

__attribute__((visibility("default"))) augeas* aug_init(const char* root, const char* loadpath,
                                                        unsigned int flags)
{
    auto* real_init = next_definition<augeas*(const char*, const char*, unsigned int)>("aug_init");
    if (!real_init)
        return nullptr;
    if (!table_applies(loadpath, flags))
        return real_init(root, loadpath, flags);
    augeas* aug = nullptr;
    try {   // nothing may escape into C callers; out of memory means Augeas alone
        const auto table = read_table();
        // Lenses compute some globs from $HOME when they are compiled.
        const char* home = std::getenv("HOME");
        if (!table || table->home != (home ? home : ""))
            return real_init(root, loadpath, flags);
        aug = real_init(root, loadpath, flags | AUG_NO_MODL_AUTOLOAD);
        if (!aug || aug_error(aug) != AUG_NOERROR)
            return aug;
        if (add_transforms(aug, table->entries))
            return aug;
    } catch (...) {
    }
    // The tree would be incomplete: let Augeas do it all after all.
    if (aug)
        aug_close(aug);
    return real_init(root, loadpath, flags);
}

__attribute__((visibility("default"))) int aug_load(augeas* aug)
{
    auto* real_load = next_definition<int(augeas*)>("aug_load");
    if (!real_load)
        return -1;
    bool loaders = false;
    try {
        loaders = add_module_loaders(aug) > 0;
    } catch (...) {
        // Out of memory: some loaders may be in; they are removed below.
        loaders = true;
    }
    const int result = real_load(aug);
    // On failure the caller wants aug_error's account, which any call here would reset.
    if (result == 0 && loaders)
        aug_rm(aug, loader_entries);
    return result;
}

} // extern "C"

// Only guestfsd needs the shim: the programs it starts (mkfs, lvm, ...) do not
// use Augeas and should not pay for loading it.
__attribute__((constructor)) static void stop_inheriting_preload()
{
    ::unsetenv("LD_PRELOAD");
}
