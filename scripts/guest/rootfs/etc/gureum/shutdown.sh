#!/bin/sh
# Gureum test guest: run by busybox init (::shutdown) on poweroff/reboot, before it kills
# every process. Stops the daemons and remounts the root filesystem read-only so it is
# clean on disk when the VM stops.
export PATH=/bin:/sbin
echo "gureum-guest: shutting down" >/dev/console
for f in /run/*.pid; do
	[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
done
sleep 0.2
sync
if mount -o remount,ro / 2>/dev/null; then
	echo "gureum-guest: root filesystem read-only" >/dev/console
else
	echo "gureum-guest: root filesystem busy, left read-write" >/dev/console
fi
