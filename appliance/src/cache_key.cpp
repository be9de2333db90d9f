#include "cache_key.hpp"

#include "guestuml/error.hpp"

#include <algorithm>
#include <boost/filesystem/operations.hpp>
#include <fmt/format.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <vector>

namespace fs = boost::filesystem;

namespace guestuml {

namespace {

// The dpkg database changes whenever a package (libguestfs, supermin, a tool
// in the appliance) is installed or upgraded.
constexpr const char* dpkg_status = "/var/lib/dpkg/status";

} // namespace

std::string stat_line(const fs::path& path)
{
    struct stat st;
    if (::lstat(path.c_str(), &st) == -1)
        throw_errno(fmt::format("appliance input {}", path.string()));
    return fmt::format("{} {} {}.{:09}", st.st_mode, st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

namespace {

// Every entry below dir, sorted, with its stat line.
std::string tree_lines(const std::string& label, const fs::path& dir)
{
    if (!fs::is_directory(dir))
        throw Error(fmt::format("appliance input {} is not a directory: {}", label, dir.string()));
    std::vector<std::string> lines;
    for (fs::recursive_directory_iterator it(dir), end; it != end; ++it)
        lines.push_back(fmt::format("{} {} {}\n", label, it->path().lexically_relative(dir).string(),
                                    stat_line(it->path())));
    std::sort(lines.begin(), lines.end());
    std::string out;
    for (const auto& l : lines)
        out += l;
    return out;
}

} // namespace

std::string content_hash(const fs::path& file)
{
    std::ifstream in(file.string(), std::ios::binary);
    if (!in)
        throw Error(fmt::format("cannot read appliance input {}", file.string()));
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return fmt::format("{:016x}", stable_hash(bytes.str()));
}

std::uint64_t stable_hash(std::string_view bytes)
{
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char c : bytes) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    return h;
}

std::string describe_appliance_inputs(const ApplianceInputs& inputs)
{
    std::string d = fmt::format("format {}\n", appliance_format_version);
    if (inputs.kernel.empty())
        throw Error("appliance inputs: no kernel (ensure_appliance() resolves the minimal kernel first)");
    d += fmt::format("kernel {} {}\n", inputs.kernel.string(), stat_line(inputs.kernel));
    d += fmt::format("kernel-version {}\n", inputs.kernel_version);
    d += tree_lines("modules", inputs.modules);
    d += tree_lines("supermin.d", inputs.supermin_d);
    if (fs::exists(dpkg_status))
        d += fmt::format("dpkg-status {}\n", stat_line(dpkg_status));
    d += fmt::format("init {}\n", content_hash(inputs.init));
    d += fmt::format("udevadm-shim {}\n", content_hash(inputs.udevadm_shim));
    d += fmt::format("augeas-preload {}\n", content_hash(inputs.augeas_preload));
    d += fmt::format("augeas-table {}\n", content_hash(inputs.augeas_table));
    d += fmt::format("vfork-preload {}\n", content_hash(inputs.vfork_preload));
    d += fmt::format("channel-io-preload {}\n", content_hash(inputs.channel_io_preload));
    d += fmt::format("lazy-loader {}\n", content_hash(inputs.lazy_loader));
    return d;
}

std::string appliance_cache_key(const ApplianceInputs& inputs)
{
    return fmt::format("{:016x}", stable_hash(describe_appliance_inputs(inputs)));
}

} // namespace guestuml
