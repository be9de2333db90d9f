// The source of a lazy stub library: an x86-64 assembly file that exports a
// real library's functions, each jumping through a table that
// guestuml-lazy-loader.so fills when the first of them is called
// (appliance/lazy_libs/lazy_library_abi.hpp), and the linker version script
// that gives each function the symbol version the real library gives it.
#pragma once

#include <string>
#include <vector>

namespace guestuml {

struct StubFunction {
    std::string name;
    std::string version;   // empty: unversioned
};

struct StubSource {
    std::string assembly;
    std::string version_script;   // empty when no function is versioned
};

// True if name can be written into the stub as it is (letters, digits, _ . $).
bool stub_symbol_name_ok(const std::string& name);

// The stub for the real library at real_path (its absolute path in the
// appliance). Throws Error for a name or path the assembly cannot carry.
StubSource lazy_stub_source(const std::string& real_path, const std::vector<StubFunction>& functions);

} // namespace guestuml
