#include "kernel_modules.hpp"

#include "sys.hpp"

#include "guestuml/error.hpp"
#include "guestuml/unique_fd.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <sstream>
#include <sys/syscall.h>
#include <unistd.h>

namespace guestuml::init {

namespace {

// finit_module flag (linux/module.h) asking the kernel to decompress the file itself.
constexpr int module_init_compressed_file = 4;

bool ends_with(std::string_view s, std::string_view suffix)
{
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

} // namespace

std::string module_name(std::string_view name_or_path)
{
    if (const size_t slash = name_or_path.rfind('/'); slash != std::string_view::npos)
        name_or_path.remove_prefix(slash + 1);
    if (const size_t ko = name_or_path.find(".ko"); ko != std::string_view::npos)
        name_or_path = name_or_path.substr(0, ko);
    std::string name(name_or_path);
    for (char& c : name)
        if (c == '-')
            c = '_';
    return name;
}

ModuleIndex::ModuleIndex(std::string_view modules_dep, std::string_view modules_builtin)
{
    std::istringstream dep_lines{std::string(modules_dep)};
    std::string line;
    while (std::getline(dep_lines, line)) {
        const size_t colon = line.find(':');
        if (colon == std::string::npos)
            continue;
        const std::string path = line.substr(0, colon);
        const std::string name = module_name(path);
        path_[name] = path;
        std::istringstream words(line.substr(colon + 1));
        std::vector<std::string>& deps = deps_[name];
        for (std::string dep; words >> dep;)
            deps.push_back(module_name(dep));
    }
    std::istringstream builtin_lines{std::string(modules_builtin)};
    while (std::getline(builtin_lines, line))
        if (!line.empty())
            builtin_.insert(module_name(line));
}

bool ModuleIndex::is_builtin(std::string_view name) const
{
    return builtin_.count(module_name(name)) != 0;
}

bool ModuleIndex::knows(std::string_view name) const
{
    const std::string n = module_name(name);
    return path_.count(n) != 0 || builtin_.count(n) != 0;
}

std::vector<std::string> ModuleIndex::load_order(const std::vector<std::string>& names) const
{
    std::set<std::string> done;
    std::vector<std::string> order;
    for (const auto& name : names)
        visit(module_name(name), done, order, 0);
    return order;
}

void ModuleIndex::visit(const std::string& name, std::set<std::string>& done,
                        std::vector<std::string>& order, int depth) const
{
    // modules.dep lists the whole closure, but a broken file must not loop forever.
    if (depth > 64)
        throw Error(fmt::format("modules.dep: dependency loop through {}", name));
    if (done.count(name) || builtin_.count(name))
        return;
    const auto path = path_.find(name);
    if (path == path_.end())
        throw Error(fmt::format("module {} is not in modules.dep", name));
    done.insert(name);
    // modules.dep lists the deepest dependencies last.
    const auto& deps = deps_.at(name);
    for (auto dep = deps.rbegin(); dep != deps.rend(); ++dep)
        visit(*dep, done, order, depth + 1);
    order.push_back(path->second);
}

namespace {

void load_module_file(const std::string& file)
{
    UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
        throw_errno(fmt::format("open {}", file));
    const int flags = ends_with(file, ".ko") ? 0 : module_init_compressed_file;
    if (::syscall(SYS_finit_module, fd.get(), "", flags) == -1 && errno != EEXIST)
        throw_errno(fmt::format("finit_module {}", file));
}

} // namespace

void load_modules(const std::string& modules_dir, const std::vector<ModuleRequest>& requests,
                  const BootLog& log)
{
    // A kernel built without module support (guestuml's minimal kernel) has
    // every driver the appliance needs built in, and no /proc/modules.
    if (::access("/proc/modules", F_OK) == -1 && errno == ENOENT) {
        log.note("kernel without module support: every driver is built in");
        return;
    }
    const auto dep = try_read_file(modules_dir + "/modules.dep");
    if (!dep) {
        log.warn(fmt::format("cannot read {}/modules.dep: {}; no modules loaded", modules_dir,
                             std::strerror(errno)));
        return;
    }
    const ModuleIndex index(*dep, try_read_file(modules_dir + "/modules.builtin").value_or(""));
    std::vector<std::string> wanted;
    for (const auto& request : requests) {
        if (index.knows(request.name))
            wanted.emplace_back(request.name);
        else if (request.required)
            log.warn(fmt::format("kernel module {} not found in {}", request.name, modules_dir));
    }
    for (const auto& file : index.load_order(wanted)) {
        try {
            const double start = monotonic_ms();
            load_module_file(modules_dir + "/" + file);
            log.note(fmt::format("loaded {} in {:.1f} ms", module_name(file), monotonic_ms() - start));
        } catch (const Error& e) {
            log.warn(e.what());
        }
    }
}

} // namespace guestuml::init
