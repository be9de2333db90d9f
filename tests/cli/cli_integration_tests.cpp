// End-to-end tests of `guestuml inspect|ls|cat|copy-out|shell|doctor`: the real
// program on real appliances over images the tests make. Boots are costly, so
// each test case boots once per group of checks.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "os_images.hpp"
#include "qemu_reference.hpp"
#include "guestuml/run_command.hpp"

#include "guestuml/temp_dir.hpp"

#include <algorithm>
#include <boost/filesystem/fstream.hpp>
#include <boost/filesystem/operations.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sstream>
#include <sys/resource.h>
#include <sys/wait.h>

namespace fs = boost::filesystem;
using guestuml::CommandResult;

namespace {

CommandResult run_guestuml(std::vector<std::string> args)
{
    args.insert(args.begin(), GUESTUML_BIN);
    return guestuml::run_command(args);
}

int exit_code(const CommandResult& r)
{
    return WIFEXITED(r.status) ? WEXITSTATUS(r.status) : -1;
}

fs::path save(const fs::path& path, const std::string& text)
{
    fs::ofstream(path) << text;
    return path;
}

// Validates with the tests' own validator for the schema subset we use.
void require_schema_valid(const fs::path& dir, const std::string& json)
{
    const auto doc = save(dir / "doc.json", json);
    const auto r = guestuml::run_command({"python3", TESTS_DIR "/validate_schema.py", SCHEMA_PATH, doc.string()});
    INFO(r.out << r.err);
    REQUIRE(r.succeeded());
}

std::vector<std::string> lines(const std::string& text)
{
    std::vector<std::string> result;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        result.push_back(line);
    return result;
}

bool contains(const std::string& haystack, const std::string& needle)
{
    return haystack.find(needle) != std::string::npos;
}

} // namespace

TEST_CASE("bad arguments and bad input exit 2 before any boot", "[integration]")
{
    guestuml::TempDir dir("guestuml-cli-test");
    const auto empty = save(dir.path() / "empty.img", "");
    const auto text = save(dir.path() / "notes.txt", "this is not a disk\n");
    const auto missing = (dir.path() / "missing.img").string();
    const std::vector<std::vector<std::string>> cases{
        {"inspect"},
        {"inspect", missing},
        {"inspect", dir.path().string()},
        {"inspect", empty.string()},
        {"inspect", text.string()},
        {"inspect", "--bogus", text.string()},
        {"inspect", "--jobs", "2", text.string()},
        {"inspect", "--each", "--xml", text.string()},
        {"inspect", "--expect", "colour=red", text.string()},
        {"inspect", "--expect", "distro", text.string()},
        {"ls", missing},
        {"ls", missing, "/etc"},
        {"cat", empty.string(), "/etc/hostname"},
        {"copy-out", missing, "/etc"},
        {"copy-out", text.string(), "/etc", (dir.path() / "no-such-dir").string()},
        {"shell", text.string()},
        {"doctor", "extra"},
    };
    for (const auto& args : cases) {
        const auto r = run_guestuml(args);
        INFO(fmt::format("guestuml {}: {}", fmt::join(args, " "), r.err));
        CHECK(exit_code(r) == 2);
        CHECK(contains(r.err, "guestuml "));
    }
    for (const char* command : {"inspect", "shell", "ls", "cat", "copy-out", "doctor"}) {
        const auto r = run_guestuml({command, "--help"});
        INFO(command);
        CHECK(exit_code(r) == 0);
        CHECK(contains(r.out, fmt::format("usage: guestuml {}", command)));
    }
}

TEST_CASE("inspect: JSON facts, schema, expectations and virt-inspector's XML", "[integration]")
{
    guestuml::TempDir dir("guestuml-cli-test");
    const auto image = guestuml::test::make_fake_debian(dir.path(), "debian.img").string();

    // One boot: the full JSON plus a mix of met and unmet expectations.
    const auto r = run_guestuml({"inspect", "--quiet", "--expect", "distro=debian", "--expect", "major_version=12",
                             "--expect", "hostname=db9", "--expect", "package=openssh-server", "--expect",
                             "package=nginx", "--expect", "file=/etc/ssh/sshd_config", "--expect",
                             "file=/etc/missing", image});
    INFO(r.err);
    CHECK(exit_code(r) == 4);
    require_schema_valid(dir.path(), r.out);
    CHECK(contains(r.out, R"("distro": "debian")"));
    CHECK(contains(r.out, R"("hostname": "web1")"));
    CHECK(contains(r.out, R"("name": "openssh-server")"));
    CHECK(contains(r.err, "expected hostname=db9, found hostname=web1"));
    CHECK(contains(r.err, "expected package=nginx"));
    CHECK(contains(r.err, "expected file=/etc/missing, found no such file"));
    CHECK_FALSE(contains(r.err, "distro="));
    CHECK_FALSE(contains(r.err, "sshd_config"));
    const auto ours_json = save(dir.path() / "ours.json", r.out);

    // The reference: virt-inspector itself, on stock libguestfs and QEMU.
    const auto reference =
        guestuml::run_command(guestuml::test::qemu_reference_argv({"virt-inspector", "--no-icon", "-a", image}));
    INFO(reference.err);
    REQUIRE(reference.succeeded());
    const auto reference_xml = save(dir.path() / "virt-inspector.xml", reference.out);
    const auto same = guestuml::run_command(
        {"python3", TESTS_DIR "/compare_inspect.py", ours_json.string(), reference_xml.string()});
    INFO(same.out);
    CHECK(same.succeeded());

    const auto xml = run_guestuml({"inspect", "--quiet", "--xml", image});
    INFO(xml.err);
    CHECK(exit_code(xml) == 0);
    CHECK(xml.out == reference.out);
}

