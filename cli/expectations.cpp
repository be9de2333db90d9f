#include "expectations.hpp"

#include "commands.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <fmt/ranges.h>

namespace guestuml::cli {

namespace {

bool has_key(const std::vector<Expectation>& expectations, const char* key)
{
    return std::any_of(expectations.begin(), expectations.end(), [key](const auto& e) { return e.key == key; });
}

std::string check_package(const Expectation& e, const OperatingSystem& os)
{
    const auto& apps = *os.applications;
    const auto found = std::find_if(apps.begin(), apps.end(), [&](const auto& a) { return a.name == e.value; });
    if (found != apps.end())
        return {};
    return fmt::format("expected package={}, found no such package among {} installed", e.value, apps.size());
}

std::string check_scalar(const Expectation& e, const OperatingSystem& os)
{
    const auto found = *scalar_field(os, e.key);
    if (found == e.value)
        return {};
    return fmt::format("expected {}={}, found {}", e.key, e.value,
                       found.empty() ? std::string("nothing (unknown)") : fmt::format("{}={}", e.key, found));
}

} // namespace

Expectation parse_expectation(const std::string& text)
{
    const auto eq = text.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
        throw UsageError(fmt::format("--expect '{}': expected KEY=VALUE", text));
    Expectation e{text.substr(0, eq), text.substr(eq + 1)};
    if (e.key != "package" && e.key != "file" && !scalar_field(OperatingSystem{}, e.key))
        throw UsageError(fmt::format("--expect '{}': unknown key '{}' (use package, file or one of: {})", text,
                                     e.key, fmt::join(scalar_field_names(), ", ")));
    if (e.key == "file" && e.value.front() != '/')
        throw UsageError(fmt::format("--expect '{}': the path must be absolute", text));
    return e;
}

std::vector<std::string> unmet_expectations(const std::vector<Expectation>& expectations,
                                            const OperatingSystem& os, const FileProbe& file_exists)
{
    std::vector<std::string> unmet;
    for (const auto& e : expectations) {
        std::string problem;
        if (e.key == "package")
            problem = check_package(e, os);
        else if (e.key == "file")
            problem = file_exists(e.value) ? std::string{}
                                           : fmt::format("expected file={}, found no such file", e.value);
        else
            problem = check_scalar(e, os);
        if (!problem.empty())
            unmet.push_back(std::move(problem));
    }
    return unmet;
}

bool needs_applications(const std::vector<Expectation>& expectations)
{
    return has_key(expectations, "package");
}

bool needs_files(const std::vector<Expectation>& expectations)
{
    return has_key(expectations, "file");
}

} // namespace guestuml::cli
