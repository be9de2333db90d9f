// guestuml-qemu: the program libguestfs's direct backend runs as its hypervisor
// (LIBGUESTFS_HV). It answers qemu's probes and boots the guestuml appliance on
// User-mode Linux for a launch. Errors: one line on stderr, exit status 1.
#include "appliance_session.hpp"
#include "launch_translation.hpp"
#include "qemu_args.hpp"
#include "qemu_probe.hpp"

#include "guestuml/error.hpp"

#include <cerrno>
#include <fmt/format.h>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using namespace guestuml::plugin;

void write_stdout(std::string_view text)
{
    while (!text.empty()) {
        const ssize_t n = ::write(STDOUT_FILENO, text.data(), text.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            guestuml::throw_errno("writing to standard output");
        text.remove_prefix(static_cast<size_t>(n));
    }
}

// libguestfs pipes its QMP commands in and reads the replies line by line.
int serve_qmp(const std::string& chardev)
{
    if (chardev != "stdio")
        throw guestuml::Error(fmt::format("-qmp {}: only -qmp stdio is supported", chardev));
    QmpResponder qmp;
    write_stdout(qmp.greeting());
    char buf[4096];
    while (!qmp.quit()) {
        const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            guestuml::throw_errno("reading QMP commands from standard input");
        if (n == 0)
            break;
        write_stdout(qmp.feed(std::string_view(buf, static_cast<size_t>(n))));
    }
    return 0;
}

int run(const std::vector<std::string>& args)
{
    const QemuCommandLine cmd = parse_qemu_args(args);
    if (auto answer = probe_answer(cmd)) {
        write_stdout(*answer);
        return 0;
    }
    if (cmd.qmp && !cmd.kernel)
        return serve_qmp(*cmd.qmp);

    LaunchPlan plan = translate_launch(cmd);
    check_uml_kernel(plan.config.kernel);
    for (const auto& note : plan.notes)
        fmt::print(stderr, "guestuml-qemu: note: {}\n", note);
    return run_appliance(std::move(plan));
}

} // namespace

int main(int argc, char* argv[])
{
    try {
        return run(std::vector<std::string>(argv + 1, argv + argc));
    } catch (const std::exception& e) {
        fmt::print(stderr, "guestuml-qemu: {}\n", e.what());
        return 1;
    }
}
