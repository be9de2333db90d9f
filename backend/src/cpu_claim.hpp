// One CPU for one appliance, claimed machine-wide so that appliances running at
// the same time (from any process) get different CPUs.
#pragma once

#include "guestuml/unique_fd.hpp"

#include <optional>
#include <string>

namespace guestuml {

class CpuClaim {
public:
    // Claims the first CPU this process may run on that no other guestuml appliance
    // holds; nullopt when every one is held, or when there is only one to choose.
    static std::optional<CpuClaim> claim_free();

    int cpu() const noexcept { return cpu_; }

    // The abstract socket name that marks `cpu` as held (for tests).
    static std::string lock_name(int cpu);

private:
    CpuClaim(int cpu, UniqueFd lock) noexcept : cpu_(cpu), lock_(std::move(lock)) {}
    int cpu_;
    UniqueFd lock_;  // bound to lock_name(cpu_): the claim lasts as long as the socket
};

} // namespace guestuml
