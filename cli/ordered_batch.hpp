// Runs N independent jobs on up to `jobs` threads and hands their results back
// strictly in input order, each as soon as it and all before it are done.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

namespace guestuml::cli {

// work(i) computes result i (must not throw); emit(i, result) is called on the
// calling thread, in order 0..count-1.
void run_ordered_batch(std::size_t count, unsigned jobs, const std::function<std::string(std::size_t)>& work,
                       const std::function<void(std::size_t, const std::string&)>& emit);

} // namespace guestuml::cli
