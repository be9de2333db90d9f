// The answers guestuml-qemu gives to libguestfs's feature probes, worded as
// qemu 7.2 words them, so that libguestfs's parsers read them as they read qemu's.
#pragma once

#include "qemu_args.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace guestuml::plugin {

// The qemu version guestuml-qemu claims: the one whose command line it translates.
inline constexpr int qemu_major = 7, qemu_minor = 2, qemu_micro = 0;

// True if cmd asks a question (help, version, device list, QMP) rather than for a guest.
bool is_probe(const QemuCommandLine& cmd);

// The text printed for a non-QMP probe (-help, -version, -device ?, -machine help,
// -cpu help); nullopt if cmd is a QMP probe or no probe at all.
std::optional<std::string> probe_answer(const QemuCommandLine& cmd);

// A QMP monitor on a byte stream: commands may arrive split or several on one line.
class QmpResponder {
public:
    // The greeting qemu sends first.
    std::string greeting() const;
    // Consumes input and returns the replies (one JSON object a line) for every
    // command completed so far.
    std::string feed(std::string_view input);
    // True once "quit" has been answered.
    bool quit() const noexcept { return quit_; }

private:
    std::string reply_to(std::string_view command_json);

    std::string pending_;
    bool negotiated_ = false;
    bool quit_ = false;
};

} // namespace guestuml::plugin
