#!/usr/bin/env bash
# Makes a small Debian-like disk image for demos and tests: a GPT disk with one
# ext4 partition holding just enough of a Debian 12 root for libguestfs's
# inspection to report distro, version, hostname, mountpoints and packages.
# Needs no privileges: the filesystem is written by mke2fs -d at an offset.
#
# usage: make-sample-image.sh OUTPUT [HOSTNAME]
set -euo pipefail

out=${1:?usage: make-sample-image.sh OUTPUT [HOSTNAME]}
hostname=${2:-sample-debian}
size_mib=64
offset_mib=1

root=$(mktemp -d "${TMPDIR:-/tmp}/guestuml-sample-XXXXXX")
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{etc,bin,sbin,usr/bin,usr/sbin,lib,var/lib/dpkg,root,tmp,home,boot}
# Inspection reads the architecture from a real binary.
cp /bin/true "$root/bin/true"
cp /bin/true "$root/bin/ls"
echo "$hostname" > "$root/etc/hostname"
echo "12.11" > "$root/etc/debian_version"
cat > "$root/etc/os-release" <<'OS'
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
OS
cat > "$root/etc/fstab" <<'FSTAB'
/dev/sda1  /  ext4  errors=remount-ro  0  1
FSTAB
mkdir -p "$root/etc/ssh"
echo "PermitRootLogin no" > "$root/etc/ssh/sshd_config"
package() { # name version arch summary
    cat <<PKG
Package: $1
Status: install ok installed
Priority: optional
Section: misc
Installed-Size: 100
Maintainer: guestuml tests <tests@example.invalid>
Architecture: $3
Version: $2
Description: $4
 A package of the guestuml sample image.

PKG
}
{
    package base-files 12.4+deb12u11 amd64 "Debian base system miscellaneous files"
    package bash 5.2.15-2+b7 amd64 "GNU Bourne Again SHell"
    package coreutils 9.1-1 amd64 "GNU core utilities"
    package openssh-server 1:9.2p1-2+deb12u5 amd64 "secure shell (SSH) server"
    package tzdata 2024a-0+deb12u1 all "time zone and daylight-saving time data"
} > "$root/var/lib/dpkg/status"

rm -f "$out"
truncate -s "${size_mib}M" "$out"
printf 'label: gpt\nstart=%dMiB, type=linux\n' "$offset_mib" | sfdisk --quiet "$out"
part_bytes=$(( (size_mib - offset_mib - 1) * 1024 * 1024 ))
mke2fs -q -F -t ext4 -L root -d "$root" -E offset=$((offset_mib * 1024 * 1024)) "$out" "$((part_bytes / 1024))k"
