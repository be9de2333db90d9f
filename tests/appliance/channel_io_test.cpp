// The parts of guestuml-channel-io.so: ChannelStream on a socketpair (with the
// C library's calls, counted, or with a writev that writes a few bytes at a
// time), and TscClock fed made-up readings.
#define CATCH_CONFIG_MAIN
#include "channel_stream.hpp"
#include "tsc_clock.hpp"

#include <catch2/catch.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <memory>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

using guestuml::channel_io::ChannelStream;
using guestuml::channel_io::SystemCalls;
using guestuml::channel_io::TscClock;

namespace {

// SystemCalls are plain function pointers, so the counts live here.
struct Counts {
    int reads = 0, writevs = 0, selects = 0;
    std::size_t largest_read = 0;
    std::size_t largest_part = 0;   // of any writev: the port takes 32 KiB a call
    std::size_t writev_limit = 0;   // nonzero: each writev writes at most this many bytes
    int library = -1;               // the library's end, for ordered_read
    bool unsent_at_read = false;    // ordered_read found nothing sent yet
};
Counts& counts()
{
    static Counts c;
    return c;
}

ssize_t counted_read(int fd, void* buf, std::size_t n)
{
    ++counts().reads;
    counts().largest_read = std::max(counts().largest_read, n);
    return ::read(fd, buf, n);
}

bool readable(int fd)
{
    fd_set r;
    FD_ZERO(&r);
    FD_SET(fd, &r);
    timeval now{0, 0};
    return ::select(fd + 1, &r, nullptr, nullptr, &now) == 1;
}

// A read that notes whether the library had received anything by then.
ssize_t ordered_read(int fd, void* buf, std::size_t n)
{
    if (!readable(counts().library))
        counts().unsent_at_read = true;
    return counted_read(fd, buf, n);
}

ssize_t counted_writev(int fd, const iovec* iov, int iovcnt)
{
    ++counts().writevs;
    for (int i = 0; i < iovcnt; ++i)
        counts().largest_part = std::max(counts().largest_part, iov[i].iov_len);
    if (counts().writev_limit == 0)
        return ::writev(fd, iov, iovcnt);
    // Gather at most writev_limit bytes: a short write, as a full queue gives.
    std::string some;
    for (int i = 0; i < iovcnt && some.size() < counts().writev_limit; ++i)
        some.append(static_cast<const char*>(iov[i].iov_base),
                    std::min(iov[i].iov_len, counts().writev_limit - some.size()));
    return ::write(fd, some.data(), some.size());
}

int counted_select(int nfds, fd_set* r, fd_set* w, fd_set* e, timeval* t)
{
    ++counts().selects;
    return ::select(nfds, r, w, e, t);
}

struct Pair {
    int guest = -1, library = -1;
    std::unique_ptr<ChannelStream> stream = std::make_unique<ChannelStream>();
    Pair()
    {
        int fds[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
        guest = fds[0];
        library = fds[1];
        // Room for a few joined buffers, so that a test's writes never wait
        // for its reads.
        const int room = 1 << 20;
        for (int fd : fds) {
            REQUIRE(::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &room, sizeof room) == 0);
            REQUIRE(::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &room, sizeof room) == 0);
        }
        counts() = {};
        stream->attach(guest, SystemCalls{counted_read, counted_writev, counted_select});
    }
    ~Pair()
    {
        ::close(guest);
        ::close(library);
    }
    void send(const std::string& s) const { REQUIRE(::write(library, s.data(), s.size()) == ssize_t(s.size())); }
    std::string receive(std::size_t n) const
    {
        std::string s(n, '\0');
        std::size_t got = 0;
        while (got < n) {
            const ssize_t r = ::read(library, s.data() + got, n - got);
            REQUIRE(r > 0);
            got += std::size_t(r);
        }
        return s;
    }
    bool library_has_data() const { return readable(library); }
    // A select on the channel that may wait, for a millisecond.
    int wait_briefly() const
    {
        fd_set r;
        FD_ZERO(&r);
        FD_SET(guest, &r);
        timeval wait{0, 1000};
        return stream->select(guest + 1, &r, nullptr, nullptr, &wait);
    }
    // guestfsd's check for a cancellation: select on the channel alone, at once.
    int poll_channel() const
    {
        fd_set r;
        FD_ZERO(&r);
        FD_SET(guest, &r);
        timeval now{0, 0};
        const int n = stream->select(guest + 1, &r, nullptr, nullptr, &now);
        CHECK((n == 1) == bool(FD_ISSET(guest, &r)));
        return n;
    }
};

