#include "guestfs_session.hpp"

#include "guestuml/error.hpp"

#include <cstdio>
#include <cstdlib>
#include <fmt/format.h>

namespace guestuml::cli {

namespace {

// The appliance console arrives in arbitrary chunks; pass them on unchanged.
void relay_console(guestfs_h*, void*, uint64_t, int, int, const char* buf, size_t len,
                   const uint64_t*, size_t)
{
    std::fwrite(buf, 1, len, stderr);
}

} // namespace

void GuestfsSession::Closer::operator()(guestfs_h* g) const noexcept
{
    guestfs_close(g);
}

GuestfsSession::GuestfsSession(const BackendConfig& config, const SessionOptions& options)
{
    handle_.reset(guestfs_create_flags(GUESTFS_CREATE_NO_ENVIRONMENT));
    if (!handle_)
        throw Error("cannot create a libguestfs handle (guestfs_create_flags failed)");
    // Errors travel as exceptions; libguestfs must not print them a second time.
    guestfs_set_error_handler(get(), nullptr, nullptr);
    // Honour the user's LIBGUESTFS_* tuning (memory, debug), then impose ours.
    if (guestfs_parse_environment(get()) == -1)
        fail("reading LIBGUESTFS_* environment variables");
    if (guestfs_set_backend(get(), config.backend.c_str()) == -1)
        fail(fmt::format("selecting libguestfs backend '{}'", config.backend));
    if (!config.hv.empty() && guestfs_set_hv(get(), config.hv.c_str()) == -1)
        fail(fmt::format("setting hypervisor {}", config.hv));
    if (!config.path.empty() && guestfs_set_path(get(), config.path.c_str()) == -1)
        fail(fmt::format("setting appliance path {}", config.path));
    if (options.verbose) {
        guestfs_set_verbose(get(), 1);
        if (guestfs_set_event_callback(get(), relay_console, GUESTFS_EVENT_APPLIANCE, 0, nullptr) == -1)
            fail("registering the appliance console callback");
    }
}

void GuestfsSession::add_disk(const DiskImage& disk, bool read_only)
{
    struct guestfs_add_drive_opts_argv args{};
    args.bitmask = GUESTFS_ADD_DRIVE_OPTS_READONLY_BITMASK;
    args.readonly = read_only ? 1 : 0;
    if (!disk.format.empty()) {
        args.bitmask |= GUESTFS_ADD_DRIVE_OPTS_FORMAT_BITMASK;
        args.format = disk.format.c_str();
    }
    if (guestfs_add_drive_opts_argv(get(), disk.path.c_str(), &args) == -1)
        fail(fmt::format("adding disk {}", disk.path));
}

void GuestfsSession::launch()
{
    if (guestfs_launch(get()) == -1)
        fail("launching the appliance");
}

void GuestfsSession::fail(const std::string& what) const
{
    const char* message = guestfs_last_error(get());
    throw Error(fmt::format("{}: {}", what, message ? message : "unknown libguestfs error"));
}

std::string take_string(char* s)
{
    if (!s)
        return {};
    std::string result(s);
    std::free(s);
    return result;
}

std::vector<std::string> take_string_list(char** list)
{
    std::vector<std::string> result;
    if (!list)
        return result;
    for (char** p = list; *p; ++p) {
        result.emplace_back(*p);
        std::free(*p);
    }
    std::free(list);
    return result;
}

} // namespace guestuml::cli
