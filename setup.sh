#!/usr/bin/env bash
# Installs everything guestuml needs on Debian 12, builds it, installs it under
# /usr/local and builds the UML appliance: the first time, that includes
# guestuml's minimal UML kernel (15-30 min on 2 cores, then cached). Run as root
# (or with sudo available).
#
# usage: ./setup.sh            (build directory: ./build)
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages, each for a reason:
#   user-mode-linux          the UML kernel (linux.uml) and its modules
#   libguestfs0 libguestfs-dev libguestfs-tools   libguestfs, its C API and the stock tools
#   supermin                 builds the appliance root from libguestfs's supermin.d
#   qemu-utils               qemu-img: overlays and format probing
#   qemu-system-common       qemu-storage-daemon: serves disks to UML as vhost-user-blk
#   qemu-block-extra         qemu's curl and ssh block drivers: http/https/ftp/ssh drives
#   nbdkit                   its curl plugin reads http/https/ftp/ftps drives for the
#                            storage daemon: qemu 7.2's own curl driver can stall for good
#                            under parallel reads (backend/src/curl_nbd_server.hpp)
#   python3                  the formats tests' small Range-capable HTTP server
#   openssl                  the formats tests' private CA and https server certificate
#   openssh-server openssh-client
#                            the formats tests' sshd on loopback and ssh-keygen (ssh drives)
#   e2fsprogs fdisk xfsprogs dosfstools btrfs-progs
#                            make test images (mke2fs -d, sfdisk, mkfs.*); LVM, RAID
#                            and LUKS images are made with guestfish on guestuml itself
#   rpm                      rpmbuild and rpm write the Fedora-like test image's rpm database
#   libboost-filesystem-dev libfmt-dev catch2 cmake ninja-build g++ pkg-config   the build
#   libaugeas-dev            augeas.h for guestuml-augeas.so, the appliance's preload that
#                            has Augeas compile only the lenses a load needs (docs/augeas.md)
#   linux-source-6.12        the sources of guestuml's minimal UML kernel (appliance/kernel/)
#   make gcc flex bison bc xz-utils patch
#                            what building that kernel needs: kbuild, the Kconfig parser
#                            (flex, bison), timeconst (bc), the .tar.xz, our patches;
#                            gcc (cc) also builds the appliance's lazy stubs of guestfsd's
#                            rarely used libraries (docs/lazy-libraries.md)
packages=(
    user-mode-linux libguestfs0 libguestfs-dev libguestfs-tools supermin
    qemu-utils qemu-system-common qemu-block-extra nbdkit python3
    openssl openssh-server openssh-client
    linux-source-6.12 make gcc flex bison bc xz-utils patch
    e2fsprogs fdisk xfsprogs dosfstools btrfs-progs cpio rpm
    libboost-filesystem-dev libfmt-dev catch2 cmake ninja-build g++ pkg-config libaugeas-dev
)

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr/local
ninja -C build
as_root ninja -C build install
# Builds guestuml's minimal UML kernel first (once, 10-30 min, cached next to the
# appliance; GUESTUML_APPLIANCE_KERNEL=debian skips it), then the appliance.
guestuml appliance build
scripts/make-sample-image.sh build/sample-debian.img web1
