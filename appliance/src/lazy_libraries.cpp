#include "lazy_libraries.hpp"

#include "chroot_path.hpp"
#include "elf_symbols.hpp"
#include "lazy_library_abi.hpp"
#include "lazy_stub_source.hpp"
#include "tool_runner.hpp"

#include "guestuml/error.hpp"
#include "guestuml/run_command.hpp"
#include "guestuml/temp_dir.hpp"

#include <boost/filesystem/operations.hpp>
#include <deque>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string_view>

namespace fs = boost::filesystem;

namespace guestuml {

namespace {

// The libraries to stub, each with what guestfsd needs it for. Each drags in
// its own dependencies (libtsk alone about 25 libraries: afflib, curl, ldap,
// gnutls, libstdc++...).
constexpr std::string_view candidates[] = {
    "libtsk.so.",       // filesystem_walk, find_inode
    "libyara.so.",      // yara_load, yara_scan
    "librpm.so.",       // the applications of RPM guests
    "libhivex.so.",     // Windows registries
    "libsystemd.so.",   // journal_*
};

using lazy_libs::loader_name;
// Also guestuml-init's LD_LIBRARY_PATH for guestfsd.
constexpr const char* guest_stub_dir = lazy_libs::stub_dir;
// What guestuml-init preloads into guestfsd (root_fixups.cpp installs them).
constexpr const char* guestfsd_preloads[] = {"/usr/lib/guestuml/guestuml-augeas.so",
                                             "/usr/lib/guestuml/guestuml-vfork.so",
                                             "/usr/lib/guestuml/guestuml-channel-io.so"};
constexpr const char* library_dirs[] = {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64",
                                        "/usr/lib64", "/lib", "/usr/lib"};

// Where the dynamic linker would find soname in the appliance (its default
// directories only: guestfsd has no RUNPATH).
std::optional<std::string> find_library(const fs::path& chroot, const std::string& soname)
{
    for (const char* dir : library_dirs) {
        const std::string guest = fmt::format("{}/{}", dir, soname);
        boost::system::error_code ec;
        if (fs::is_regular_file(chroot_path(chroot, guest), ec))
            return guest;
    }
    return std::nullopt;
}

// Every library guestfsd loads, by soname, as read from the appliance (empty
// for one that is not there).
std::map<std::string, ElfDynamicInfo> load_closure(const fs::path& chroot, const ElfDynamicInfo& daemon)
{
    std::map<std::string, ElfDynamicInfo> libraries;
    std::deque<std::string> queue(daemon.needed.begin(), daemon.needed.end());
    while (!queue.empty()) {
        const std::string soname = queue.front();
        queue.pop_front();
        if (libraries.count(soname))
            continue;
        const auto path = find_library(chroot, soname);
        const ElfDynamicInfo& info = libraries[soname] =
            path ? read_elf_dynamic_info(chroot_path(chroot, *path)) : ElfDynamicInfo{};
        queue.insert(queue.end(), info.needed.begin(), info.needed.end());
    }
    return libraries;
}

bool is_candidate(const std::string& soname)
{
    for (const auto prefix : candidates)
        if (soname.rfind(prefix, 0) == 0)
            return true;
    return false;
}

// Why soname must stay a real library for guestfsd, or nullopt if a stub can
// take its place; fills functions with what the stub must export: the
// library's functions that guestfsd calls, and nothing else. Exporting more
// would shadow other libraries' definitions of the same names (libtsk, for
// one, exports C++ runtime functions that libstdc++ would then bind to).
std::optional<std::string> why_keep(const std::string& soname, const ElfDynamicInfo& daemon,
                                    const std::map<std::string, ElfDynamicInfo>& closure,
                                    std::vector<StubFunction>& functions)
{
    for (const auto& [other, info] : closure)
        for (const auto& n : info.needed)
            if (n == soname && other != soname)
                return fmt::format("{} needs it too", other);

    std::map<std::string, const DynamicSymbol*> exported;
    for (const auto& s : closure.at(soname).symbols)
        if (s.defined && s.default_version)
            exported[s.name] = &s;
    std::set<std::string> taken;
    for (const auto& s : daemon.symbols) {
        const auto it = exported.find(s.name);
        if (it == exported.end() || (!s.version.empty() && s.version != it->second->version))
            continue;
        const DynamicSymbol& def = *it->second;
        // A variable guestfsd uses is defined in guestfsd itself when the
        // linker gave it a copy relocation, hence the check on every symbol.
        if (!def.function)
            return fmt::format("guestfsd uses its data symbol {}", s.name);
        if (s.defined)
            continue;
        if (!stub_symbol_name_ok(s.name) || (!def.version.empty() && !stub_symbol_name_ok(def.version)))
            return fmt::format("its function {} cannot be written into a stub", s.name);
        if (taken.insert(s.name).second)
            functions.push_back({s.name, def.version});
    }
    if (functions.empty())
        return std::string("guestfsd calls none of its functions");
    return std::nullopt;
}

void write_file(const fs::path& path, const std::string& text)
{
    std::ofstream out(path.string(), std::ios::trunc);
    out << text;
    if (!out.flush())
        throw Error(fmt::format("cannot write {}", path.string()));
}

bool have_program(const char* name)
{
    const char* path = std::getenv("PATH");
    std::string_view dirs = path ? path : "/usr/bin:/bin";
    while (!dirs.empty()) {
        const size_t colon = dirs.find(':');
        const fs::path candidate = fs::path(std::string(dirs.substr(0, colon))) / name;
        boost::system::error_code ec;
        if (fs::is_regular_file(candidate, ec))
            return true;
        dirs = colon == std::string_view::npos ? std::string_view{} : dirs.substr(colon + 1);
    }
    return false;
}

// The dynamic linker's own verdict on guestfsd with the stubs and guestfsd's
// preloads: every library found, every symbol bound, each stubbed soname
// served from stub_dir, and nothing but guestfsd bound to a stub.
std::optional<std::string> link_check(const fs::path& daemon, const fs::path& stub_dir,
                                      const std::vector<std::string>& stubbed, const std::string& preloads)
{
    const CommandResult r = run_command({"env", "LD_TRACE_LOADED_OBJECTS=1", "LD_BIND_NOW=1", "LD_WARN=1",
                                         "LD_DEBUG=bindings", "LD_PRELOAD=" + preloads,
                                         "LD_LIBRARY_PATH=" + stub_dir.string(), daemon.string()});
    const std::string all = r.out + r.err;
    const auto line_at = [&](size_t at) {
        const size_t start = all.rfind('\n', at) == std::string::npos ? 0 : all.rfind('\n', at) + 1;
        return all.substr(start, all.find('\n', at) - start);
    };
    for (const char* bad : {"undefined symbol", "not found", "version `"})
        if (const size_t at = all.find(bad); at != std::string::npos)
            return line_at(at);
    if (!r.succeeded())
        return fmt::format("the dynamic linker's trace of {} failed", daemon.string());
    for (const auto& soname : stubbed)
        if (all.find(fmt::format("{} => {}/{}", soname, stub_dir.string(), soname)) == std::string::npos)
            return fmt::format("{} did not resolve to its stub", soname);
    // "binding file FILE [0] to STUB [0]: normal symbol `NAME'"
    const std::string from_daemon = fmt::format("binding file {} [", daemon.string());
    for (size_t at = all.find(fmt::format(" to {}/", stub_dir.string())); at != std::string::npos;
         at = all.find(fmt::format(" to {}/", stub_dir.string()), at + 1)) {
        const std::string line = line_at(at);
        if (line.find(from_daemon) == std::string::npos && line.find(loader_name) == std::string::npos)
            return fmt::format("another library binds to a stub: {}", line);
    }
    return std::nullopt;
}

} // namespace

LazyLibrariesResult install_lazy_libraries(const fs::path& chroot, const fs::path& loader, const fs::path& log)
{
    LazyLibrariesResult result;
    const fs::path daemon_path = chroot_path(chroot, "/usr/sbin/guestfsd");
    const fs::path stub_dir = chroot_path(chroot, guest_stub_dir);
    fs::remove_all(stub_dir);
    if (!have_program("cc")) {
        result.kept.push_back("all: no C compiler (cc) on this machine to build the stubs");
        return result;
    }
    const ElfDynamicInfo daemon = read_elf_dynamic_info(daemon_path);
    const auto closure = load_closure(chroot, daemon);

    fs::create_directories(stub_dir);
    fs::copy_file(loader, stub_dir / loader_name);
    fs::permissions(stub_dir / loader_name, fs::perms(0644));
    TempDir work("guestuml-lazy-stubs");
    for (const auto& soname : daemon.needed) {
        if (!is_candidate(soname))
            continue;
        const auto real = find_library(chroot, soname);
        if (!real) {
            result.kept.push_back(fmt::format("{}: not in the appliance", soname));
            continue;
        }
        std::vector<StubFunction> functions;
        if (const auto why = why_keep(soname, daemon, closure, functions)) {
            result.kept.push_back(fmt::format("{}: {}", soname, *why));
            continue;
        }
        const StubSource source = lazy_stub_source(*real, functions);
        const fs::path assembly = work.path() / (soname + ".S");
        write_file(assembly, source.assembly);
        std::vector<std::string> argv{"cc",
                                      "-shared",
                                      "-nostdlib",
                                      "-o",
                                      (stub_dir / soname).string(),
                                      "-Wl,-soname," + soname,
                                      fmt::format("-Wl,-rpath,{}", guest_stub_dir),
                                      assembly.string(),
                                      (stub_dir / loader_name).string()};
        if (!source.version_script.empty()) {
            const fs::path script = work.path() / (soname + ".map");
            write_file(script, source.version_script);
            argv.push_back("-Wl,--version-script," + script.string());
        }
        try {
            run_tool(argv, log);
        } catch (const Error& e) {
            result.kept.push_back(fmt::format("{}: the stub did not build: {}", soname, e.what()));
            continue;
        }
        fs::permissions(stub_dir / soname, fs::perms(0644));
        result.stubbed.push_back(soname);
    }

    std::string preloads;
    for (const char* preload : guestfsd_preloads) {
        const fs::path host = chroot_path(chroot, preload);
        boost::system::error_code ec;
        if (fs::is_regular_file(host, ec))
            preloads += (preloads.empty() ? "" : " ") + host.string();
    }
    const auto failure =
        result.stubbed.empty() ? std::nullopt : link_check(daemon_path, stub_dir, result.stubbed, preloads);
    if (result.stubbed.empty() || failure) {
        fs::remove_all(stub_dir);
        if (failure)
            result.kept.push_back(fmt::format("all: guestfsd does not link against the stubs: {}", *failure));
        result.stubbed.clear();
    }
    return result;
}

} // namespace guestuml
