#!/bin/sh
# Gureum test guest: boot script, run once by busybox init (::sysinit in /etc/inittab)
# before the login prompts start. Built into the image by scripts/build-test-image.sh.
#
# 1. mounts the pseudo filesystems and starts acpid (ACPI power button -> poweroff)
# 2. reads an OpenStack config drive (label config-2, ISO9660 or vfat):
#    openstack/latest/meta_data.json -> hostname, public_keys -> /root/.ssh/authorized_keys
# 3. runs udhcpc on every NIC and starts dropbear (ssh, key login only)
# 4. runs openstack/latest/user_data if it starts with "#!" (once per instance uuid)
# Lines starting with "gureum-guest:" on the console are markers the tests look for.
export PATH=/bin:/sbin
umask 022

say() { echo "gureum-guest: $*" >/dev/console; }

# /dev, /proc and /sys were moved here by the initramfs; mount them if booted otherwise.
[ -e /proc/mounts ] || mount -t proc proc /proc
[ -d /sys/class ] || mount -t sysfs sysfs /sys
[ -e /dev/null ] || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620 devpts /dev/pts
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs /run
# busybox acpid exits silently when /var/log is missing.
mkdir -p /var/log /var/lib/gureum /root/.ssh /etc/dropbear /mnt/config
chmod 700 /root /root/.ssh
ip link set lo up
[ -s /etc/hostname ] && hostname -F /etc/hostname

# ACPI power button (QMP system_powerdown) -> /etc/acpi/PWRF/00000080 -> poweroff.
acpid -c /etc/acpi -l /var/log/acpid.log -p /run/acpid.pid

# ---------------------------------------------------------------- config drive
# Poll briefly: a config drive on SCSI/AHCI is probed asynchronously.
cd_dev=
i=0
while [ $i -lt 10 ]; do
	cd_dev=$(findfs LABEL=config-2 2>/dev/null || findfs LABEL=CONFIG-2 2>/dev/null) && break
	cd_dev=
	sleep 0.2
	i=$((i + 1))
done

user_data=
instance=
if [ -z "$cd_dev" ]; then
	say "no config drive"
elif ! mount -t iso9660 -o ro "$cd_dev" /mnt/config 2>/dev/null &&
	! mount -t vfat -o ro "$cd_dev" /mnt/config 2>/dev/null; then
	say "cannot mount the config drive $cd_dev"
else
	md=/mnt/config/openstack/latest/meta_data.json
	if [ -f "$md" ]; then
		# meta_data.json is flat JSON; join its lines and pick the fields with sed.
		json=$(tr -d '\r\n' <"$md")
		field() { printf '%s' "$json" | sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\\([^\"]*\\)\".*/\\1/p"; }
		name=$(field hostname | tr -cd 'A-Za-z0-9.-' | cut -c1-63)
		instance=$(field uuid | tr -cd 'A-Za-z0-9-')
		if [ -n "$name" ]; then
			hostname "$name"
			echo "$name" >/etc/hostname
		fi
		# public_keys is {"name": "ssh-... key", ...}; the values may end in an escaped \n.
		printf '%s' "$json" |
			sed -n 's/.*"public_keys"[[:space:]]*:[[:space:]]*{\([^}]*\)}.*/\1/p' |
			grep -o '"[^"]*"[[:space:]]*:[[:space:]]*"[^"]*"' |
			sed 's/^"[^"]*"[[:space:]]*:[[:space:]]*"//; s/"$//; s/\\r//g; s/\\\//\//g; s/\\n/\n/g' |
			grep -v '^[[:space:]]*$' >/root/.ssh/authorized_keys.new
		chmod 600 /root/.ssh/authorized_keys.new
		mv /root/.ssh/authorized_keys.new /root/.ssh/authorized_keys
		say "hostname=$(hostname) keys=$(wc -l </root/.ssh/authorized_keys)"
	else
		say "config drive $cd_dev has no openstack/latest/meta_data.json"
	fi
	ud=/mnt/config/openstack/latest/user_data
	if [ -f "$ud" ] && [ "$(head -c 2 "$ud")" = '#!' ]; then
		cp "$ud" /run/user_data
		chmod 700 /run/user_data
		user_data=/run/user_data
	fi
	umount /mnt/config
fi

# ---------------------------------------------------------------- network
# udhcpc backgrounds itself once it has a lease (or after ~10 s without one, -b) and
# keeps renewing; /etc/gureum/udhcpc.sh configures the interface.
for d in /sys/class/net/*; do
	n=${d##*/}
	[ "$n" = lo ] && continue
	ip link set "$n" up
	udhcpc -i "$n" -b -t 5 -T 2 -A 5 -O mtu -O staticroutes -x "hostname:$(hostname)" \
		-p "/run/udhcpc.$n.pid" -s /etc/gureum/udhcpc.sh >/dev/null 2>&1 &
done
wait

# ---------------------------------------------------------------- ssh
# -R: host keys are generated on first use (per instance, kept in /etc/dropbear).
# -s: no password logins over ssh (the root password is for the console only).
if dropbear -R -s -p 22 -P /run/dropbear.pid 2>/dev/null; then
	say "dropbear listening on port 22"
else
	say "dropbear failed to start"
fi

# ---------------------------------------------------------------- user_data
# Like cloud-init, run it once per instance (meta_data uuid).
if [ -n "$user_data" ]; then
	if [ -n "$instance" ] && [ "$(cat /var/lib/gureum/user-data-instance 2>/dev/null)" = "$instance" ]; then
		say "user_data already ran for instance $instance"
	else
		"$user_data" </dev/null >/dev/console 2>&1
		say "user_data exit=$?"
		[ -n "$instance" ] && echo "$instance" >/var/lib/gureum/user-data-instance
	fi
fi

say "ready after $(cut -d' ' -f1 /proc/uptime)s"
