// Loading kernel modules without modprobe: dependencies come from modules.dep,
// files are loaded with finit_module.
#pragma once

#include "boot_log.hpp"

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace guestuml::init {

// "dm-mod", "dm_mod.ko", "kernel/drivers/md/dm-mod.ko.xz" -> "dm_mod".
std::string module_name(std::string_view name_or_path);

class ModuleIndex {
public:
    // modules_dep: the text of modules.dep; modules_builtin: of modules.builtin.
    ModuleIndex(std::string_view modules_dep, std::string_view modules_builtin);

    bool is_builtin(std::string_view name) const;
    bool knows(std::string_view name) const;
    // Module files (relative to the modules directory) to load for names, every
    // dependency before its user, each once. Built-in names need nothing; unknown
    // names throw Error.
    std::vector<std::string> load_order(const std::vector<std::string>& names) const;

private:
    void visit(const std::string& name, std::set<std::string>& done,
               std::vector<std::string>& order, int depth) const;

    std::map<std::string, std::string> path_;                  // name -> relative path
    std::map<std::string, std::vector<std::string>> deps_;     // name -> dependency names
    std::set<std::string> builtin_;
};

struct ModuleRequest {
    std::string_view name;
    bool required;   // a missing required module is warned about; an optional one is not
};

// Loads the modules (and their dependencies) from modules_dir with finit_module.
// Already-loaded modules are fine; failures are warnings, never fatal.
void load_modules(const std::string& modules_dir, const std::vector<ModuleRequest>& requests,
                  const BootLog& log);

} // namespace guestuml::init
