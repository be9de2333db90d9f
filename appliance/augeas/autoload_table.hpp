// The table of Augeas's autoload transforms that the appliance builder writes
// and guestuml-augeas.so reads: for each lens module, in Augeas's own order,
// the file globs its transform includes and excludes, and the HOME they were
// computed with (some lenses' globs are under $HOME).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace guestuml::augeas {

struct AutoloadFilter {
    bool include = true;   // an incl glob; false: an excl glob
    std::string glob;
};

struct AutoloadEntry {
    std::string module;    // as under /augeas/load, e.g. "Fstab"
    std::vector<AutoloadFilter> filters;
};

struct AutoloadTable {
    std::string home;      // $HOME when the modules were compiled ("" if unset)
    std::vector<AutoloadEntry> entries;
};

// A "home VALUE" line, then one "module NAME" line per entry, each followed by
// an "incl GLOB" or "excl GLOB" line per filter.
std::string format_autoload_table(const AutoloadTable& table);

// The table of format_autoload_table's text; nothing if any line is malformed
// (the caller then lets Augeas load every module itself).
std::optional<AutoloadTable> parse_autoload_table(std::string_view text);

} // namespace guestuml::augeas
