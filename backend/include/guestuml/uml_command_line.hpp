// Builds the UML kernel's command line. Pure: no I/O, so it is unit tested alone.
#pragma once

#include <boost/filesystem/path.hpp>
#include <string>
#include <vector>

namespace guestuml {

struct UmlCommandLine {
    boost::filesystem::path kernel;            // linux.uml
    boost::filesystem::path root;              // served read-only as ubd0
    unsigned memory_mb = 512;
    std::string umid;                          // instance name (letters, digits, '-', '_')
    boost::filesystem::path uml_dir;           // where UML keeps its per-instance files
    int console_fd = -1;                       // host fd the console is written to
    int serial_channel_fd = -1;                // host fd for /dev/ttyS3 (-1: no serial channel)
    std::vector<boost::filesystem::path> block_sockets;   // vhost-user-blk, in disk order
    boost::filesystem::path console_socket;    // vhost-user virtio-console (empty: none)
    unsigned long loops_per_jiffy = 0;         // lpj= preset (0: the kernel calibrates)
    std::vector<std::string> extra_args;       // appended last
};

// Returns argv for execve. Throws Error on an invalid value (memory out of range,
// a path with characters UML's parser splits on, a bad umid, a bad extra argument).
std::vector<std::string> build_uml_argv(const UmlCommandLine& cmd);

} // namespace guestuml
