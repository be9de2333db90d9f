// One libguestfs handle configured for guestuml: owns the guestfs_h, turns
// libguestfs errors into guestuml::Error, and optionally relays the appliance
// console to stderr.
#pragma once

#include "backend_config.hpp"
#include "disk_image.hpp"

#include <guestfs.h>
#include <memory>
#include <string>
#include <vector>

namespace guestuml::cli {

struct SessionOptions {
    bool verbose = false;   // library debug and the appliance console on stderr
};

class GuestfsSession {
public:
    // Creates the handle and applies config. Throws Error.
    GuestfsSession(const BackendConfig& config, const SessionOptions& options);

    guestfs_h* get() const noexcept { return handle_.get(); }

    // Adds one disk (read-only: the guest writes to a private overlay). Throws Error.
    void add_disk(const DiskImage& disk, bool read_only);
    // Boots the appliance. Throws Error quoting libguestfs.
    void launch();

    // Throws Error("WHAT: <libguestfs's last error>"); call right after a failed call.
    // libguestfs never prints errors itself: a call whose failure is an answer
    // (vfs_label on swap) can simply be checked.
    [[noreturn]] void fail(const std::string& what) const;

private:
    struct Closer {
        void operator()(guestfs_h* g) const noexcept;
    };
    std::unique_ptr<guestfs_h, Closer> handle_;
};

// Takes ownership of a malloc'ed string returned by libguestfs ("" for NULL).
std::string take_string(char* s);
// Takes ownership of a NULL-terminated malloc'ed string list.
std::vector<std::string> take_string_list(char** list);

} // namespace guestuml::cli