std::string message(int i) { return std::string("len") + char('0' + i) + std::string(100 + i, char('a' + i)); }

std::string read_exactly(ChannelStream& s, std::size_t n)
{
    std::string out(n, '\0');
    std::size_t got = 0;
    while (got < n) {
        const ssize_t r = s.read(out.data() + got, n - got);
        REQUIRE(r > 0);
        got += std::size_t(r);
    }
    return out;
}

} // namespace

TEST_CASE("small reads are served from one read ahead, in order")
{
    Pair p;
    std::string all;
    for (int i = 0; i < 10; ++i)
        all += message(i);
    p.send(all);
    for (int i = 0; i < 10; ++i) {
        CHECK(read_exactly(*p.stream, 4) == message(i).substr(0, 4));
        CHECK(read_exactly(*p.stream, 100 + i) == message(i).substr(4));
    }
    CHECK(counts().reads == 1);
    CHECK(counts().largest_read == ChannelStream::read_ahead_size);
}

TEST_CASE("a read as large as the read-ahead buffer goes straight to the channel")
{
    Pair p;
    p.send("abc");
    std::string big(ChannelStream::read_ahead_size, '\0');
    CHECK(p.stream->read(big.data(), big.size()) == 3);
    CHECK(big.substr(0, 3) == "abc");
    CHECK(counts().largest_read == ChannelStream::read_ahead_size);
    CHECK(p.stream->read(big.data(), 0) == 0);
    CHECK(counts().reads == 1);
}

TEST_CASE("a length word waits for its body and both leave in one call")
{
    Pair p;
    CHECK(p.stream->write("\0\0\0\x05", 4) == 4);
    CHECK(counts().writevs == 0);
    CHECK_FALSE(p.library_has_data());
    CHECK(p.stream->write("hello", 5) == 5);
    CHECK(counts().writevs == 1);
    CHECK(p.receive(9) == std::string("\0\0\0\x05hello", 9));
    // A body with no word before it goes out as it is.
    CHECK(p.stream->write("xyz", 3) == 3);
    CHECK(p.receive(3) == "xyz");
    // A body too large to join the word in one buffer goes out with it in two.
    const std::string large(ChannelStream::joined_size, 'L');
    CHECK(p.stream->write("BIG!", 4) == 4);
    CHECK(p.stream->write(large.data(), large.size()) == ssize_t(large.size()));
    CHECK(counts().writevs == 3);
    CHECK(p.receive(4 + large.size()) == "BIG!" + large);
}

TEST_CASE("a held length word goes out before guestfsd reads or polls")
{
    Pair p;
    SECTION("read")
    {
        // The word must be out before the read, which may wait for the reply to it.
        counts().library = p.library;
        p.stream->attach(p.guest, SystemCalls{ordered_read, counted_writev, counted_select});
        CHECK(p.stream->write("FLAG", 4) == 4);
        p.send("reply");
        CHECK(read_exactly(*p.stream, 5) == "reply");
        CHECK_FALSE(counts().unsent_at_read);
    }
    SECTION("select")
    {
        CHECK(p.stream->write("FLAG", 4) == 4);
        p.poll_channel();
    }
    SECTION("flush")
    {
        CHECK(p.stream->write("FLAG", 4) == 4);
        CHECK(p.stream->flush());
    }
    CHECK(p.receive(4) == "FLAG");
    // The next word is held for its body again.
    const int writevs = counts().writevs;
    CHECK(p.stream->write("\0\0\0\x02", 4) == 4);
    CHECK(p.stream->write("ok", 2) == 2);
    CHECK(counts().writevs == writevs + 1);
    CHECK(p.receive(6) == std::string("\0\0\0\x02ok", 6));
}

