// Ring handling against hand-made rings: well-formed chains, index
// wrap-around, indirect tables, and a hostile guest's malformed descriptors.
#include "fake_guest_rings.hpp"

#include <catch2/catch.hpp>

using namespace guestuml::vhost;
using guestuml::vhost::testing::FakeGuestRings;

namespace {

constexpr std::uint16_t N = kDescFlagNext;
constexpr std::uint16_t W = kDescFlagWrite;
constexpr std::uint16_t I = kDescFlagIndirect;

} // namespace

TEST_CASE("a chain of readable then writable buffers", "[virtqueue]")
{
    FakeGuestRings g(8);
    g.set_desc(3, g.data(0), 100, N, 5);
    g.set_desc(5, g.data(4096), 200, N | W, 1);
    g.set_desc(1, g.data(8192), 300, W);
    g.make_available(3);
    Virtqueue q(g.memory(), g.layout(), 0);

    DescriptorChain c;
    REQUIRE(q.pop(c));
    CHECK(c.head == 3);
    REQUIRE(c.readable.size() == 1);
    CHECK(c.readable[0].iov_base == g.host(g.data(0)));
    CHECK(c.readable_bytes() == 100);
    REQUIRE(c.writable.size() == 2);
    CHECK(c.writable[1].iov_base == g.host(g.data(8192)));
    CHECK(c.writable_bytes() == 500);
    CHECK_FALSE(q.pop(c));

    q.push(3, 42);
    CHECK(g.used_idx() == 1);
    CHECK(g.used(0).id == 3);
    CHECK(g.used(0).len == 42);
}

TEST_CASE("available and used indexes wrap around at 65535", "[virtqueue]")
{
    FakeGuestRings g(4);
    g.set_avail_idx(65534);
    g.set_used_idx(65534);
    for (std::uint16_t i = 0; i < 4; ++i)
        g.set_desc(i, g.data(i * 16u), 16, W);
    for (std::uint16_t i = 0; i < 4; ++i)
        g.make_available(i);
    CHECK(g.avail_idx() == 2);

    Virtqueue q(g.memory(), g.layout(), 65534);
    DescriptorChain c;
    for (std::uint16_t i = 0; i < 4; ++i) {
        REQUIRE(q.pop(c));
        CHECK(c.head == i);
        q.push(c.head, i);
    }
    CHECK_FALSE(q.pop(c));
    CHECK(q.next_avail() == 2);
    CHECK(g.used_idx() == 2);
    CHECK(g.used(65535).id == 1);
    CHECK(g.used(0).id == 2);
}

TEST_CASE("put-back chains are popped again", "[virtqueue]")
{
    FakeGuestRings g(4);
    g.set_desc(0, g.data(0), 10, W);
    g.set_desc(1, g.data(10), 10, W);
    g.make_available(0);
    g.make_available(1);
    Virtqueue q(g.memory(), g.layout(), 0);
    DescriptorChain c;
    REQUIRE(q.pop(c));
    REQUIRE(q.pop(c));
    q.unpop(1);
    REQUIRE(q.pop(c));
    CHECK(c.head == 1);
}

TEST_CASE("indirect descriptor tables", "[virtqueue]")
{
    FakeGuestRings g(4);
    const std::uint64_t table = g.data(0x8000);
    g.write_desc(table + 0, g.data(0), 64, N, 2);
    g.write_desc(table + 32, g.data(64), 64, N, 1);
    g.write_desc(table + 16, g.data(128), 64, 0, 0);
    g.set_desc(2, table, 48, I);
    g.make_available(2);

    SECTION("followed when negotiated")
    {
        Virtqueue q(g.memory(), g.layout(true), 0);
        DescriptorChain c;
        REQUIRE(q.pop(c));
        CHECK(c.head == 2);
        REQUIRE(c.readable.size() == 3);
        CHECK(c.readable[1].iov_base == g.host(g.data(64)));
        CHECK(c.readable[2].iov_base == g.host(g.data(128)));
    }
    SECTION("rejected when not negotiated")
    {
        Virtqueue q(g.memory(), g.layout(false), 0);
        DescriptorChain c;
        CHECK_THROWS_AS(q.pop(c), QueueError);
    }
    SECTION("nested tables are rejected")
    {
        g.write_desc(table + 16, table, 48, I, 0);
        Virtqueue q(g.memory(), g.layout(true), 0);
        DescriptorChain c;
        CHECK_THROWS_AS(q.pop(c), QueueError);
    }
    SECTION("a table whose size is not a whole number of descriptors is rejected")
    {
        g.set_desc(2, table, 40, I);
        Virtqueue q(g.memory(), g.layout(true), 0);
        DescriptorChain c;
        CHECK_THROWS_AS(q.pop(c), QueueError);
    }
    SECTION("a loop inside a table is rejected")
    {
        g.write_desc(table + 16, g.data(128), 64, N, 0);
        Virtqueue q(g.memory(), g.layout(true), 0);
        DescriptorChain c;
        CHECK_THROWS_AS(q.pop(c), QueueError);
    }
    SECTION("INDIRECT together with NEXT is rejected")
    {
        g.set_desc(2, table, 48, I | N, 0);
        Virtqueue q(g.memory(), g.layout(true), 0);
        DescriptorChain c;
        CHECK_THROWS_AS(q.pop(c), QueueError);
    }
    SECTION("a table outside guest memory is rejected")
    {
        g.set_desc(2, FakeGuestRings::kBase + FakeGuestRings::kSize - 16, 48, I);
        Virtqueue q(g.memory(), g.layout(true), 0);
        DescriptorChain c;
        CHECK_THROWS_AS(q.pop(c), QueueError);
    }
}