TEST_CASE("inspect --each: one bad image does not stop the good ones", "[integration]")
{
    guestuml::TempDir dir("guestuml-cli-test");
    const auto mbr = guestuml::test::make_fake_debian(dir.path(), "mbr.img").string();
    const auto gpt =
        guestuml::test::make_fake_debian(dir.path(), "gpt.img", {"gpt-host", "12.7", "gpt"}).string();
    const auto no_os = guestuml::test::make_data_disk(dir.path(), "data.img").string();
    const auto bad = save(dir.path() / "bad.txt", "not a disk\n").string();

    const auto r = run_guestuml({"inspect", "--quiet", "--each", "--jobs", "2", "--no-applications", "--expect",
                             "major_version=12", mbr, bad, no_os, gpt});
    INFO(r.out << r.err);
    CHECK(exit_code(r) == 2);   // the highest of 0, 2, 1, 0
    require_schema_valid(dir.path(), r.out);
    const auto out = lines(r.out);
    REQUIRE(out.size() == 4);
    CHECK(contains(out[0], R"("exit_code":0)"));
    CHECK(contains(out[0], R"("hostname":"web1")"));
    CHECK_FALSE(contains(out[0], "applications"));
    CHECK(contains(out[1], R"("exit_code":2)"));
    CHECK(contains(out[1], "not a disk image"));
    CHECK(contains(out[2], R"("exit_code":1)"));
    CHECK(contains(out[2], R"("operatingsystems":[])"));
    CHECK(contains(out[3], R"("exit_code":0)"));
    CHECK(contains(out[3], R"("hostname":"gpt-host")"));
    CHECK(contains(out[3], R"("minor_version":7)"));

    const auto single = run_guestuml({"inspect", "--quiet", no_os});
    CHECK(exit_code(single) == 1);
    CHECK(contains(single.out, R"("operatingsystems": [])"));
}

TEST_CASE("ls, cat, copy-out and shell read the guest's files", "[integration]")
{
    guestuml::TempDir dir("guestuml-cli-test");
    const auto image = guestuml::test::make_fake_debian(dir.path(), "debian.img").string();

    const auto ls = run_guestuml({"ls", "--quiet", image, "/etc"});
    INFO(ls.err);
    CHECK(exit_code(ls) == 0);
    CHECK(contains(ls.out, "hostname\n"));
    CHECK(contains(ls.out, "os-release\n"));

    const auto cat = run_guestuml({"cat", "--quiet", image, "/etc/hostname"});
    INFO(cat.err);
    CHECK(exit_code(cat) == 0);
    CHECK(cat.out == "web1\n");

    const auto missing = run_guestuml({"cat", "--quiet", image, "/etc/nope"});
    CHECK(exit_code(missing) == 2);
    CHECK(contains(missing.err, "/etc/nope: no such file or directory in the guest"));

    const auto out_dir = dir.path() / "out";
    fs::create_directories(out_dir);
    const auto copy = run_guestuml({"copy-out", "--quiet", image, "/etc/ssh", out_dir.string()});
    INFO(copy.err);
    CHECK(exit_code(copy) == 0);
    CHECK(fs::exists(out_dir / "ssh/sshd_config"));

    const auto shell = run_guestuml({"shell", "--quiet", image, "--", "cat", "/etc/hostname"});
    INFO(shell.err);
    CHECK(exit_code(shell) == 0);
    // guestfish's cat ends the file's text with a newline of its own.
    CHECK(shell.out == "web1\n\n");

    {
        // guestuml lowers a soft open-file limit above 1024 for libguestfs's
        // children (cli/main.cpp): guestfish's ! shell, a grandchild, sees 1024.
        rlimit saved{};
        REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
        rlimit raised = saved;
        raised.rlim_cur = std::max<rlim_t>(saved.rlim_cur, std::min<rlim_t>(saved.rlim_max, 4096));
        REQUIRE(::setrlimit(RLIMIT_NOFILE, &raised) == 0);
        const auto limit = guestuml::run_command(
            {"sh", "-c", fmt::format("echo '!sh -c \"ulimit -Sn\"' | {} shell --quiet {}", GUESTUML_BIN, image)});
        ::setrlimit(RLIMIT_NOFILE, &saved);
        INFO(limit.err);
        CHECK(limit.succeeded());
        CHECK(limit.out == fmt::format("{}\n", std::min<rlim_t>(raised.rlim_cur, 1024)));
    }

    const auto no_os = guestuml::test::make_data_disk(dir.path(), "data.img").string();
    const auto ls_no_os = run_guestuml({"ls", "--quiet", no_os, "/"});
    CHECK(exit_code(ls_no_os) == 1);
}

TEST_CASE("doctor finds this host ready", "[integration]")
{
    const auto r = run_guestuml({"doctor"});
    INFO(r.out << r.err);
    CHECK(exit_code(r) == 0);
    CHECK(contains(r.out, "guestuml is ready."));
    CHECK_FALSE(contains(r.out, "FAIL"));
}
