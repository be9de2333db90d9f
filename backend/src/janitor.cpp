#include "janitor.hpp"

#include <chrono>
#include <fcntl.h>
#include <climits>
#include <string>
#include <cstdio>
#include <exception>
#include <unistd.h>

namespace guestuml {
namespace {

// $1 is the session directory. "kill PID" and "remove DIR" lines accumulate
// targets; "clear" ends the watch. Only EOF without "clear" (the owner is gone)
// triggers the clean-up.
// The watch runs in a background subshell and the shell we started exits at
// once: orphaned, the janitor is no longer its owner's descendant, so a tool
// that kills a whole process tree (ctest on a time-out does) leaves it to clean
// up after the rest. The pipe moves to fd 3 first, because a background list's
// stdin is /dev/null.
constexpr const char* janitor_script = R"(
exec 3<&0
(
targets=
dirs=
while read -r cmd arg <&3; do
  case $cmd in
    kill) targets="$targets $arg" ;;
    remove) dirs="$dirs
$arg" ;;
    clear) exit 0 ;;
  esac
done
# -s KILL, not -9: dash's kill reads "--" after -9 as a pid and kills nothing.
[ -n "$targets" ] && kill -s KILL -- $targets 2>/dev/null
rm -rf -- "$1"
printf '%s\n' "$dirs" | while IFS= read -r d; do [ -n "$d" ] && rm -rf -- "$d"; done
) &
)";

void write_line(int fd, const char* line, size_t size) noexcept
{
    // Short lines on a pipe are written atomically; a failure means the janitor is
    // already gone and there is nobody left to tell.
    ssize_t ignored = ::write(fd, line, size);
    (void)ignored;
}

} // namespace

Janitor::Janitor(const boost::filesystem::path& session_dir)
{
    auto [read_end, write_end] = make_pipe();
    UniqueFd null_fd(::open("/dev/null", O_WRONLY | O_CLOEXEC));
    SpawnOptions opts;
    opts.argv = {"/bin/sh", "-c", janitor_script, "guestuml-janitor", session_dir.string()};
    opts.fds = {{read_end.get(), 0}, {null_fd.get(), 1}, {null_fd.get(), 2}};
    opts.die_with_parent = false;
    opts.new_session = true;
    process_ = Process(opts);
    pipe_ = std::move(write_end);
}

Janitor::~Janitor() { clear(); }

void Janitor::watch(pid_t pid) noexcept
{
    if (!pipe_ || pid == 0 || pid == -1)
        return;
    char line[32];
    const int n = std::snprintf(line, sizeof line, "kill %d\n", static_cast<int>(pid));
    write_line(pipe_.get(), line, static_cast<size_t>(n));
}

void Janitor::remove(const boost::filesystem::path& dir) noexcept
{
    if (!pipe_)
        return;
    try {
        const std::string line = "remove " + dir.string() + "\n";
        // A name with a newline would split the command; such a directory is not ours.
        if (dir.string().find('\n') == std::string::npos && line.size() <= PIPE_BUF)
            write_line(pipe_.get(), line.data(), line.size());
    } catch (const std::exception&) {
    }
}

void Janitor::clear() noexcept
{
    if (!pipe_)
        return;
    write_line(pipe_.get(), "clear\n", 6);
    pipe_.reset();
    try {
        if (process_.wait_for(std::chrono::seconds(2)))
            return;
    } catch (const std::exception&) {
    }
    process_.kill();
}

} // namespace guestuml
