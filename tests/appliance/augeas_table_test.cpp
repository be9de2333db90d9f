// The autoload table guestuml-augeas-table writes and guestuml-augeas.so reads.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "autoload_table.hpp"

using namespace guestuml::augeas;

TEST_CASE("the autoload table reads back what was written")
{
    const std::vector<AutoloadEntry> entries{
        {"Fstab", {{true, "/etc/fstab"}, {true, "/etc/mtab"}, {false, "*.augnew"}}},
        {"Hosts", {{true, "/etc/hosts"}}},
        {"Empty", {}},
        {"Odd", {{true, "/etc/with space/*.conf"}}},
    };
    const std::string text = format_autoload_table({"/", entries});
    CHECK(text.rfind("home /\nmodule Fstab\nincl /etc/fstab\nincl /etc/mtab\nexcl *.augnew\nmodule Hosts\n", 0) == 0);
    const auto back = parse_autoload_table(text);
    REQUIRE(back);
    CHECK(back->home == "/");
    const auto& read = back->entries;
    REQUIRE(read.size() == entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
        CHECK(read[i].module == entries[i].module);
        REQUIRE(read[i].filters.size() == entries[i].filters.size());
        for (size_t f = 0; f < entries[i].filters.size(); ++f) {
            CHECK(read[i].filters[f].include == entries[i].filters[f].include);
            CHECK(read[i].filters[f].glob == entries[i].filters[f].glob);
        }
    }
    const auto no_home = parse_autoload_table(format_autoload_table({"", entries}));
    REQUIRE(no_home);
    CHECK(no_home->home.empty());
}

TEST_CASE("a damaged autoload table is refused as a whole")
{
    CHECK_FALSE(parse_autoload_table(""));
    CHECK_FALSE(parse_autoload_table("module Fstab\nincl /etc/fstab\n"));        // no home line
    CHECK_FALSE(parse_autoload_table("home /\n"));                                // no module
    CHECK_FALSE(parse_autoload_table("home /\nincl /etc/fstab\n"));              // a glob before any module
    CHECK_FALSE(parse_autoload_table("home /\nmodule Fstab\nincl /etc/fstab"));  // cut short
    CHECK_FALSE(parse_autoload_table("home /\nmodule Fstab\nother /etc/fstab\n"));
    CHECK_FALSE(parse_autoload_table("home /\nmodule \n"));
    CHECK_FALSE(parse_autoload_table("home /\nmodule Fstab\nincl \n"));
    CHECK(parse_autoload_table("home /\nmodule Fstab\nincl /etc/fstab\n"));
}
