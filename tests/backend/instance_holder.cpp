// Test helper: starts one UmlInstance and reports on stdout, so that tests can
// observe an owner from outside (and SIGKILL it).
//   instance_holder KERNEL ROOT [--ro IMG] [--rw IMG] [--arg PARAM] [--hold]
// Prints "temp DIR", "uml PID" (the contained reaper), then "ready" once guestfsd
// is ready. With --hold it then sleeps until killed; otherwise it shuts the guest
// down and prints "shutdown clean" or "shutdown forced".
#include "guestuml/uml_instance.hpp"

#include <cstdio>
#include <fmt/format.h>
#include <string>
#include <unistd.h>

int main(int argc, char* argv[])
{
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s KERNEL ROOT [--ro IMG] [--rw IMG] [--arg PARAM] [--hold]\n", argv[0]);
        return 2;
    }
    guestuml::LaunchConfig config;
    config.kernel = argv[1];
    config.root = argv[2];
    bool hold = false;
    for (int i = 3; i < argc; ++i) {
        const std::string opt = argv[i];
        if (opt == "--hold") {
            hold = true;
        } else if ((opt == "--ro" || opt == "--rw") && i + 1 < argc) {
            config.disks.push_back({argv[++i], "", opt == "--ro"});
        } else if (opt == "--arg" && i + 1 < argc) {
            config.kernel_args.emplace_back(argv[++i]);
        } else {
            std::fprintf(stderr, "unknown option %s\n", opt.c_str());
            return 2;
        }
    }
    config.console = [](std::string_view line) { fmt::print(stderr, "console: {}\n", line); };
    try {
        guestuml::UmlInstance instance(config);
        fmt::print("temp {}\n", instance.temp_dir().string());
        fmt::print("uml {}\n", instance.uml_pid());
        std::fflush(stdout);
        instance.wait_ready(std::chrono::seconds(60));
        fmt::print("ready\n");
        std::fflush(stdout);
        if (hold)
            for (;;)
                ::pause();
        fmt::print("shutdown {}\n", instance.shutdown() ? "clean" : "forced");
    } catch (const std::exception& e) {
        fmt::print(stderr, "error: {}\n", e.what());
        return 1;
    }
    return 0;
}
