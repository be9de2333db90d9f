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

// $1 is the session directory. "kill PID", "remove DIR", "client PID" and
// "file PATH" lines accumulate targets; "clear" ends the watch; "release" drops
// the processes and directories (the owner has cleaned those up) but keeps the
// client's files. Only EOF without "clear" (the owner is gone) triggers the
// clean-up. A client's files wait for the client to exit: libguestfs's
// recovery process SIGKILLs its qemu (our owner) once the client is reaped,
// which can come before the owner has removed them itself. A zombie has exited
// too.
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
client=
files=
released=
while read -r cmd arg <&3; do
  case $cmd in
    kill) targets="$targets $arg" ;;
    remove) dirs="$dirs
$arg" ;;
    client) client=$arg ;;
    file) files="$files
$arg" ;;
    clear) exit 0 ;;
    release) targets= dirs= released=1 ;;
  esac
done
# -s KILL, not -9: dash's kill reads "--" after -9 as a pid and kills nothing.
[ -n "$targets" ] && kill -s KILL -- $targets 2>/dev/null
[ -n "$released" ] || rm -rf -- "$1"
printf '%s\n' "$dirs" | while IFS= read -r d; do [ -n "$d" ] && rm -rf -- "$d"; done
[ -n "$client" ] || exit 0
running() { [ -d "/proc/$client" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$client/status" 2>/dev/null; }
n=0
while running && [ $n -lt 30 ]; do sleep 0.1; n=$((n + 1)); done
running && exit 0
printf '%s\n' "$files" | while IFS= read -r f; do
  [ -n "$f" ] && rm -f -- "$f" && rmdir -- "${f%/*}" 2>/dev/null
done
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
    send_path("remove", dir);
}

void Janitor::remove_after(pid_t client_pid, const std::vector<boost::filesystem::path>& files) noexcept
{
    if (!pipe_ || client_pid <= 0)
        return;
    char line[32];
    const int n = std::snprintf(line, sizeof line, "client %d\n", static_cast<int>(client_pid));
    write_line(pipe_.get(), line, static_cast<size_t>(n));
    for (const auto& f : files)
        send_path("file", f);
}

void Janitor::send_path(const char* command, const boost::filesystem::path& path) noexcept
{
    if (!pipe_)
        return;
    try {
        const std::string line = std::string(command) + " " + path.string() + "\n";
        // A name with a newline would split the command; such a path is not ours.
        if (path.string().find('\n') == std::string::npos && line.size() <= PIPE_BUF)
            write_line(pipe_.get(), line.data(), line.size());
    } catch (const std::exception&) {
    }
}

void Janitor::release() noexcept
{
    if (!pipe_)
        return;
    write_line(pipe_.get(), "release\n", 8);
    // Left open on purpose, never closed by us: its EOF, when this process
    // exits, is what starts the janitor on the client's files.
    (void)pipe_.release();
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
