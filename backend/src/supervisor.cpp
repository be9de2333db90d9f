#include "supervisor.hpp"

#include <cerrno>
#include <chrono>
#include <poll.h>
#include <unistd.h>

namespace guestuml {
namespace {

constexpr size_t max_line_length = 4096;

} // namespace

Supervisor::Supervisor(UniqueFd console, LineSink sink, int watch_fd, std::function<void()> on_exit)
    : console_(std::move(console)), sink_(std::move(sink)), watch_fd_(watch_fd), on_exit_(std::move(on_exit)),
      wake_(make_pipe())
{
    thread_ = std::thread([this] { run(); });
}

Supervisor::~Supervisor() { stop(std::chrono::milliseconds(0)); }

void Supervisor::note(std::string_view line) { add_line(line); }

void Supervisor::stop(std::chrono::milliseconds drain_for) noexcept
{
    if (!thread_.joinable())
        return;
    drain_ms_ = drain_for.count();
    const char byte = 'x';
    ssize_t ignored = ::write(wake_.second.get(), &byte, 1);
    (void)ignored;
    thread_.join();
}

std::vector<std::string> Supervisor::tail() const
{
    std::lock_guard lock(mutex_);
    std::vector<std::string> lines(tail_.begin(), tail_.end());
    if (!partial_.empty())
        lines.push_back(partial_);
    return lines;
}

void Supervisor::add_line(std::string_view line)
{
    std::lock_guard lock(mutex_);
    tail_.emplace_back(line);
    if (tail_.size() > tail_lines)
        tail_.pop_front();
    if (sink_) {
        try {
            sink_(line);
        } catch (...) {
            // A failing sink must not take the console relay (and the tail) down.
        }
    }
}

void Supervisor::consume(const char* data, size_t size)
{
    std::vector<std::string> complete;
    {
        std::lock_guard lock(mutex_);
        for (size_t i = 0; i < size; ++i) {
            const char c = data[i];
            if (c == '\n' || partial_.size() >= max_line_length) {
                complete.push_back(std::move(partial_));
                partial_.clear();
                if (c == '\n')
                    continue;
            }
            if (c != '\r')
                partial_ += c;
        }
    }
    for (const auto& line : complete)
        add_line(line);
}

void Supervisor::run()
{
    bool watching = watch_fd_ >= 0;
    bool stopping = false;
    std::chrono::steady_clock::time_point drain_deadline;
    for (;;) {
        pollfd fds[3] = {{console_.get(), POLLIN, 0}, {wake_.first.get(), POLLIN, 0},
                         {watching ? watch_fd_ : -1, POLLIN, 0}};
        int timeout = -1;
        if (stopping) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                drain_deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0)
                return;
            timeout = static_cast<int>(left.count());
        }
        const int n = ::poll(fds, 3, timeout);
        if (n == -1 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        if (fds[1].revents) {
            char buf[16];
            ssize_t ignored = ::read(wake_.first.get(), buf, sizeof buf);
            (void)ignored;
            stopping = true;
            watching = false;
            drain_deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(drain_ms_.load());
        }
        if (fds[2].revents) {
            watching = false;
            if (on_exit_)
                on_exit_();
        }
        if (fds[0].revents) {
            char buf[4096];
            const ssize_t got = ::read(console_.get(), buf, sizeof buf);
            if (got > 0) {
                consume(buf, static_cast<size_t>(got));
            } else if (got == 0 || errno != EINTR) {
                // Every writer is gone: UML and its helpers have exited, and
                // nothing is left to protect from a dying companion.
                return;
            }
        }
    }
}

} // namespace guestuml
