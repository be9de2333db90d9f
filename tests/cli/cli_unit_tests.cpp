// Unit tests of the CLI's pure parts: JSON writer, expectations, argument
// cursor, ordered batches, virt-inspector XML shape.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "arg_cursor.hpp"
#include "expectations.hpp"
#include "inspect_json.hpp"
#include "inspect_xml.hpp"
#include "json_writer.hpp"
#include "ordered_batch.hpp"

#include <atomic>
#include <chrono>
#include <thread>

using namespace guestuml::cli;

namespace {

OperatingSystem sample_os()
{
    OperatingSystem os;
    os.root = "/dev/sda1";
    os.name = "linux";
    os.distro = "debian";
    os.major_version = 12;
    os.minor_version = 5;
    os.hostname = "web1";
    os.mountpoints = {{"/", "/dev/sda1"}};
    os.filesystems = {{"/dev/sda1", "ext4", "", "1234"}};
    os.applications = std::vector<Application>{{"openssh-server", "", 1, "9.2p1", "2", "amd64"}};
    return os;
}

} // namespace

TEST_CASE("JSON writer escapes strings and nests compactly", "[unit]")
{
    JsonWriter json(false);
    json.begin_object();
    json.key("a\"b");
    json.value("line\n\ttab\x01");
    json.key("list");
    json.begin_array();
    json.value(1);
    json.value(true);
    json.begin_object();
    json.end_object();
    json.end_array();
    json.end_object();
    CHECK(json.str() == R"({"a\"b":"line\n\ttab\u0001","list":[1,true,{}]})");
}

TEST_CASE("JSON writer indents by two spaces when pretty", "[unit]")
{
    JsonWriter json(true);
    json.begin_object();
    json.key("x");
    json.begin_array();
    json.value("y");
    json.end_array();
    json.end_object();
    CHECK(json.str() == "{\n  \"x\": [\n    \"y\"\n  ]\n}");
}

TEST_CASE("inspection JSON leaves out unknown fields and epoch 0", "[unit]")
{
    JsonWriter json(false);
    json.begin_object();
    write_operating_systems(json, {sample_os()});
    json.end_object();
    const auto& s = json.str();
    CHECK(s.find(R"("distro":"debian")") != std::string::npos);
    CHECK(s.find(R"("major_version":12)") != std::string::npos);
    CHECK(s.find(R"("name":"linux","distro")") != std::string::npos);   // arch unknown: left out
    CHECK(s.find("\"label\"") == std::string::npos);
    CHECK(s.find(R"("epoch":1)") != std::string::npos);
}

TEST_CASE("virt-inspector XML has its element order and indentation", "[unit]")
{
    const auto xml = operating_systems_xml({sample_os()});
    CHECK(xml.rfind("<?xml version=\"1.0\"?>\n<operatingsystems>\n  <operatingsystem>\n    <root>/dev/sda1</root>\n",
                    0) == 0);
    CHECK(xml.find("      <mountpoint dev=\"/dev/sda1\">/</mountpoint>\n") != std::string::npos);
    CHECK(xml.find("<uuid>1234</uuid>") != std::string::npos);
    CHECK(operating_systems_xml({}) == "<?xml version=\"1.0\"?>\n<operatingsystems/>\n");
}

TEST_CASE("expectations parse and report what was found", "[unit]")
{
    CHECK_THROWS_AS(parse_expectation("distro"), UsageError);
    CHECK_THROWS_AS(parse_expectation("=x"), UsageError);
    CHECK_THROWS_AS(parse_expectation("colour=red"), UsageError);
    CHECK_THROWS_AS(parse_expectation("file=relative"), UsageError);
    const std::vector<Expectation> expectations{
        parse_expectation("distro=debian"), parse_expectation("major_version=11"),
        parse_expectation("package=openssh-server"), parse_expectation("package=nginx"),
        parse_expectation("file=/etc/present"), parse_expectation("file=/etc/absent"),
        parse_expectation("arch=x86_64")};
    const auto unmet = unmet_expectations(expectations, sample_os(),
                                          [](const std::string& p) { return p == "/etc/present"; });
    REQUIRE(unmet.size() == 4);
    CHECK(unmet[0] == "expected major_version=11, found major_version=12");
    CHECK(unmet[1].find("package=nginx") != std::string::npos);
    CHECK(unmet[2] == "expected file=/etc/absent, found no such file");
    CHECK(unmet[3] == "expected arch=x86_64, found nothing (unknown)");
    CHECK(needs_applications(expectations));
    CHECK(needs_files(expectations));
}

TEST_CASE("argument cursor takes options, values and positionals", "[unit]")
{
    const Args args{"-a", "d1", "--jobs=3", "img", "--", "-x"};
    ArgCursor cursor(args);
    CHECK(cursor.take_value({"-a"}) == std::optional<std::string>("d1"));
    CHECK(cursor.take_value({"-j", "--jobs"}) == std::optional<std::string>("3"));
    CHECK(cursor.take_positional() == std::optional<std::string>("img"));
    CHECK_FALSE(cursor.take_positional());   // the "--"
    CHECK_FALSE(cursor.take_flag({"-x"}));   // after "--" everything is positional
    CHECK(cursor.take_positional() == std::optional<std::string>("-x"));
    CHECK(cursor.done());

    const Args bad{"--nope"};
    ArgCursor bad_cursor(bad);
    CHECK_THROWS_AS(bad_cursor.take_positional(), UsageError);
    const Args missing{"-a"};
    ArgCursor missing_cursor(missing);
    CHECK_THROWS_AS(missing_cursor.take_value({"-a"}), UsageError);
    CHECK_THROWS_AS(parse_count("--jobs", "0"), UsageError);
    CHECK_THROWS_AS(parse_count("--jobs", "2x"), UsageError);
    CHECK(parse_count("--jobs", "4") == 4);
}

TEST_CASE("ordered batch emits in input order whatever finishes first", "[unit]")
{
    std::vector<std::size_t> order;
    std::atomic<int> running{0}, peak{0};
    run_ordered_batch(
        6, 3,
        [&](std::size_t i) {
            peak = std::max(peak.load(), ++running);
            std::this_thread::sleep_for(std::chrono::milliseconds(10 * (6 - i)));
            --running;
            return std::to_string(i);
        },
        [&](std::size_t i, const std::string& r) {
            CHECK(r == std::to_string(i));
            order.push_back(i);
        });
    CHECK(order == std::vector<std::size_t>{0, 1, 2, 3, 4, 5});
    CHECK(peak.load() <= 3);
}