TEST_CASE("short writes keep the bytes in order")
{
    Pair p;
    counts().writev_limit = 3;
    const std::string body = "the body of a message";
    CHECK(p.stream->write("WORD", 4) == 4);
    std::size_t sent = 0;
    while (sent < body.size()) {   // as guestfsd's xwrite loops
        const ssize_t r = p.stream->write(body.data() + sent, body.size() - sent);
        REQUIRE(r > 0);
        sent += std::size_t(r);
    }
    CHECK(p.receive(4 + body.size()) == "WORD" + body);
    // A message too large for one buffer goes out in pieces, and the last 4
    // bytes of one written in pieces are not held back as a length word.
    const std::string more(ChannelStream::joined_size + 4, 'm');
    counts().writev_limit = ChannelStream::joined_size;
    CHECK(p.stream->write(more.data(), more.size()) == ssize_t(ChannelStream::joined_size));
    CHECK(p.stream->write(more.data() + ChannelStream::joined_size, 4) == 4);
    CHECK(p.receive(more.size()) == more);
}

TEST_CASE("a failed write keeps the held word for the retry")
{
    Pair p;
    CHECK(p.stream->write("WORD", 4) == 4);
    ::shutdown(p.guest, SHUT_WR);
    ::signal(SIGPIPE, SIG_IGN);
    CHECK(p.stream->write("body", 4) == -1);
    CHECK(errno == EPIPE);
    CHECK_FALSE(p.stream->flush());
}

namespace {

// A download's chunk as guestfsd's send_chunk writes it: length word, body.
std::string full_chunk(int i)
{
    const std::uint32_t size = ChannelStream::full_chunk_body;
    std::string word{char(size >> 24), char(size >> 16), char(size >> 8), char(size)};
    return word + std::string(size, char('A' + i));
}

void write_message(ChannelStream& s, const std::string& m)
{
    CHECK(s.write(m.data(), 4) == 4);
    CHECK(s.write(m.data() + 4, m.size() - 4) == ssize_t(m.size() - 4));
}

} // namespace

TEST_CASE("a download's full chunks leave a full buffer at a time")
{
    Pair p;
    std::string sent;
    for (int i = 0; i < 34; ++i) {
        write_message(*p.stream, full_chunk(i));
        sent += full_chunk(i);
    }
    // 34 chunks of 8204 bytes fill two buffers; the rest waits. Each buffer
    // leaves in one writev, in parts the port takes whole.
    CHECK(counts().writevs == 2);
    CHECK(counts().largest_part == ChannelStream::port_write_size);
    CHECK(p.receive(2 * ChannelStream::joined_size) == sent.substr(0, 2 * ChannelStream::joined_size));
    CHECK_FALSE(p.library_has_data());
    SECTION("the check for a cancellation between chunks sends nothing")
    {
        for (unsigned i = 0; i < ChannelStream::cancel_check_period; ++i)
            p.poll_channel();
        CHECK_FALSE(p.library_has_data());
        // The end of the file: a chunk of another size sends all, joined.
        const std::string end = std::string("\0\0\0\x08", 4) + std::string(8, '\0');
        write_message(*p.stream, end);
        sent += end;
        CHECK(counts().writevs == 3);
    }
    SECTION("a select that may wait sends the held chunks")
    {
        CHECK(p.wait_briefly() == 0);
    }
    SECTION("a read sends them")
    {
        p.send("x");
        CHECK(read_exactly(*p.stream, 1) == "x");
    }
    SECTION("a flush sends them")
    {
        CHECK(p.stream->flush());
    }
    const std::size_t rest = sent.size() - 2 * ChannelStream::joined_size;
    CHECK(p.receive(rest) == sent.substr(2 * ChannelStream::joined_size));
}

