#include "guestfish_run.hpp"

#include "guestuml/error.hpp"
#include "guestuml/run_command.hpp"
#include "guestuml/unique_fd.hpp"

#include <boost/filesystem/operations.hpp>
#include <fcntl.h>
#include <fstream>
#include <thread>

namespace fs = boost::filesystem;

namespace guestuml::robustness {
namespace {

// `guestuml env`'s exports, asked once per test program.
const std::string& guestuml_exports()
{
    static const std::string exports = run_command_checked({GUESTUML_PROGRAM, "env"});
    return exports;
}

} // namespace

GuestfishRun::GuestfishRun(const fs::path& tmpdir, const fs::path& log, const std::vector<std::string>& args,
                           const std::string& script)
    : log_(log)
{
    const fs::path script_file = log.string() + ".script";
    std::ofstream(script_file.string()) << script;
    UniqueFd in(::open(script_file.c_str(), O_RDONLY | O_CLOEXEC));
    UniqueFd out(::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!in || !out)
        throw_errno("guestfish run: opening " + log.string());
    SpawnOptions opts;
    opts.argv = {"sh", "-c", guestuml_exports() + "\nexec guestfish \"$@\"", "sh"};
    opts.argv.insert(opts.argv.end(), args.begin(), args.end());
    opts.extra_env = {"TMPDIR=" + tmpdir.string()};
    opts.fds = {{in.get(), 0}, {out.get(), 1}, {out.get(), 2}};
    process_ = Process(opts);
}

std::string GuestfishRun::output() const
{
    std::ifstream in(log_.string());
    return {std::istreambuf_iterator<char>(in), {}};
}

bool wait_for_file(const fs::path& path, std::chrono::milliseconds limit)
{
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!fs::exists(path)) {
        if (std::chrono::steady_clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

} // namespace guestuml::robustness
