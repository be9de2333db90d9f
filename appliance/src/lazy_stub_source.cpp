#include "lazy_stub_source.hpp"

#include "guestuml/error.hpp"

#include <fmt/format.h>
#include <map>
#include <set>

namespace guestuml {

namespace {

bool path_ok(const std::string& path)
{
    if (path.empty() || path.front() != '/')
        return false;
    for (const char c : path)
        if (c == '"' || c == '\\' || c < ' ' || c > '~')
            return false;
    return true;
}

// Saves every register that can carry an argument (rax holds the number of
// vector registers a variadic call uses), asks the loader to fill the table,
// restores them and jumps to the real function with the caller's stack
// untouched, so that the stub needs no knowledge of any signature. r11 holds
// the function's index; the stack stays 16-byte aligned at the call.
constexpr const char* resolve_path = R"(
.Lresolve:
	pushq	%rbp
	movq	%rsp, %rbp
	pushq	%rdi
	pushq	%rsi
	pushq	%rdx
	pushq	%rcx
	pushq	%r8
	pushq	%r9
	pushq	%rax
	pushq	%r11
	subq	$128, %rsp
	movdqu	%xmm0, 0(%rsp)
	movdqu	%xmm1, 16(%rsp)
	movdqu	%xmm2, 32(%rsp)
	movdqu	%xmm3, 48(%rsp)
	movdqu	%xmm4, 64(%rsp)
	movdqu	%xmm5, 80(%rsp)
	movdqu	%xmm6, 96(%rsp)
	movdqu	%xmm7, 112(%rsp)
	leaq	.Llibrary(%rip), %rdi
	call	guestuml_lazy_resolve@PLT
	movdqu	0(%rsp), %xmm0
	movdqu	16(%rsp), %xmm1
	movdqu	32(%rsp), %xmm2
	movdqu	48(%rsp), %xmm3
	movdqu	64(%rsp), %xmm4
	movdqu	80(%rsp), %xmm5
	movdqu	96(%rsp), %xmm6
	movdqu	112(%rsp), %xmm7
	addq	$128, %rsp
	popq	%r11
	popq	%rax
	popq	%r9
	popq	%r8
	popq	%rcx
	popq	%rdx
	popq	%rsi
	popq	%rdi
	popq	%rbp
	leaq	.Lslots(%rip), %r10
	jmp	*(%r10,%r11,8)
)";

} // namespace

bool stub_symbol_name_ok(const std::string& name)
{
    if (name.empty() || (name.front() >= '0' && name.front() <= '9'))
        return false;
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                        c == '.' || c == '$';
        if (!ok)
            return false;
    }
    return true;
}

StubSource lazy_stub_source(const std::string& real_path, const std::vector<StubFunction>& functions)
{
    if (!path_ok(real_path))
        throw Error(fmt::format("lazy stub: the library path '{}' cannot be written into the stub", real_path));
    std::set<std::string> seen;
    for (const auto& f : functions) {
        if (!stub_symbol_name_ok(f.name) || (!f.version.empty() && !stub_symbol_name_ok(f.version)))
            throw Error(fmt::format("lazy stub for {}: the symbol '{}' cannot be written into the stub", real_path,
                                    f.name));
        if (!seen.insert(f.name).second)
            throw Error(fmt::format("lazy stub for {}: '{}' is listed twice", real_path, f.name));
    }

    StubSource out;
    std::string& s = out.assembly;
    s += fmt::format("# Lazy stub for {}, written by guestuml's appliance builder.\n", real_path);
    s += "\t.text\n";
    for (size_t i = 0; i < functions.size(); ++i) {
        const std::string& name = functions[i].name;
        s += fmt::format("\t.globl\t{0}\n\t.type\t{0}, @function\n{0}:\n\tjmp\t*.Lslots+{1}(%rip)\n\t.size\t{0}, .-{0}\n",
                         name, 8 * i);
    }
    for (size_t i = 0; i < functions.size(); ++i)
        s += fmt::format(".Lfirst_call_{0}:\n\tmovl\t${0}, %r11d\n\tjmp\t.Lresolve\n", i);
    s += resolve_path;

    s += "\n\t.data\n\t.balign\t8\n.Lslots:\n";
    for (size_t i = 0; i < functions.size(); ++i)
        s += fmt::format("\t.quad\t.Lfirst_call_{}\n", i);
    s += fmt::format(".Llibrary:\n\t.quad\t.Lpath\n\t.quad\t{}\n\t.quad\t.Lnames\n\t.quad\t.Lversions\n"
                     "\t.quad\t.Lslots\n\t.quad\t0\n",
                     functions.size());
    s += ".Lnames:\n";
    for (size_t i = 0; i < functions.size(); ++i)
        s += fmt::format("\t.quad\t.Lname_{}\n", i);
    s += ".Lversions:\n";
    for (size_t i = 0; i < functions.size(); ++i)
        s += functions[i].version.empty() ? std::string("\t.quad\t0\n") : fmt::format("\t.quad\t.Lversion_{}\n", i);

    s += "\n\t.section\t.rodata\n";
    s += fmt::format(".Lpath:\n\t.asciz\t\"{}\"\n", real_path);
    for (size_t i = 0; i < functions.size(); ++i) {
        s += fmt::format(".Lname_{}:\n\t.asciz\t\"{}\"\n", i, functions[i].name);
        if (!functions[i].version.empty())
            s += fmt::format(".Lversion_{}:\n\t.asciz\t\"{}\"\n", i, functions[i].version);
    }
    s += "\t.section\t.note.GNU-stack,\"\",@progbits\n";

    std::map<std::string, std::vector<std::string>> by_version;
    for (const auto& f : functions)
        if (!f.version.empty())
            by_version[f.version].push_back(f.name);
    for (const auto& [version, names] : by_version) {
        out.version_script += version + " {\n  global:\n";
        for (const auto& name : names)
            out.version_script += fmt::format("    {};\n", name);
        out.version_script += "};\n";
    }
    return out;
}

} // namespace guestuml
