#include "doctor_checks.hpp"

#include "backend_config.hpp"
#include "guestuml/run_command.hpp"

#include "guestuml/appliance_cache.hpp"
#include "guestuml/helper_paths.hpp"
#include "guestuml/temp_dir.hpp"
#include "guestuml/unique_fd.hpp"

#include <boost/filesystem/operations.hpp>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

namespace guestuml::cli {

namespace {

// Reaps the forked probe child whatever happens.
class ProbeChild {
public:
    explicit ProbeChild(pid_t pid) : pid_(pid) {}
    ~ProbeChild()
    {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
    ProbeChild(const ProbeChild&) = delete;
    ProbeChild& operator=(const ProbeChild&) = delete;
    pid_t pid() const noexcept { return pid_; }

private:
    pid_t pid_;
};

// The directory UML picks for its memory file (arch/um/os-Linux/mem.c).
std::string uml_temp_dir()
{
    for (const char* name : {"TMPDIR", "TEMP", "TMP"})
        if (const char* dir = std::getenv(name); dir && *dir)
            return dir;
    return boost::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
}

struct Requirement {
    const char* package;
    const char* file;
    const char* why;
    bool program = true;   // file must be executable, not only readable
};

constexpr Requirement requirements[] = {
    {"user-mode-linux", "/usr/bin/linux.uml", "the UML kernel"},
    {"linux-source-6.12", "/usr/src/linux-source-6.12.tar.xz", "the sources of guestuml's default (minimal) kernel",
     false},
    {"gcc", "/usr/bin/gcc", "compiles that kernel, and the appliance's lazy stubs of guestfsd's libraries"},
    {"libguestfs0", nullptr, "libguestfs"},
    {"supermin", "/usr/bin/supermin", "builds the appliance"},
    {"qemu-utils", "/usr/bin/qemu-img", "image formats and overlays"},
    {"qemu-system-common", "/usr/bin/qemu-storage-daemon", "serves the disks to UML"},
    {"guestfish", "/usr/bin/guestfish", "guestuml shell"},
};

} // namespace

CheckResult check_ptrace()
{
    CheckResult r{"ptrace", false, {}, {}};
    const pid_t pid = ::fork();
    if (pid == -1) {
        r.detail = fmt::format("fork failed: {}", std::strerror(errno));
        return r;
    }
    if (pid == 0) {
        if (::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) == -1)
            ::_exit(errno);
        ::raise(SIGSTOP);
        ::_exit(0);
    }
    ProbeChild child(pid);
    int status = 0;
    if (::waitpid(child.pid(), &status, WUNTRACED) == -1) {
        r.detail = fmt::format("waitpid failed: {}", std::strerror(errno));
        return r;
    }
    if (WIFSTOPPED(status)) {
        r.ok = true;
        r.detail = "a child can be traced";
        return r;
    }
    r.detail = WIFEXITED(status) ? fmt::format("PTRACE_TRACEME failed: {}", std::strerror(WEXITSTATUS(status)))
                                 : "the traced child died";
    r.fix = "allow ptrace: in Docker/Podman run with --cap-add=SYS_PTRACE or a seccomp profile that "
            "permits ptrace; check /proc/sys/kernel/yama/ptrace_scope (0 or 1 works)";
    return r;
}

CheckResult check_exec_tmp()
{
    const auto dir = uml_temp_dir();
    CheckResult r{fmt::format("executable memory in {}", dir), false, {}, {}};
    r.fix = fmt::format("UML maps its memory from a file in {0} with PROT_EXEC: remount it with exec "
                        "(mount -o remount,exec {0}) or point TMPDIR at a directory that allows exec",
                        dir);
    const auto pattern = dir + "/guestuml-doctor-XXXXXX";
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    UniqueFd fd(::mkstemp(name.data()));
    if (!fd) {
        r.detail = fmt::format("cannot create a file there: {}", std::strerror(errno));
        return r;
    }
    ::unlink(name.data());
    const long page = ::sysconf(_SC_PAGESIZE);
    if (::ftruncate(fd.get(), page) == -1) {
        r.detail = fmt::format("cannot size a file there: {}", std::strerror(errno));
        return r;
    }
    void* map = ::mmap(nullptr, page, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_SHARED, fd.get(), 0);
    if (map == MAP_FAILED) {
        r.detail = fmt::format("mmap with PROT_EXEC failed: {}", std::strerror(errno));
        return r;
    }
    ::munmap(map, page);
    r.ok = true;
    r.detail = "mmap with PROT_EXEC works";
    return r;
}

std::vector<CheckResult> check_packages()
{
    std::vector<CheckResult> results;
    for (const auto& req : requirements) {
        CheckResult r{fmt::format("package {} ({})", req.package, req.why), false, {}, {}};
        r.fix = fmt::format("apt-get install {}", req.package);
        const auto query = run_command({"dpkg-query", "-W", "-f=${db:Status-Status} ${Version}", req.package});
        const bool installed = query.succeeded() && query.out.starts_with("installed ");
        const bool file_present = !req.file || ::access(req.file, req.program ? X_OK : R_OK) == 0;
        if (installed && file_present) {
            r.ok = true;
            r.detail = fmt::format("version {}", query.out.substr(10));
        } else if (!file_present) {
            r.detail = fmt::format("{} is missing", req.file);
        } else {
            r.detail = query.succeeded() ? fmt::format("dpkg says '{}'", query.out) : "not installed";
        }
        results.push_back(std::move(r));
    }
    return results;
}

std::vector<CheckResult> check_helpers()
{
    std::vector<CheckResult> results;
    for (const char* name : {"guestuml-qemu", "guestuml-init", "udevadm", "guestuml-augeas.so", "guestuml-augeas-table",
                             "guestuml-vfork.so", "guestuml-channel-io.so", "guestuml-lazy-loader.so"}) {
        CheckResult r{fmt::format("helper {}", name), false, {}, {}};
        try {
            r.detail = helper_program(name).string();
            r.ok = true;
        } catch (const std::exception& e) {
            r.detail = e.what();
            r.fix = "reinstall guestuml (ninja install), or set GUESTUML_LIBEXEC to the directory holding it";
        }
        results.push_back(std::move(r));
    }
    return results;
}

CheckResult check_appliance()
{
    CheckResult r{"appliance", false, {}, {}};
    try {
        r.detail = ensure_appliance(default_appliance_inputs()).dir.string();
        r.ok = true;
    } catch (const std::exception& e) {
        r.detail = e.what();
        r.fix = "fix what the message names, then run 'guestuml appliance build'";
    }
    return r;
}

CheckResult check_launch(const SessionOptions& options)
{
    CheckResult r{"appliance launch (libguestfs over UML)", false, {}, {}};
    try {
        const auto start = std::chrono::steady_clock::now();
        GuestfsSession session(resolve_backend_config(), options);
        if (guestfs_add_drive_scratch(session.get(), 64 * 1024 * 1024, -1) == -1)
            session.fail("adding a scratch disk");
        session.launch();
        char** devices = guestfs_list_devices(session.get());
        if (!devices)
            session.fail("listing devices");
        const auto list = take_string_list(devices);
        const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        r.ok = list.size() == 1;
        r.detail = fmt::format("booted in {:.1f} s, {} disk(s) seen", seconds, list.size());
        if (!r.ok)
            r.fix = "run 'guestuml doctor --verbose' and report the appliance console output";
    } catch (const std::exception& e) {
        r.detail = e.what();
        r.fix = "run 'guestuml doctor --verbose' to see the appliance console";
    }
    return r;
}

} // namespace guestuml::cli
