// Bad disks are refused with a clear error before anything is started.
#include "guestuml/error.hpp"
#include "guestuml/temp_dir.hpp"
#include "guestuml/uml_instance.hpp"
#include "guestuml/unique_fd.hpp"
#include "read_fd.hpp"
#include "test_images.hpp"

#include <boost/filesystem/operations.hpp>
#include <catch2/catch.hpp>
#include <functional>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = boost::filesystem;
using guestuml::DiskSpec;
using guestuml::Error;
using guestuml::LaunchConfig;
using guestuml::TempDir;
using guestuml::UmlInstance;
using Catch::Matchers::Contains;

namespace {

constexpr uid_t nobody = 65534;

// The error message fn throws when run as user nobody (root reads and writes
// everything), or "" if it does not throw.
std::string error_as_nobody(const std::function<void()>& fn)
{
    auto [read_end, write_end] = guestuml::make_pipe();
    const pid_t pid = ::fork();
    REQUIRE(pid != -1);
    if (pid == 0) {
        std::string msg;
        if (::setgroups(0, nullptr) == -1 || ::setresgid(nobody, nobody, nobody) == -1 ||
            ::setresuid(nobody, nobody, nobody) == -1) {
            msg = "cannot become nobody";
        } else {
            try {
                fn();
            } catch (const std::exception& e) {
                msg = e.what();
            }
        }
        ssize_t ignored = ::write(write_end.get(), msg.data(), msg.size());
        (void)ignored;
        ::_exit(0);
    }
    write_end.reset();
    std::string msg = guestuml::test::read_until_eof(read_end.get());
    int status = 0;
    ::waitpid(pid, &status, 0);
    return msg;
}

struct Fixture {
    TempDir dir{"guestuml-test"};
    fs::path sessions = dir.path() / "sessions";
    LaunchConfig config;

    Fixture()
    {
        fs::create_directory(sessions);
        // Readable for nobody, so that only the file modes below matter.
        fs::permissions(dir.path(), fs::perms(0755));
        fs::permissions(sessions, fs::perms(0777));
        config.kernel = "/usr/bin/linux.uml";
        config.root = dir.path() / "root";
        guestuml::test::write_file(config.root, "not used: validation fails first");
        config.temp_parent = sessions;
    }

    bool nothing_started() const { return fs::is_empty(sessions); }
};

} // namespace

TEST_CASE("a missing disk file is refused before anything starts", "[disk]")
{
    Fixture f;
    f.config.disks = {{f.dir.path() / "missing.img", "raw", true}};
    CHECK_THROWS_WITH(UmlInstance(f.config), Contains("missing.img") && Contains("No such file or directory"));
    CHECK(f.nothing_started());
}

TEST_CASE("a directory given as a disk is refused before anything starts", "[disk]")
{
    Fixture f;
    const fs::path ok = f.dir.path() / "ok.img";
    guestuml::test::write_file(ok, std::string(512, '\0'));
    f.config.disks = {{ok, "raw", true}, {f.dir.path(), "", false}};
    CHECK_THROWS_WITH(UmlInstance(f.config), Contains(f.dir.path().string()) && Contains("is a directory"));
    CHECK(f.nothing_started());
}

TEST_CASE("an unreadable disk file is refused before anything starts", "[disk]")
{
    Fixture f;
    const fs::path secret = f.dir.path() / "secret.img";
    guestuml::test::write_file(secret, std::string(512, '\0'));
    ::chmod(secret.c_str(), 0);
    f.config.disks = {{secret, "raw", true}};
    const std::string msg = error_as_nobody([&] { UmlInstance instance(f.config); });
    CHECK_THAT(msg, Contains("secret.img") && Contains("cannot read") && Contains("Permission denied"));
    CHECK(f.nothing_started());
}

TEST_CASE("a writable disk needs write permission; read-only does not", "[disk]")
{
    Fixture f;
    const fs::path img = f.dir.path() / "readonly.img";
    guestuml::test::write_file(img, std::string(512, '\0'));
    ::chmod(img.c_str(), 0444);
    CHECK_THAT(error_as_nobody([&] { guestuml::validate_disk({img, "raw", false}); }),
               Contains("readonly.img") && Contains("cannot open for writing"));
    CHECK(error_as_nobody([&] { guestuml::validate_disk({img, "raw", true}); }).empty());
}

TEST_CASE("a missing kernel or appliance root is named", "[disk]")
{
    Fixture f;
    f.config.kernel = f.dir.path() / "no-kernel";
    CHECK_THROWS_WITH(UmlInstance(f.config), Contains("UML kernel") && Contains("no-kernel"));
    f.config.kernel = "/usr/bin/linux.uml";
    f.config.root = f.dir.path() / "no-root";
    CHECK_THROWS_WITH(UmlInstance(f.config), Contains("appliance root") && Contains("no-root"));
    CHECK(f.nothing_started());
}
