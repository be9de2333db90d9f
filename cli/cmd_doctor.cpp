// guestuml doctor: checks that this host can run guestuml and says exactly
// what is missing and how to fix it.
#include "arg_cursor.hpp"
#include "commands.hpp"
#include "doctor_checks.hpp"

#include <fmt/format.h>

namespace guestuml::cli {

namespace {

constexpr const char* usage = R"(usage: guestuml doctor [OPTIONS]

Checks what guestuml needs on this host: ptrace, executable memory in UML's
temporary directory, the Debian packages, guestuml's helpers, the appliance
(built if missing, about 30 s), and a real appliance launch. Each failed check
prints what was found and how to fix it.

options:
      --no-launch  skip the test launch
  -v, --verbose    the appliance console of the test launch on stderr
  -h, --help       this text

exit codes: 0 everything is in place, 3 something is missing, 2 bad arguments.
)";

void print(const CheckResult& r, bool& all_ok)
{
    fmt::print("{:4}  {}: {}\n", r.ok ? "ok" : "FAIL", r.name, r.detail);
    if (!r.ok) {
        fmt::print("      fix: {}\n", r.fix);
        all_ok = false;
    }
}

} // namespace

int cmd_doctor(const Args& args)
{
    bool launch = true;
    SessionOptions session;
    ArgCursor cursor(args);
    while (!cursor.done()) {
        if (cursor.take_flag({"-h", "--help"})) {
            fmt::print("{}", usage);
            return exit_ok;
        }
        if (cursor.take_flag({"--no-launch"}))
            launch = false;
        else if (cursor.take_flag({"-v", "--verbose"}))
            session.verbose = true;
        else if (auto arg = cursor.take_positional())
            throw UsageError(fmt::format("unexpected argument '{}' (see --help)", *arg));
    }
    bool all_ok = true;
    print(check_ptrace(), all_ok);
    print(check_exec_tmp(), all_ok);
    for (const auto& r : check_packages())
        print(r, all_ok);
    bool helpers_ok = true;
    for (const auto& r : check_helpers())
        print(r, helpers_ok);
    all_ok = all_ok && helpers_ok;
    const auto appliance = check_appliance();
    print(appliance, all_ok);
    if (launch && all_ok)
        print(check_launch(session), all_ok);
    else if (launch)
        fmt::print("skip  appliance launch: fix the failures above first\n");
    fmt::print("{}\n", all_ok ? "guestuml is ready." : "guestuml cannot run here yet: see the fixes above.");
    return all_ok ? exit_ok : exit_internal;
}

} // namespace guestuml::cli
