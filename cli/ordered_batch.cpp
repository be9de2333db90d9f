#include "ordered_batch.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace guestuml::cli {

void run_ordered_batch(std::size_t count, unsigned jobs, const std::function<std::string(std::size_t)>& work,
                       const std::function<void(std::size_t, const std::string&)>& emit)
{
    std::vector<std::optional<std::string>> results(count);
    std::mutex mutex;
    std::condition_variable done;
    std::atomic<std::size_t> next{0};

    auto worker = [&] {
        for (std::size_t i = next++; i < count; i = next++) {
            auto result = work(i);
            std::lock_guard lock(mutex);
            results[i] = std::move(result);
            done.notify_one();
        }
    };
    std::vector<std::jthread> threads;
    const std::size_t thread_count = std::clamp<std::size_t>(jobs, 1, std::max<std::size_t>(count, 1));
    for (std::size_t t = 0; t < thread_count; ++t)
        threads.emplace_back(worker);

    for (std::size_t i = 0; i < count; ++i) {
        std::string result;
        {
            std::unique_lock lock(mutex);
            done.wait(lock, [&] { return results[i].has_value(); });
            result = std::move(*results[i]);
        }
        emit(i, result);
    }
}

} // namespace guestuml::cli