TEST_CASE("held chunks and short writes keep the bytes in order")
{
    Pair p;
    counts().writev_limit = 1000;
    std::string sent;
    for (int i = 0; i < 5; ++i) {
        write_message(*p.stream, full_chunk(i));
        sent += full_chunk(i);
    }
    const std::string reply = std::string("\0\0\0\x05", 4) + "hello";
    write_message(*p.stream, reply);
    sent += reply;
    CHECK(p.receive(sent.size()) == sent);
}

TEST_CASE("a chunk's word with a body of another size is sent at once")
{
    Pair p;
    const std::string chunk = full_chunk(0);
    CHECK(p.stream->write(chunk.data(), 4) == 4);
    CHECK(p.stream->write(chunk.data() + 4, 100) == 100);
    CHECK(p.receive(104) == chunk.substr(0, 104));
}

TEST_CASE("polling the channel for a cancellation")
{
    Pair p;
    SECTION("read-ahead data is readable without asking the kernel")
    {
        p.send("12345678");
        CHECK(read_exactly(*p.stream, 4) == "1234");
        const int before = counts().selects;
        CHECK(p.poll_channel() == 1);
        CHECK(counts().selects == before);
    }
    SECTION("an idle channel is asked once in every few checks")
    {
        for (unsigned i = 1; i < ChannelStream::cancel_check_period; ++i)
            CHECK(p.poll_channel() == 0);
        CHECK(counts().selects == 0);
        p.send("CNCL");
        CHECK(p.poll_channel() == 1);   // the check that is made
        CHECK(counts().selects == 1);
        CHECK(read_exactly(*p.stream, 4) == "CNCL");
        p.send("late");   // seen at the next check made, not before
        for (unsigned i = 1; i < ChannelStream::cancel_check_period; ++i)
            CHECK(p.poll_channel() == 0);
        CHECK(p.poll_channel() == 1);
        CHECK(counts().selects == 2);
    }
    SECTION("a select that waits, or watches other descriptors, is always made")
    {
        CHECK(p.wait_briefly() == 0);
        CHECK(counts().selects == 1);
        fd_set r;
        int other[2];
        REQUIRE(::pipe(other) == 0);
        REQUIRE(::write(other[1], "x", 1) == 1);
        p.send("data");
        CHECK(read_exactly(*p.stream, 1) == "d");
        FD_ZERO(&r);
        FD_SET(p.guest, &r);
        FD_SET(other[0], &r);
        timeval now{0, 0};
        const int nfds = std::max(p.guest, other[0]) + 1;
        CHECK(p.stream->select(nfds, &r, nullptr, nullptr, &now) == 2);
        CHECK(FD_ISSET(p.guest, &r));
        CHECK(FD_ISSET(other[0], &r));
        ::close(other[0]);
        ::close(other[1]);
    }
}

TEST_CASE("a detached stream forgets what it read ahead and held")
{
    Pair p;
    p.send("abcdef");
    CHECK(read_exactly(*p.stream, 2) == "ab");
    CHECK(p.stream->write("WORD", 4) == 4);
    p.stream->detach();
    CHECK(p.stream->fd() == -1);
    CHECK_FALSE(p.library_has_data());
    p.stream->attach(p.guest, SystemCalls{counted_read, counted_writev, counted_select});
    p.send("new");
    CHECK(read_exactly(*p.stream, 3) == "new");
}

