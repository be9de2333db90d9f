// qemu command lines captured from libguestfs 1.48.6's direct backend on Debian 12
// (LIBGUESTFS_HV set to a logging wrapper around qemu-system-x86_64 7.2).
#pragma once

#include <string>
#include <vector>

namespace guestuml::plugin::test {

// The parts every launch shares, before the drives.
inline std::vector<std::string> launch_prefix(const std::string& appliance_dir)
{
    return {
        "-global", "virtio-blk-pci.scsi=off", "-no-user-config", "-nodefaults", "-display", "none",
        "-machine", "accel=kvm:tcg,graphics=off", "-cpu", "max,la57=off", "-m", "1280", "-no-reboot",
        "-rtc", "driftfix=slew", "-no-hpet", "-global", "kvm-pit.lost_tick_policy=discard",
        "-kernel", appliance_dir + "/kernel", "-initrd", appliance_dir + "/initrd",
        "-object", "rng-random,filename=/dev/urandom,id=rng0", "-device", "virtio-rng-pci,rng=rng0",
        "-device", "virtio-scsi-pci,id=scsi",
    };
}

// The parts after the user's drives.
inline std::vector<std::string> launch_suffix(const std::string& appliance_dir, const std::string& append)
{
    return {
        "-drive", "file=" + appliance_dir + "/root,snapshot=on,id=appliance,cache=unsafe,if=none,format=raw",
        "-device", "scsi-hd,drive=appliance", "-device", "virtio-serial-pci", "-serial", "stdio",
        "-chardev", "socket,path=/tmp/libguestfs1JVHzB/guestfsd.sock,id=channel0",
        "-device", "virtserialport,chardev=channel0,name=org.libguestfs.channel.0",
        "-append", append,
    };
}

inline const std::string verbose_append =
    "panic=1 console=ttyS0 edd=off udevtimeout=6000 udev.event-timeout=6000 no_timer_check lpj=8384000 "
    "printk.time=1 cgroup_disable=memory usbcore.nousb cryptomgr.notests tsc=reliable 8250.nr_uarts=1 "
    "root=UUID=ae48bc17-9dae-4c6e-bdfd-56420a89c093 selinux=0 guestfs_verbose=1 TERM=xterm";

inline const std::string quiet_append =
    "panic=1 console=ttyS0 edd=off udevtimeout=6000 udev.event-timeout=6000 no_timer_check lpj=8384000 "
    "printk.time=1 cgroup_disable=memory usbcore.nousb cryptomgr.notests tsc=reliable 8250.nr_uarts=1 "
    "root=UUID=ae48bc17-9dae-4c6e-bdfd-56420a89c093 selinux=0 quiet TERM=xterm";

inline std::vector<std::string> join(std::vector<std::string> a, const std::vector<std::string>& b,
                                     const std::vector<std::string>& c)
{
    a.insert(a.end(), b.begin(), b.end());
    a.insert(a.end(), c.begin(), c.end());
    return a;
}

// guestfish -a /dev/null run (LIBGUESTFS_DEBUG=1).
inline std::vector<std::string> devnull_launch(const std::string& dir)
{
    return join(launch_prefix(dir),
                {"-drive", "file=/tmp/libguestfsmbEON4/devnull1.img,cache=writeback,format=raw,id=hd0,if=none",
                 "-device", "scsi-hd,drive=hd0"},
                launch_suffix(dir, verbose_append));
}

// guestfish --ro -a a.raw -a b.qcow2 run: libguestfs's qcow2 overlays.
inline std::vector<std::string> readonly_two_drives_launch(const std::string& dir)
{
    return join(launch_prefix(dir),
                {"-drive",
                 "file.file.filename=/tmp/libguestfsNsQbOk/overlay1.qcow2,file.driver=qcow2,"
                 "file.backing.file.locking=off,cache=unsafe,id=hd0,if=none",
                 "-device", "scsi-hd,drive=hd0", "-drive",
                 "file.file.filename=/tmp/libguestfsNsQbOk/overlay2.qcow2,file.driver=qcow2,"
                 "file.backing.file.locking=off,cache=unsafe,id=hd1,if=none",
                 "-device", "scsi-hd,drive=hd1"},
                launch_suffix(dir, quiet_append));
}

// guestfish --format=raw -a a.raw --format=qcow2 -a b.qcow2 -a 'c,with:comma.img' run
inline std::vector<std::string> writable_three_drives_launch(const std::string& dir)
{
    return join(launch_prefix(dir),
                {"-drive", "file=/tmp/plugin-research/a.raw,cache=writeback,format=raw,id=hd0,if=none",
                 "-device", "scsi-hd,drive=hd0",
                 "-drive", "file=/tmp/plugin-research/b.qcow2,cache=writeback,format=qcow2,id=hd1,if=none",
                 "-device", "scsi-hd,drive=hd1",
                 "-drive", "file=/tmp/plugin-research/c,,with:comma.img,cache=writeback,format=qcow2,id=hd2,if=none",
                 "-device", "scsi-hd,drive=hd2"},
                launch_suffix(dir, quiet_append));
}

// add-drive a.raw format:raw iface:virtio, then a read-only qcow2 drive.
inline std::vector<std::string> virtio_blk_launch(const std::string& dir)
{
    return join(launch_prefix(dir),
                {"-drive", "file=/tmp/plugin-research/a.raw,cache=writeback,format=raw,id=hd0,if=none",
                 "-device", "virtio-blk-pci,drive=hd0",
                 "-drive",
                 "file.file.filename=/tmp/libguestfs90VtVs/overlay2.qcow2,file.driver=qcow2,"
                 "file.backing.file.locking=off,cache=unsafe,id=hd1,if=none",
                 "-device", "scsi-hd,drive=hd1"},
                launch_suffix(dir, quiet_append));
}

} // namespace guestuml::plugin::test
