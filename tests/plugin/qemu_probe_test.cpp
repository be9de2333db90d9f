#include "qemu_args.hpp"
#include "qemu_probe.hpp"

#include <catch2/catch.hpp>
#include <sstream>

using namespace guestuml::plugin;

TEST_CASE("-help starts with qemu's version line and names the options libguestfs looks for", "[unit][qemu_probe]")
{
    const auto help = probe_answer(parse_qemu_args({"-display", "none", "-help"}));
    REQUIRE(help);
    CHECK(help->starts_with("QEMU emulator version 7.2.0 "));
    for (const char* option : {"-no-user-config", "-nodefaults", "-no-hpet"})
        CHECK(help->find(option) != std::string::npos);
}

TEST_CASE("-device ? lists the devices libguestfs checks for, as qemu words them", "[unit][qemu_probe]")
{
    const auto devices = probe_answer(parse_qemu_args({"-device", "?"}));
    REQUIRE(devices);
    CHECK(devices->find("name \"virtio-rng-pci\", bus PCI, alias \"virtio-rng\"") != std::string::npos);
    CHECK(devices->find("name \"scsi-hd\"") != std::string::npos);
    CHECK(devices->find("virtio-net") == std::string::npos);
}

TEST_CASE("QMP answers libguestfs's one-line command stream in order", "[unit][qemu_probe]")
{
    QmpResponder qmp;
    CHECK(qmp.greeting().find("\"QMP\"") != std::string::npos);
    // What libguestfs's "echo ... | qemu -qmp stdio" sends: three objects on one line.
    const std::string out =
        qmp.feed("{ \"execute\": \"qmp_capabilities\" } { \"execute\": \"query-kvm\" } { \"execute\": \"quit\" }\n");
    std::istringstream lines(out);
    std::string line;
    std::getline(lines, line);
    CHECK(line == "{\"return\": {}}");
    std::getline(lines, line);
    CHECK(line == "{\"return\": {\"enabled\": true, \"present\": true}}");
    std::getline(lines, line);
    CHECK(line == "{\"return\": {}}");
    std::getline(lines, line);
    CHECK(line.starts_with("{\"timestamp\": "));
    CHECK(line.find("\"SHUTDOWN\"") != std::string::npos);
    CHECK(qmp.quit());
}

TEST_CASE("QMP schema claims image locking, and commands may arrive split", "[unit][qemu_probe]")
{
    QmpResponder qmp;
    CHECK(qmp.feed("{\"execute\": \"query-kvm\"}").find("Expecting capabilities negotiation") != std::string::npos);
    CHECK(qmp.feed("{\"execute\": \"qmp_capa").empty());
    CHECK(qmp.feed("bilities\", \"id\": 7}") == "{\"return\": {}, \"id\": 7}\n");
    const std::string schema = qmp.feed("{\"execute\": \"query-qmp-schema\"}");
    CHECK(schema.starts_with("{\"return\": ["));
    CHECK(schema.find("{\"name\": \"locking\"") != std::string::npos);
    CHECK(schema.find('\n') == schema.size() - 1);
    CHECK(qmp.feed("{\"execute\": \"frobnicate\"}").find("CommandNotFound") != std::string::npos);
    CHECK_FALSE(qmp.quit());
}

TEST_CASE("a launch is not a probe", "[unit][qemu_probe]")
{
    const auto cmd = parse_qemu_args({"-kernel", "/k", "-m", "512"});
    CHECK_FALSE(is_probe(cmd));
    CHECK_FALSE(probe_answer(cmd));
}
