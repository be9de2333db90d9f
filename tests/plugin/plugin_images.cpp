#include "plugin_images.hpp"

#include "tool_run.hpp"

#include "guestuml/error.hpp"
#include "guestuml/temp_dir.hpp"
#include "test_images.hpp"

#include <boost/filesystem/operations.hpp>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

namespace fs = boost::filesystem;

namespace guestuml::plugin::test {
namespace {

void shell(const std::string& script)
{
    const ToolResult r = run_tool(Hypervisor::qemu, "set -e\n" + script);
    if (!r.ok())
        throw Error(fmt::format("making test images: {}\n{}", script, r.describe()));
}

void write(const fs::path& file, const std::string& text)
{
    fs::create_directories(file.parent_path());
    guestuml::test::write_file(file, text);
}

// What inspection looks at on a Linux root: os-release, fstab, hostname, a
// binary for the architecture, /bin as a link to usr/bin, a log for virt-log.
void common_root(const fs::path& root, const std::string& hostname)
{
    write(root / "etc/hostname", hostname + "\n");
    fs::create_directories(root / "usr/bin");
    fs::copy_file("/usr/bin/ls", root / "usr/bin/ls", fs::copy_options::overwrite_existing);
    fs::create_symlink("usr/bin", root / "bin");
    write(root / "home/user/hello.txt", fmt::format("hello from {}\n", hostname));
    write(root / "var/log/syslog", fmt::format("Jan  1 00:00:00 {} kernel: guestuml test log line\n", hostname));
    write(root / "var/log/messages", fmt::format("Jan  1 00:00:00 {} kernel: guestuml test log line\n", hostname));
}

void debian_root(const fs::path& root)
{
    common_root(root, "debian-test");
    write(root / "etc/os-release",
          "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n"
          "VERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n");
    write(root / "etc/debian_version", "12.5\n");
    write(root / "etc/fstab", "LABEL=debian-root / ext4 errors=remount-ro 0 1\nLABEL=debian-swap none swap sw 0 0\n");
    std::string status;
    for (const auto& [name, version] : {std::pair{"base-files", "12.4+deb12u5"}, std::pair{"bash", "5.2.15-2+b2"},
                                        std::pair{"coreutils", "9.1-1"}, std::pair{"libc6", "2.36-9+deb12u4"}})
        status += fmt::format("Package: {}\nStatus: install ok installed\nPriority: required\nSection: base\n"
                              "Architecture: amd64\nVersion: {}\nDescription: {} for the guestuml tests\n\n",
                              name, version, name);
    write(root / "var/lib/dpkg/status", status);
}

// A real rpm database (sqlite, as Fedora has) holding one package, written by
// the host's rpmbuild and rpm, and the guest's own rpm configuration: guestfsd
// reads rpm's rpmrc and macros inside a chroot of the guest, so without them no
// database path is set and internal_list_rpm_applications fails
// ("rpmtsInitIterator") on QEMU and guestuml alike, as it would for a real
// Fedora missing /usr/lib/rpm. The database is switched from WAL to a
// rollback journal so that SQLite can read it from a read-only mount with no
// -wal/-shm files beside it.
void rpm_database(const fs::path& root, const fs::path& work)
{
    write(root / "usr/lib/rpm/rpmrc", "");
    write(root / "usr/lib/rpm/macros", "%_dbpath /var/lib/rpm\n%_db_backend sqlite\n");
    const fs::path spec = work / "fedora-release.spec";
    write(spec, "Name: fedora-release\nVersion: 39\nRelease: 1\nSummary: Fedora release files (guestuml tests)\n"
                "License: MIT\nBuildArch: noarch\n%description\nguestuml test package.\n%files\n");
    shell(fmt::format("rpmbuild -bb --quiet --define '_topdir {0}/rpmbuild' --define '_rpmdir {0}/rpms' {1}\n"
                      "rpm --root {2} --dbpath /var/lib/rpm -i --justdb --nodeps --ignorearch --ignoreos "
                      "{0}/rpms/noarch/fedora-release-39-1.noarch.rpm 2>/dev/null\n"
                      "python3 -c 'import sqlite3,sys; sqlite3.connect(sys.argv[1]).execute(\"PRAGMA journal_mode=DELETE\")' "
                      "{2}/var/lib/rpm/rpmdb.sqlite\n"
                      "rm -f {2}/var/lib/rpm/rpmdb.sqlite-wal {2}/var/lib/rpm/rpmdb.sqlite-shm {2}/var/lib/rpm/.rpm.lock\n"
                      "rpm --root {2} --dbpath /var/lib/rpm -q fedora-release >/dev/null\n",
                      shell_quote(work.string()), shell_quote(spec.string()), shell_quote(root.string())));
}

// A Fedora root with an rpm database holding one package.
void fedora_root(const fs::path& root, const fs::path& work)
{
    common_root(root, "fedora-test");
    write(root / "etc/os-release",
          "NAME=\"Fedora Linux\"\nVERSION=\"39 (Server Edition)\"\nID=fedora\nVERSION_ID=39\n"
          "PRETTY_NAME=\"Fedora Linux 39 (Server Edition)\"\nVARIANT_ID=server\n");
    write(root / "etc/redhat-release", "Fedora release 39 (Thirty Nine)\n");
    write(root / "etc/fedora-release", "Fedora release 39 (Thirty Nine)\n");
    write(root / "etc/fstab", "LABEL=fedora-root / xfs defaults 0 0\nLABEL=EFI /boot/efi vfat umask=0077 0 2\n"
                              "LABEL=fedora-home /home btrfs subvol=home 0 0\n");
    rpm_database(root, work);
    fs::create_directories(root / "boot/efi");
}

// An Ubuntu-like root for the LUKS partition: inspection must find an OS
// behind an encrypted device on both paths.
void luks_root(const fs::path& root)
{
    common_root(root, "luks-test");
    write(root / "etc/os-release",
          "PRETTY_NAME=\"Ubuntu 22.04.4 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\n"
          "VERSION=\"22.04.4 LTS (Jammy Jellyfish)\"\nVERSION_CODENAME=jammy\nID=ubuntu\nID_LIKE=debian\n");
    write(root / "etc/lsb-release", "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\nDISTRIB_CODENAME=jammy\n"
                                    "DISTRIB_DESCRIPTION=\"Ubuntu 22.04.4 LTS\"\n");
    write(root / "etc/debian_version", "bookworm/sid\n");
    write(root / "etc/fstab", "LABEL=luks-root / ext4 defaults 0 1\n");
    write(root / "var/lib/dpkg/status", "Package: base-files\nStatus: install ok installed\nPriority: required\n"
                                        "Section: admin\nArchitecture: amd64\nVersion: 12ubuntu4.6\n"
                                        "Description: base-files for the guestuml tests\n\n");
}

// storage-b's partition table (GPT: RAID1 member, LUKS, swap) and its LUKS
// header, made on the host. qemu-img writes LUKS1 with PBKDF2 and an iteration
// time we choose: cryptsetup's own default inside the appliance (LUKS2,
// argon2id, calibrated to 2 s on the formatting machine) took about a minute
// under UML and would take far longer to open under QEMU's TCG.
// qemu-img calibrates PBKDF2 against the thread's CPU clock, which advances in
// scheduler ticks; on an idle fast machine one calibration round can read 0 ms
// and qemu-img gives up ("Unable to get accurate CPU usage"). A new try
// measures again.
void make_storage_b_layout(const PluginImages& images, const fs::path& work)
{
    const std::string disk = shell_quote(images.storage_b.string());
    const std::string luks = shell_quote((work / "luks.img").string());
    shell(fmt::format("truncate -s 320M {0}\n"
                      "printf 'label: gpt\\nstart=2048, size=204800\\nstart=206848, size=204800\\n"
                      "start=411648, size=204800\\n' | sfdisk -q {0}\n"
                      "for try in 1 2 3 4 5; do\n"
                      "  qemu-img create -q -f luks --object secret,id=key0,data={2} "
                      "-o key-secret=key0,iter-time=50 {1} 96M && break\n"
                      "  [ $try -lt 5 ] || exit 1\n"
                      "done\n"
                      "dd if={1} of={0} bs=512 seek=206848 conv=notrunc,sparse status=none\n",
                      disk, luks, shell_quote(luks_key)));
}

void make_debian(const PluginImages& images, const fs::path& work)
{
    const fs::path root = work / "debian-root";
    debian_root(root);
    const fs::path rootfs = work / "debian-root.ext4";
    guestuml::test::make_ext4_image(rootfs, 200, root, "debian-root");
    const std::string disk = shell_quote(images.debian.string());
    shell(fmt::format("truncate -s 240M {0}\n"
                      "printf 'label: dos\\nstart=2048, size=409600, type=83\\nstart=411648, type=82\\n' | sfdisk -q {0}\n"
                      "dd if={1} of={0} bs=1M seek=1 conv=notrunc,sparse status=none\n"
                      "truncate -s 34M {2}/swap && mkswap -q -L debian-swap {2}/swap\n"
                      "dd if={2}/swap of={0} bs=512 seek=411648 conv=notrunc,sparse status=none\n",
                      disk, shell_quote(rootfs.string()), shell_quote(work.string())));
}

// One guestfish session on guestuml partitions and fills fedora, storage-a and
// storage-b. It is read from standard input with --keys-from-stdin, so the LUKS
// key is the line after the command that asks for it: guestfish's -f replaces
// its standard input with the script, so keys would be read from the script
// file anyway (that is what broke LUKS before: the line after luks-format was
// taken as the key).
std::string guest_build_script(const fs::path& fedora_tree, const fs::path& luks_tree)
{
    const std::string tree = fedora_tree.string();
    return fmt::format(R"(run
part-init /dev/sda gpt
part-add /dev/sda p 2048 206847
part-add /dev/sda p 206848 1026047
part-add /dev/sda p 1026048 1431551
mkfs vfat /dev/sda1 label:EFI
mkfs xfs /dev/sda2 label:fedora-root
mkfs btrfs /dev/sda3 label:fedora-home
mount /dev/sda2 /
copy-in {0}/etc {0}/usr {0}/var {0}/home {0}/boot /
ln-s usr/bin /bin
umount-all
mount /dev/sda3 /
btrfs-subvolume-create /home
btrfs-subvolume-create /snapshots
write /home/readme.txt "btrfs subvolume home\n"
umount-all
mount /dev/sda1 /
write /EFI.TXT "efi partition\n"
umount-all
part-init /dev/sdb mbr
part-add /dev/sdb p 2048 821247
part-add /dev/sdb p 821248 1026047
pvcreate /dev/sdb1
vgcreate vgtest /dev/sdb1
lvcreate data vgtest 64
lvcreate logs vgtest 304
mkfs ext4 /dev/vgtest/data label:lvdata
mkfs xfs /dev/vgtest/logs label:lvlogs
mount /dev/vgtest/data /
write /data.txt "on a logical volume\n"
umount-all
md-create raid "/dev/sdb2 /dev/sdc1" level:raid1
mkfs ext4 /dev/md/raid label:mirror
mount /dev/md/raid /
write /mirror.txt "on a RAID1 mirror\n"
umount-all
mkswap /dev/sdc3 label:storage-swap
cryptsetup-open /dev/sdc2 lukstest
{2}
mkfs ext4 /dev/mapper/lukstest label:luks-root
mount /dev/mapper/lukstest /
copy-in {1}/etc {1}/usr {1}/var {1}/home /
ln-s usr/bin /bin
umount-all
cryptsetup-close /dev/mapper/lukstest
sync
)",
                       tree, luks_tree.string(), luks_key);
}

std::string sha256_list(const PluginImages& images)
{
    std::string out;
    for (const auto& image : images.all())
        out += fmt::format("{}  {}\n", guestuml::test::sha256_file(image), image.filename().string());
    return out;
}

} // namespace

