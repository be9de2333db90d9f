#include "lvm_md.hpp"

#include "child_process.hpp"
#include "disk_signatures.hpp"
#include "sys.hpp"

#include "guestuml/error.hpp"

#include <fmt/format.h>
#include <sys/wait.h>

namespace guestuml::init {

namespace {

void run_tool(const std::vector<std::string>& argv, const std::vector<std::string>& env,
              const BootLog& log)
{
    std::string line;
    for (const auto& a : argv)
        line += (line.empty() ? "" : " ") + a;
    int status = 0;
    log.timed(line, [&] { status = run(argv, env); });
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        log.note(fmt::format("{}: exit status {}", line, status));
}

// The MD arrays the kernel knows after assembly: /dev/md0, /dev/md127, ...
std::vector<std::string> md_devices()
{
    std::vector<std::string> devices;
    for (const auto& name : list_dir("/sys/block"))
        if (name.rfind("md", 0) == 0)
            devices.push_back("/dev/" + name);
    return devices;
}

} // namespace

std::string lvm_config_text()
{
    return lvm::appliance_config;
}

void write_lvm_config()
{
    make_dir("/tmp", 01777);
    make_dir(lvm_system_dir);
    write_file(std::string(lvm_system_dir) + "/lvm.conf", lvm_config_text());
}

void activate_md_and_lvm(const std::vector<std::string>& devices,
                         const std::vector<std::string>& env,
                         const std::function<void()>& load_md_modules, const BootLog& log)
{
    DiskSignatures any;
    for (const auto& device : devices) {
        const DiskSignatures found = probe_signatures(device);
        any.lvm = any.lvm || found.lvm;
        any.md = any.md || found.md;
    }
    try {
        if (any.md) {
            load_md_modules();
            run_tool({"mdadm", "-As", "--auto=yes", "--no-degraded"}, env, log);
            for (const auto& md : md_devices())
                any.lvm = any.lvm || probe_signatures(md).lvm;
        }
        if (any.lvm)
            run_tool({"lvm", "vgchange", "-aay", "--sysinit"}, env, log);
    } catch (const Error& e) {
        log.warn(e.what());
    }
    if (!any.md && !any.lvm)
        log.note("no LVM or MD signatures: lvm and mdadm not run");
}

} // namespace guestuml::init
