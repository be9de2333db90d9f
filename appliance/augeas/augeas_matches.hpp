// AugeasMatches: the paths aug_match returns, freed with their list.
#pragma once

#include <augeas.h>
#include <cstdlib>

namespace guestuml::augeas {

class AugeasMatches {
public:
    // Runs aug_match(aug, expr); count() is its result (-1 on an error).
    AugeasMatches(::augeas* aug, const char* expr) : count_(aug_match(aug, expr, &paths_)) {}
    ~AugeasMatches()
    {
        for (int i = 0; i < count_; ++i)
            std::free(paths_[i]);
        std::free(paths_);
    }
    AugeasMatches(const AugeasMatches&) = delete;
    AugeasMatches& operator=(const AugeasMatches&) = delete;

    int count() const { return count_; }
    const char* operator[](int i) const { return paths_[i]; }

private:
    char** paths_ = nullptr;
    int count_;
};

} // namespace guestuml::augeas