TEST_CASE("malformed descriptors are rejected without touching foreign memory", "[virtqueue]")
{
    FakeGuestRings g(8);
    Virtqueue q(g.memory(), g.layout(), 0);
    DescriptorChain c;
    const std::uint64_t end = FakeGuestRings::kBase + FakeGuestRings::kSize;

    SECTION("head index beyond the table")
    {
        g.make_available(8);
        CHECK_THROWS_AS(q.pop(c), QueueError);
    }
    SECTION("buffer below guest memory")
    {
        g.set_desc(0, 0x1000, 16);
        g.make_available(0);
        CHECK_THROWS_AS(q.pop(c), QueueError);
    }
    SECTION("buffer running past the end of guest memory")
    {
        g.set_desc(0, end - 8, 16);
        g.make_available(0);
        CHECK_THROWS_AS(q.pop(c), QueueError);
    }
    SECTION("address plus length wrapping around 2^64")
    {
        g.set_desc(0, UINT64_MAX - 4, 16);
        g.make_available(0);
        CHECK_THROWS_AS(q.pop(c), QueueError);
    }
    SECTION("a loop in the chain")
    {
        g.set_desc(0, g.data(0), 16, N, 1);
        g.set_desc(1, g.data(16), 16, N, 0);
        g.make_available(0);
        CHECK_THROWS_AS(q.pop(c), QueueError);
    }
    SECTION("a chain longer than the queue")
    {
        for (std::uint16_t i = 0; i < 8; ++i)
            g.set_desc(i, g.data(i * 16u), 16, N, static_cast<std::uint16_t>((i + 1) % 8));
        g.make_available(0);
        CHECK_THROWS_AS(q.pop(c), QueueError);
    }
    SECTION("a chain exactly as long as the queue is fine")
    {
        for (std::uint16_t i = 0; i < 7; ++i)
            g.set_desc(i, g.data(i * 16u), 16, N, static_cast<std::uint16_t>(i + 1));
        g.set_desc(7, g.data(7 * 16u), 16);
        g.make_available(0);
        REQUIRE(q.pop(c));
        CHECK(c.readable.size() == 8);
    }
    SECTION("next index beyond the table")
    {
        g.set_desc(0, g.data(0), 16, N, 200);
        g.make_available(0);
        CHECK_THROWS_AS(q.pop(c), QueueError);
    }
    SECTION("a readable buffer after a writable one")
    {
        g.set_desc(0, g.data(0), 16, N | W, 1);
        g.set_desc(1, g.data(16), 16);
        g.make_available(0);
        CHECK_THROWS_AS(q.pop(c), QueueError);
    }
    SECTION("the available index running ahead by more than the queue size")
    {
        g.set_avail_idx(9);
        CHECK_THROWS_AS(q.pop(c), QueueError);
    }
    SECTION("zero-length buffers are skipped, not rejected")
    {
        g.set_desc(0, end + 100, 0, N, 1);
        g.set_desc(1, g.data(0), 16);
        g.make_available(0);
        REQUIRE(q.pop(c));
        CHECK(c.readable.size() == 1);
    }
}

TEST_CASE("rings that do not fit guest memory are refused", "[virtqueue]")
{
    FakeGuestRings g(8);
    VirtqueueLayout bad = g.layout();
    SECTION("size not a power of two") { bad.size = 6; }
    SECTION("descriptor table outside memory") { bad.desc_addr = 0x1000; }
    SECTION("used ring running past the end") { bad.used_addr = FakeGuestRings::kBase + FakeGuestRings::kSize - 8; }
    SECTION("misaligned available ring") { bad.avail_addr += 1; }
    CHECK_THROWS_AS(Virtqueue(g.memory(), bad, 0), QueueError);
}

TEST_CASE("interrupt suppression", "[virtqueue]")
{
    FakeGuestRings g(8);
    for (std::uint16_t i = 0; i < 4; ++i) {
        g.set_desc(i, g.data(i * 16u), 16, W);
        g.make_available(i);
    }
    DescriptorChain c;

    SECTION("VRING_AVAIL_F_NO_INTERRUPT")
    {
        Virtqueue q(g.memory(), g.layout(), 0);
        CHECK_FALSE(q.need_notify()); // nothing used yet
        REQUIRE(q.pop(c));
        q.push(c.head, 1);
        g.set_avail_flags(kAvailFlagNoInterrupt);
        CHECK_FALSE(q.need_notify());
        REQUIRE(q.pop(c));
        q.push(c.head, 1);
        g.set_avail_flags(0);
        CHECK(q.need_notify());
    }
    SECTION("event index")
    {
        Virtqueue q(g.memory(), g.layout(false, true), 0);
        g.set_used_event(2); // interrupt once used passes index 2
        REQUIRE(q.pop(c));
        q.push(c.head, 1);
        CHECK_FALSE(q.need_notify());
        REQUIRE(q.pop(c));
        q.push(c.head, 1);
        CHECK_FALSE(q.need_notify());
        REQUIRE(q.pop(c));
        q.push(c.head, 1);
        CHECK(q.need_notify());
    }
    SECTION("an empty ring asks for a kick at the next index")
    {
        Virtqueue q(g.memory(), g.layout(false, true), 0);
        for (int i = 0; i < 4; ++i)
            REQUIRE(q.pop(c));
        CHECK_FALSE(q.has_available());
        CHECK(g.avail_event() == 4);
    }
}
