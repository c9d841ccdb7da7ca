#!/usr/bin/env bash
# Builds Gureum's test guest image: a small bootable qcow2 disk (a CirrOS stand-in).
#
#   scripts/build-test-image.sh OUT.qcow2
#
# Everything comes from Debian packages on this machine (apt only, no other downloads),
# and nothing needs root: no loop devices, no mounts. See docs/test-image.md.
#
# Boot chain: SeaBIOS -> MBR (syslinux mbr.bin) -> SYSLINUX on partition 1 (FAT16) ->
# Debian kernel + a small initramfs that loads the virtio/storage modules -> switch_root
# to partition 2 (ext4, label gureum-root) -> busybox init -> scripts/guest/rootfs/etc/gureum/rc.sh
# (config drive, DHCP, dropbear, acpid) -> getty on ttyS0 and tty1.
#
# Layout of the 128 MiB disk (MBR partition table):
#   1 MiB .. 33 MiB   p1  FAT16 "GUREUMBOOT", bootable: ldlinux.sys, syslinux.cfg, vmlinuz, initrd.gz
#   33 MiB .. end     p2  ext4 "gureum-root": busybox, dropbear (+ its libraries), config files
#
# Environment: GUREUM_GUEST_KVER picks the kernel (default: the newest /boot/vmlinuz-* with
# modules in /lib/modules).
set -euo pipefail

DISK_MIB=128
BOOT_MIB=32
ROOT_LABEL=gureum-root
BOOT_LABEL=GUREUMBOOT
# Kernel modules the guest loads (dependencies are added from modinfo). Most of Debian's
# storage, network and filesystem drivers are modules, not built in.
MODULES="crc32c_generic virtio_pci virtio_blk virtio_scsi sd_mod sr_mod ahci ext4 isofs vfat
nls_cp437 nls_ascii nls_utf8 virtio_net button evdev"

here=$(cd "$(dirname "$0")" && pwd)
guest=$here/guest
export PATH=$PATH:/usr/sbin:/sbin
export MTOOLS_SKIP_CHECK=1 # mtools on a bare image file: skip the geometry checks