std::string PluginImages::add_options() const
{
    std::string out;
    for (const auto& image : all())
        out += fmt::format(" -a {}", shell_quote(image.string()));
    return out;
}

PluginImages plugin_images(const fs::path& dir)
{
    return {dir, dir / "debian.img", dir / "fedora.qcow2", dir / "storage-a.qcow2", dir / "storage-b.img"};
}

void build_plugin_images(const PluginImages& images)
{
    fs::remove_all(images.dir);
    fs::create_directories(images.dir);
    TempDir work("plugin-images", images.dir);
    make_debian(images, work.path());

    const fs::path fedora_tree = work.path() / "fedora-root";
    fedora_root(fedora_tree, work.path());
    fs::remove(fedora_tree / "bin");   // made as a link inside the guest: copy-in of a link is awkward
    const fs::path luks_tree = work.path() / "luks-root";
    luks_root(luks_tree);
    fs::remove(luks_tree / "bin");
    make_storage_b_layout(images, work.path());
    const fs::path fedora_raw = work.path() / "fedora.raw";
    const fs::path storage_a_raw = work.path() / "storage-a.raw";
    shell(fmt::format("truncate -s 700M {}; truncate -s 520M {}", shell_quote(fedora_raw.string()),
                      shell_quote(storage_a_raw.string())));
    const ToolResult r = run_tool(Hypervisor::guestuml,
                                  fmt::format("guestfish --keys-from-stdin --format=raw -a {} -a {} -a {}",
                                              shell_quote(fedora_raw.string()), shell_quote(storage_a_raw.string()),
                                              shell_quote(images.storage_b.string())),
                                  guest_build_script(fedora_tree, luks_tree));
    if (!r.ok())
        throw Error("building the test images with guestfish on guestuml: " + r.describe());
    shell(fmt::format("qemu-img convert -O qcow2 {} {}\nqemu-img convert -O qcow2 {} {}",
                      shell_quote(fedora_raw.string()), shell_quote(images.fedora.string()),
                      shell_quote(storage_a_raw.string()), shell_quote(images.storage_a.string())));
    std::ofstream(images.dir.string() + "/sha256.txt") << sha256_list(images);
}

bool images_unchanged(const PluginImages& images, std::string* changed)
{
    std::ifstream in((images.dir / "sha256.txt").string());
    std::ostringstream recorded;
    recorded << in.rdbuf();
    const std::string now = sha256_list(images);
    if (recorded.str() == now)
        return true;
    if (changed)
        *changed = fmt::format("recorded:\n{}now:\n{}", recorded.str(), now);
    return false;
}

} // namespace guestuml::plugin::test
