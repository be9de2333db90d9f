// The instance's supervisor thread: relays UML's console line by line (to the
// caller's sink and a short tail kept for error messages) and reacts when a
// companion process (the storage daemon) exits while UML still needs it.
#pragma once

#include "guestuml/unique_fd.hpp"

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace guestuml {

using LineSink = std::function<void(std::string_view line)>;

class Supervisor {
public:
    static constexpr size_t tail_lines = 40;

    // Starts the thread. console: read end of UML's console pipe. watch_fd: a pidfd
    // (or -1); on_exit runs once, on the thread, when it becomes readable.
    Supervisor(UniqueFd console, LineSink sink, int watch_fd, std::function<void()> on_exit);
    Supervisor(const Supervisor&) = delete;
    Supervisor& operator=(const Supervisor&) = delete;
    ~Supervisor();

    // Adds a line of our own (a notice) to the tail and the sink.
    void note(std::string_view line);
    // Stops watching; drains the console until its writers are gone or drain_for
    // passes; joins the thread. The tail stays readable. Never throws.
    void stop(std::chrono::milliseconds drain_for = std::chrono::milliseconds(500)) noexcept;
    // The last lines, oldest first (an unfinished last line included).
    std::vector<std::string> tail() const;

private:
    void run();
    void add_line(std::string_view line);
    void consume(const char* data, size_t size);

    UniqueFd console_;
    LineSink sink_;
    int watch_fd_;
    std::function<void()> on_exit_;
    FdPair wake_;                     // written to by stop()
    std::atomic<long long> drain_ms_{0};
    mutable std::mutex mutex_;        // guards tail_, partial_ and calls to sink_
    std::deque<std::string> tail_;
    std::string partial_;
    std::thread thread_;
};

} // namespace guestuml
