#include "host_watch.hpp"

#include <boost/filesystem/operations.hpp>
#include <cstdlib>
#include <fstream>
#include <thread>
#include <unistd.h>

namespace fs = boost::filesystem;

namespace guestuml::robustness {

std::vector<std::string> processes_mentioning(const std::string& text)
{
    std::vector<std::string> found;
    const std::string self = std::to_string(::getpid());
    boost::system::error_code ec;
    for (fs::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
        const std::string pid = it->path().filename().string();
        if (pid.find_first_not_of("0123456789") != std::string::npos || pid == self)
            continue;
        std::ifstream stat_file((it->path() / "stat").string());
        std::string stat_line;
        std::getline(stat_file, stat_line);
        const auto close = stat_line.rfind(')');
        if (close == std::string::npos || close + 2 >= stat_line.size() || stat_line[close + 2] == 'Z')
            continue;
        std::ifstream in((it->path() / "cmdline").string(), std::ios::binary);
        std::string cmdline{std::istreambuf_iterator<char>(in), {}};
        for (char& c : cmdline)
            if (c == '\0')
                c = ' ';
        if (cmdline.find(text) != std::string::npos)
            found.push_back(pid + ": " + cmdline.substr(0, 200));
    }
    return found;
}

std::vector<std::string> files_under(const fs::path& dir)
{
    std::vector<std::string> out;
    boost::system::error_code ec;
    for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        out.push_back(it->path().lexically_relative(dir).string());
    return out;
}

std::vector<std::string> memory_dirs()
{
    std::vector<std::string> out;
    boost::system::error_code ec;
    for (fs::directory_iterator it("/dev/shm", ec), end; !ec && it != end; it.increment(ec))
        if (it->path().filename().string().rfind("guestuml-memory-", 0) == 0)
            out.push_back(it->path().string());
    return out;
}

std::vector<std::string> libguestfs_sockdirs()
{
    const char* runtime = std::getenv("XDG_RUNTIME_DIR");
    const fs::path base = runtime && *runtime ? fs::path(runtime) : fs::path("/tmp");
    std::vector<std::string> out;
    boost::system::error_code ec;
    for (fs::directory_iterator it(base, ec), end; !ec && it != end; it.increment(ec))
        if (it->path().filename().string().rfind("libguestfs", 0) == 0)
            out.push_back(it->path().string());
    return out;
}

std::vector<std::string> wait_for_no_process(const std::string& text, std::chrono::seconds limit)
{
    const auto deadline = std::chrono::steady_clock::now() + limit;
    auto left = processes_mentioning(text);
    while (!left.empty() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        left = processes_mentioning(text);
    }
    return left;
}

std::string join(const std::vector<std::string>& items)
{
    std::string out;
    for (const auto& i : items)
        out += (out.empty() ? "" : ", ") + i;
    return out;
}

} // namespace guestuml::robustness
