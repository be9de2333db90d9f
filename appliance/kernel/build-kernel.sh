#!/usr/bin/env bash
# Builds guestuml's minimal UML appliance kernel from a Debian linux-source
# tarball: extract, apply this directory's patches for that version, configure
# (defconfig + guestuml.config), make. guestuml's kernel cache runs it (see
# appliance/src/kernel_cache.cpp); it also runs by hand.
#
# usage: build-kernel.sh SOURCE_TARBALL OUTPUT_DIR
#
# OUTPUT_DIR receives:
#   linux                     the kernel binary (what /usr/bin/linux.uml is for Debian)
#   modules/RELEASE/          an empty modules directory (everything is built in):
#                             supermin and guestuml-init want one with a modules.dep
#   config                    the final .config
#   build.log                 the full output of every step
# Progress goes to stderr. The source tree is built in OUTPUT_DIR/src and removed
# when the build succeeded (it is over 1 GB).
set -euo pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 SOURCE_TARBALL OUTPUT_DIR" >&2
    exit 2
fi
tarball=$(realpath "$1")
out=$(realpath -m "$2")
here=$(dirname "$(realpath "$0")")
jobs=${GUESTUML_KERNEL_JOBS:-$(nproc)}

mkdir -p "$out"
log="$out/build.log"
: >"$log"
say() { echo "guestuml: kernel: $*" >&2; echo "== $*" >>"$log"; }
fail() {
    echo "guestuml: kernel: $* (last lines of $log):" >&2
    tail -n 25 "$log" | sed 's/^/  /' >&2
    exit 1
}
start=$(date +%s)

say "extracting $tarball"
rm -rf "$out/src"
mkdir -p "$out/src"
tar -xf "$tarball" -C "$out/src" --strip-components=1 >>"$log" 2>&1 || fail "cannot extract $tarball"
cd "$out/src"

version=$(make -s kernelversion 2>>"$log") || fail "cannot read the kernel version"
series=$(echo "$version" | cut -d. -f1,2)
say "linux $version"

# Patches live in a directory per kernel series (6.1/, 6.12/): a fix for one
# series rarely applies to another.
shopt -s nullglob
for p in "$here/$series"/*.patch; do
    say "applying $(basename "$p")"
    patch -p1 --forward --batch <"$p" >>"$log" 2>&1 || fail "patch $p does not apply to linux $version"
done

say "configuring (defconfig + guestuml.config)"
make ARCH=um defconfig >>"$log" 2>&1 || fail "make defconfig failed"
scripts/kconfig/merge_config.sh -m .config "$here/guestuml.config" >>"$log" 2>&1 ||
    fail "merge_config.sh failed"
make ARCH=um olddefconfig >>"$log" 2>&1 || fail "make olddefconfig failed"

# Every line of the fragment must be in the result: olddefconfig drops a symbol
# whose dependencies are not met without a word.
missing=0
while IFS= read -r line; do
    case "$line" in
        CONFIG_*=*) want="$line" ;;
        "# CONFIG_"*" is not set") want="$line" ;;
        *) continue ;;
    esac
    if ! grep -qxF "$want" .config; then
        sym=${want#\# }; sym=${sym%% *}; sym=${sym%%=*}
        # "is not set" is also satisfied by the symbol being absent altogether.
        if [[ $want == "# "* ]] && ! grep -q "^$sym=" .config; then
            continue
        fi
        echo "guestuml: kernel: config wants '$want', got '$(grep -E "^(# )?$sym[= ]" .config || echo absent)'" >&2
        missing=1
    fi
done <"$here/guestuml.config"
[ $missing = 0 ] || fail "the configuration lost symbols (dependencies missing?)"

# Compiling: one progress line per 100 objects, the rest goes to the log.
say "compiling with $jobs jobs (about 1500 objects; 15 minutes on 2 idle cores, much longer on busy ones)"
set +e
count_objects() {
    local n=0 line
    while IFS= read -r line; do
        printf '%s\n' "$line" >>"$log"
        case "$line" in
            "  CC "*|"  AS "*|"  AR "*|"  LD "*)
                n=$((n + 1))
                if [ $((n % 100)) = 0 ]; then
                    echo "guestuml: kernel: $n objects, $(( $(date +%s) - start )) s" >&2
                fi ;;
        esac
    done
}
make ARCH=um -j"$jobs" linux 2>&1 | count_objects
status=${PIPESTATUS[0]}
set -e
[ "$status" = 0 ] || fail "make failed"

release=$(make -s ARCH=um kernelrelease 2>>"$log")
cp .config "$out/config"
cp linux "$out/linux.tmp"
mv "$out/linux.tmp" "$out/linux"
mkdir -p "$out/modules/$release"
: >"$out/modules/$release/modules.dep"
# The kernel's list of built-in drivers, as modprobe and guestuml-init read it.
if [ -f modules.builtin ]; then
    cp modules.builtin "$out/modules/$release/modules.builtin"
else
    : >"$out/modules/$release/modules.builtin"
fi
cd "$out"
rm -rf "$out/src"
say "built linux $release in $(( $(date +%s) - start )) s: $out/linux"
