// A C API session on the Debian-like test image, for the tests that compare
// guestfsd with one of the appliance's preloads and without it.
#pragma once

#include "guestfs_handle.hpp"
#include "plugin_images.hpp"

#include <boost/filesystem/path.hpp>
#include <guestfs.h>
#include <string>
#include <vector>

namespace guestuml::plugin::test {

// Launches with the image read-only (append: extra kernel options, may be
// empty; extra_raw_drives: writable raw disks added after it, /dev/sdb on)
// and mounts its root read-only on /. REQUIREs each step.
guestuml::test::GuestfsHandle launch_debian_ro(const PluginImages& images, const char* append,
                                               const std::vector<std::string>& extra_raw_drives = {});

// What `debug sh COMMAND` prints: run by guestfsd in the appliance, so $PPID
// is guestfsd. REQUIREs success.
std::string guest_shell(guestfs_h* g, const char* command);

// guestfsd's minor page faults so far (under UML every host fault on a guest
// page is one).
long guestfsd_faults(guestfs_h* g);

// The guest kernel's count of processes created since boot (each debug sh
// adds its own few).
long guest_processes(guestfs_h* g);

// A blank raw disk of size_mib MiB (sparse) named name in dir; its path.
std::string scratch_disk(const boost::filesystem::path& dir, const std::string& name, int size_mib);

// Puts a script in front of the appliance's program (found on guestfsd's
// PATH) that notes each run, its arguments on a line of their own, and runs
// the real one. A command answered in guestfsd's child without the program
// is a process all the same, so the guest's process count cannot tell.
void note_program_runs(guestfs_h* g, const std::string& program);

// The arguments of each run noted since note_program_runs, one line a run.
std::string program_runs(guestfs_h* g, const std::string& program);

// How many runs program_runs holds.
long program_run_count(guestfs_h* g, const std::string& program);

// Where one of guestfsd's preloads is, as the guest sees it.
struct PreloadPlacement {
    std::string guestfsd_maps;   // how many lines of guestfsd's maps name the library (grep -c)
    std::string child_preload;   // "[LD_PRELOAD]" as a process guestfsd starts sees it
};
PreloadPlacement preload_placement(guestfs_h* g, const std::string& library);

} // namespace guestuml::plugin::test
