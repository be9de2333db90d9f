#include "guestuml/temp_dir.hpp"

#include "guestuml/error.hpp"

#include <boost/filesystem/operations.hpp>
#include <cstdlib>
#include <utility>

namespace fs = boost::filesystem;

namespace guestuml {

TempDir::TempDir(const std::string& prefix, const fs::path& parent)
{
    fs::path base = parent;
    if (base.empty()) {
        const char* tmp = std::getenv("TMPDIR");
        base = (tmp && *tmp) ? tmp : "/tmp";
    }
    std::string templ = (base / (prefix + "-XXXXXX")).string();
    if (::mkdtemp(templ.data()) == nullptr)
        throw_errno("cannot create a temporary directory in " + base.string());
    path_ = templ;
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

TempDir::~TempDir() { remove(); }

void TempDir::remove() noexcept
{
    if (path_.empty())
        return;
    boost::system::error_code ec;
    fs::remove_all(path_, ec);
    path_.clear();
}

} // namespace guestuml