die() { echo "build-test-image: $*" >&2; exit 1; }
[ $# -eq 1 ] && [ -n "$1" ] || die "usage: $0 OUT.qcow2"
out=$1
start=${EPOCHREALTIME/./}

# ---------------------------------------------------------------- tools
# Report every missing tool at once, with the apt package that provides it.
missing=""
need() { # need COMMAND-OR-FILE PACKAGE
	case $1 in
	/*) [ -e "$1" ] ;;
	*) command -v "$1" >/dev/null ;;
	esac || missing="$missing\n  $1 (apt package $2)"
}
need sfdisk fdisk
need mkfs.vfat dosfstools
need mcopy mtools
need syslinux syslinux
need /usr/lib/syslinux/mbr/mbr.bin syslinux-common
need mkfs.ext4 e2fsprogs
need debugfs e2fsprogs
need cpio cpio
need gzip gzip
need modinfo kmod
need depmod kmod
need ldd libc-bin
need qemu-img qemu-utils
need /bin/busybox busybox-static
need /usr/sbin/dropbear dropbear-bin
kver=${GUREUM_GUEST_KVER:-}
if [ -z "$kver" ]; then
	for v in $(ls /lib/modules 2>/dev/null | sort -V); do
		[ -r "/boot/vmlinuz-$v" ] && kver=$v
	done
fi
[ -n "$kver" ] && [ -r "/boot/vmlinuz-$kver" ] && [ -d "/lib/modules/$kver" ] ||
	missing="$missing\n  a Debian kernel: /boot/vmlinuz-* and /lib/modules/* (apt package linux-image-amd64)"
if [ -e /bin/busybox ] && ldd /bin/busybox >/dev/null 2>&1; then
	missing="$missing\n  a static /bin/busybox (apt package busybox-static; the dynamic busybox package is installed)"
fi
[ -z "$missing" ] || die "missing:$(printf "$missing")
install them with: apt-get install --no-install-recommends linux-image-amd64 busybox-static dropbear-bin syslinux syslinux-common mtools dosfstools e2fsprogs fdisk cpio kmod qemu-utils"

work=$(mktemp -d "${TMPDIR:-/tmp}/gureum-test-image.XXXXXX")
mkdir -p "$(dirname "$out")"
partial=$out.partial.$$
trap 'rm -rf "$work" "$partial"' EXIT

# Links every busybox applet in DIR/bin; /sbin, /usr/bin and /usr/sbin point at bin.
busybox_tree() {
	local dir=$1 a
	mkdir -p "$dir/bin" "$dir/usr"
	cp /bin/busybox "$dir/bin/busybox"
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -s busybox "$dir/bin/$a"
	done
	ln -s bin "$dir/sbin"
	ln -s ../bin "$dir/usr/bin"
	ln -s ../bin "$dir/usr/sbin"
}

# ---------------------------------------------------------------- initramfs
# busybox + the kernel modules (with their dependencies) + /init.
initramfs=$work/initramfs
busybox_tree "$initramfs"
mkdir -p "$initramfs"/{dev,proc,sys,newroot,etc,lib/modules/"$kver"}
declare -A seen=()
add_module() {
	local m=$1 file dep
	[ -n "${seen[$m]:-}" ] && return
	seen[$m]=1
	file=$(modinfo -k "$kver" -n "$m" 2>/dev/null) || die "kernel $kver has no module $m"
	case $file in /*) ;; *) return ;; esac # built in
	for dep in $(modinfo -k "$kver" -F depends "$m" | tr ',' ' '); do add_module "$dep"; done
	mkdir -p "$initramfs$(dirname "$file")"
	cp "$file" "$initramfs$file"
}
for m in $MODULES; do add_module "$m"; done
cp /lib/modules/"$kver"/modules.{order,builtin,builtin.modinfo} "$initramfs/lib/modules/$kver/" 2>/dev/null || true
depmod -b "$initramfs" "$kver"
echo $MODULES | tr ' ' '\n' >"$initramfs/etc/modules"
install -m 755 "$guest/initramfs/init" "$initramfs/init"
(cd "$initramfs" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9n >"$work/initrd.gz"

# ---------------------------------------------------------------- root filesystem
rootfs=$work/rootfs
busybox_tree "$rootfs"
mkdir -p "$rootfs"/{dev,proc,sys,run,tmp,mnt/config,root/.ssh,home,var/log,var/lib/gureum,etc/dropbear}
chmod 1777 "$rootfs/tmp"
chmod 700 "$rootfs/root" "$rootfs/root/.ssh"
ln -s ../run "$rootfs/var/run"
# dropbear is linked dynamically: copy it with its libraries and the loader.
cp /usr/sbin/dropbear "$rootfs/bin/dropbear"
for lib in $(ldd /usr/sbin/dropbear | grep -o '/[^ ]*'); do
	mkdir -p "$rootfs$(dirname "$lib")"
	cp -L "$lib" "$rootfs$lib"
done
cp -R "$guest/rootfs/." "$rootfs/"
chmod 755 "$rootfs"/etc/gureum/*.sh "$rootfs/etc/acpi/PWRF/00000080"
chmod 600 "$rootfs/etc/shadow"

# ---------------------------------------------------------------- boot partition (p1)
boot=$work/boot.fat
truncate -s "${BOOT_MIB}M" "$boot"
# -h 2048: the partition starts at sector 2048 (the FAT boot sector records it).
mkfs.vfat -F 16 -h 2048 -n "$BOOT_LABEL" "$boot" >/dev/null
# SYSLINUX prints on the serial port as well as the screen. edd=off skips the kernel's
# BIOS disk probe (and its message on the screen).
cat >"$work/syslinux.cfg" <<EOF
SERIAL 0 115200
DEFAULT gureum
PROMPT 0
TIMEOUT 0
LABEL gureum
  KERNEL /vmlinuz
  INITRD /initrd.gz
  APPEND root=LABEL=$ROOT_LABEL console=tty0 console=ttyS0,115200 loglevel=3 edd=off
EOF
mcopy -i "$boot" "/boot/vmlinuz-$kver" ::/vmlinuz
mcopy -i "$boot" "$work/initrd.gz" ::/initrd.gz
mcopy -i "$boot" "$work/syslinux.cfg" ::/syslinux.cfg
syslinux --install "$boot" # writes ldlinux.sys/.c32 through mtools, no mount

# ---------------------------------------------------------------- root partition (p2)
root=$work/root.ext4
root_bytes=$(((DISK_MIB - 1 - BOOT_MIB) * 1024 * 1024))
truncate -s "$root_bytes" "$root"
mkfs.ext4 -q -F -L "$ROOT_LABEL" -E root_owner=0:0 -d "$rootfs" "$root"
if [ "$(id -u)" != 0 ]; then
	# mkfs.ext4 -d copies the builder's uid/gid; make everything root's.
	(cd "$rootfs" && find . -mindepth 1 -printf 'sif /%P uid 0\nsif /%P gid 0\n') >"$work/chown.debugfs"
	debugfs -w -f "$work/chown.debugfs" "$root" >/dev/null 2>&1
fi

# ---------------------------------------------------------------- disk
raw=$work/disk.raw
truncate -s "${DISK_MIB}M" "$raw"
sfdisk -q "$raw" <<EOF
label: dos
start=2048, size=$((BOOT_MIB * 2048)), type=6, bootable
start=$((2048 + BOOT_MIB * 2048)), type=83
EOF
dd if=/usr/lib/syslinux/mbr/mbr.bin of="$raw" bs=440 count=1 conv=notrunc status=none
dd if="$boot" of="$raw" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$root" of="$raw" bs=1M seek=$((1 + BOOT_MIB)) conv=notrunc,sparse status=none

# Write next to OUT, then rename: OUT is replaced whole or not at all.
qemu-img convert -c -f raw -O qcow2 "$raw" "$partial"
mv -f "$partial" "$out"

end=${EPOCHREALTIME/./}
echo "build-test-image: $out: $(stat -c %s "$out") bytes, ${DISK_MIB} MiB virtual, kernel $kver, $(((end - start) / 1000)) ms"