TEST_CASE("the clock is carried forward by the counter, within bounds")
{
    TscClock clock;
    timeval out{};
    constexpr std::uint64_t ticks_per_us = 3000;
    const auto at = [](std::uint64_t us) { return timeval{time_t(us / 1000000), suseconds_t(us % 1000000)}; };
    const auto us_of = [](const timeval& t) { return std::uint64_t(t.tv_sec) * 1000000 + std::uint64_t(t.tv_usec); };
    const std::uint64_t t0 = 1'800'000'000'000'000, c0 = 5'000'000'000;

    CHECK_FALSE(clock.carried(c0, out));   // no reading yet
    CHECK(us_of(clock.real(at(t0), c0 - 100, c0 + 100)) == t0);
    CHECK_FALSE(clock.carried(c0 + 1000, out));   // the rate is not known yet
    // A second reading 25 ms later calibrates it.
    const std::uint64_t t1 = t0 + 25'000, c1 = c0 + 25'000 * ticks_per_us;
    CHECK(us_of(clock.real(at(t1), c1, c1)) == t1);

    REQUIRE(clock.carried(c1 + 4'000 * ticks_per_us, out));
    CHECK(us_of(out) == t1 + 4'000);
    // Never backwards past a time handed out, even if the counter is read
    // early, nor past a reading just behind it.
    REQUIRE(clock.carried(c1 + 3'000 * ticks_per_us, out));
    CHECK(us_of(out) == t1 + 4'000);
    CHECK(us_of(clock.real(at(t1 + 3'990), c1 + 3'990 * ticks_per_us, c1 + 3'990 * ticks_per_us)) == t1 + 4'000);

    const std::uint64_t c2 = c1 + 3'990 * ticks_per_us;
    CHECK_FALSE(clock.carried(c2 + TscClock::carry_us * ticks_per_us, out));   // too long since
    CHECK_FALSE(clock.carried(c2 - 1, out));                                   // the counter went back

    // A clock set back by a minute is handed out as it is, and nothing is
    // carried from it until the rate is measured again.
    CHECK(us_of(clock.real(at(t1 - 60'000'000), c2 + 10, c2 + 10)) == t1 - 60'000'000);
    CHECK_FALSE(clock.carried(c2 + 20, out));
}

namespace {

constexpr std::uint64_t rate = 2000;   // ticks per microsecond
constexpr std::uint64_t start_us = 1'800'000'000'000'000, start_tsc = 1'000'000'000;

timeval tv_at(std::uint64_t us) { return timeval{time_t(us / 1000000), suseconds_t(us % 1000000)}; }

// A clock calibrated from two exact readings 50 ms apart; returns the second's counter value.
std::uint64_t calibrate(TscClock& clock)
{
    clock.real(tv_at(start_us), start_tsc, start_tsc);
    const std::uint64_t tsc = start_tsc + 50'000 * rate;
    clock.real(tv_at(start_us + 50'000), tsc, tsc);
    return tsc;
}

} // namespace

TEST_CASE("the clock stops carrying when the counter and the clock disagree")
{
    TscClock clock;
    timeval out{};
    const std::uint64_t tsc = calibrate(clock);
    REQUIRE(clock.carried(tsc + 1000 * rate, out));
    // The counter jumped a minute ahead while the clock moved 5 ms.
    const std::uint64_t jumped = tsc + 60'000'000 * rate;
    clock.real(tv_at(start_us + 55'000), jumped, jumped);
    CHECK_FALSE(clock.carried(jumped + 10, out));
}

TEST_CASE("the clock reads the real time again after a bounded number of carried calls")
{
    TscClock clock;
    timeval out{};
    const std::uint64_t tsc = calibrate(clock);
    for (unsigned i = 0; i < TscClock::carry_calls; ++i)
        REQUIRE(clock.carried(tsc + i, out));
    CHECK_FALSE(clock.carried(tsc + TscClock::carry_calls, out));
    clock.real(tv_at(start_us + 50'001), tsc + rate, tsc + rate);
    CHECK(clock.carried(tsc + 2 * rate, out));
}

TEST_CASE("loose readings do not calibrate the clock")
{
    TscClock clock;
    timeval out{};
    // Each reading's system call took 30 ms: a thousandth of the span is far less.
    clock.real(tv_at(start_us), start_tsc, start_tsc + 30'000 * rate);
    const std::uint64_t later = start_tsc + 100'000 * rate;
    clock.real(tv_at(start_us + 100'000), later, later + 30'000 * rate);
    CHECK_FALSE(clock.carried(later + 30'000 * rate + 10, out));
    // A counter read backwards around a reading gives no calibration either.
    clock.real(tv_at(start_us + 200'000), later + 200'000 * rate, later);
    CHECK_FALSE(clock.carried(later + 200'000 * rate, out));
}
