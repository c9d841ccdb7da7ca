#!/usr/bin/env bash
# Boots the Gureum test image under QEMU/TCG and checks what the project relies on:
#
#   scripts/guest/check-test-image.sh IMAGE.qcow2
#
#   1. a config drive (ISO9660, label config-2) with hostname gureum-check, a fresh ssh key
#      and a "#!/bin/sh" user_data is read: the console shows the marker line and
#      "gureum-check login:" within 120 s, and user_data ran (and wrote a file);
#   2. ssh with the injected key prints gureum-check and another key is refused
#      (skipped when no ssh client is installed: apt package openssh-client);
#   3. QMP system_powerdown powers the guest off cleanly and QEMU exits within 30 s;
#   4. the instance overlay afterwards holds the file user_data wrote, and its ext4 root
#      was unmounted cleanly (no needs_recovery).
# The image itself is never written (the VM runs on a qcow2 overlay). Exits non-zero on
# the first failed check; GUREUM_CHECK_KEEP=1 keeps the work directory for inspection.
set -euo pipefail

die() { echo "check-test-image: FAIL: $*" >&2; exit 1; }
[ $# -eq 1 ] && [ -f "$1" ] || die "usage: $0 IMAGE.qcow2"
image=$(realpath "$1")
export PATH=$PATH:/usr/sbin:/sbin

missing=""
for t in qemu-system-x86_64:qemu-system-x86 qemu-img:qemu-utils genisoimage:genisoimage \
	python3:python3 sfdisk:fdisk debugfs:e2fsprogs dumpe2fs:e2fsprogs; do
	command -v "${t%%:*}" >/dev/null || missing="$missing ${t%%:*} (apt package ${t#*:})"
done
command -v ssh-keygen >/dev/null || command -v dropbearkey >/dev/null ||
	missing="$missing ssh-keygen (apt package openssh-client)"
[ -z "$missing" ] || die "missing:$missing"

work=$(mktemp -d "${TMPDIR:-/tmp}/gureum-check.XXXXXX")
qemu_pid=""
cleanup() {
	if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
		kill "$qemu_pid" 2>/dev/null || true
		wait "$qemu_pid" 2>/dev/null || true
	fi
	if [ "${GUREUM_CHECK_KEEP:-}" = 1 ]; then
		echo "check-test-image: kept $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT

now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }
secs() { printf '%d.%02d s' $(($1 / 1000)) $(($1 % 1000 / 10)); }
# True while the process runs (a zombie, exited but not yet reaped, counts as gone).
alive() { [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* (.*) Z ' "/proc/$1/stat" 2>/dev/null; }
serial=$work/serial.log
fail() {
	echo "check-test-image: FAIL: $*" >&2
	echo "---- serial console (last 40 lines)" >&2
	tail -n 40 "$serial" 2>/dev/null | tr -d '\r' >&2 || true
	echo "---- qemu" >&2
	cat "$work/qemu.out" 2>/dev/null >&2 || true
	exit 1
}

# ---------------------------------------------------------------- ssh keys
if command -v ssh-keygen >/dev/null; then
	ssh-keygen -q -t ed25519 -N '' -C gureum-check -f "$work/key"
	ssh-keygen -q -t ed25519 -N '' -C not-injected -f "$work/other"
else
	dropbearkey -t ed25519 -f "$work/key.dropbear" >/dev/null 2>&1
	dropbearkey -y -f "$work/key.dropbear" | grep '^ssh-' >"$work/key.pub"
fi
pubkey=$(cat "$work/key.pub")

# ---------------------------------------------------------------- config drive
# Like Nova's: openstack/latest/{meta_data.json,user_data}, the key value ending in "\n".
token=check-$RANDOM$RANDOM
mkdir -p "$work/cd/openstack/latest"
cat >"$work/cd/openstack/latest/meta_data.json" <<EOF
{"uuid": "$(cat /proc/sys/kernel/random/uuid)", "name": "gureum-check", "hostname": "gureum-check", "availability_zone": "nova", "launch_index": 0, "public_keys": {"check": "$pubkey\\n"}, "keys": [{"name": "check", "type": "ssh", "data": "$pubkey\\n"}], "meta": {}, "project_id": "check"}
EOF
cat >"$work/cd/openstack/latest/user_data" <<EOF
#!/bin/sh
echo "gureum-check: user_data $token ran on \$(hostname)"
echo $token >/root/user-data-ran
EOF
genisoimage -quiet -V config-2 -J -R -o "$work/config.iso" "$work/cd"

# ---------------------------------------------------------------- boot
qemu-img create -q -f qcow2 -b "$image" -F qcow2 "$work/root.qcow2"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
qmp=$work/qmp.sock
t0=$(now_ms)
qemu-system-x86_64 -accel tcg -machine q35 -m 256 -smp 1 -nodefaults -display none \
	-name gureum-check \
	-serial "file:$serial" \
	-qmp "unix:$qmp,server=on,wait=off" \
	-drive "file=$work/root.qcow2,format=qcow2,if=virtio" \
	-drive "file=$work/config.iso,format=raw,if=virtio,readonly=on" \
	-netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$port-:22" \
	-device virtio-net-pci,netdev=n0 \
	</dev/null >"$work/qemu.out" 2>&1 &
qemu_pid=$!

while ! grep -aq 'gureum-check login:' "$serial" 2>/dev/null; do
	alive "$qemu_pid" || fail "QEMU exited before the login prompt"
	[ $(($(now_ms) - t0)) -lt 120000 ] || fail "no 'gureum-check login:' on the console after 120 s"
	sleep 0.2
done
t_login=$(($(now_ms) - t0))
echo "check-test-image: ok: 'gureum-check login:' after $(secs $t_login)"

grep -aq 'gureum-guest: hostname=gureum-check keys=1' "$serial" ||
	fail "no 'gureum-guest: hostname=gureum-check keys=1' marker"
echo "check-test-image: ok: config drive read (hostname=gureum-check keys=1)"
grep -aq "gureum-check: user_data $token ran on gureum-check" "$serial" || fail "user_data did not run"
echo "check-test-image: ok: user_data ran"

# ---------------------------------------------------------------- ssh
if command -v ssh >/dev/null && [ -f "$work/other" ]; then
	ssh_opts=(-p "$port" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes
		-o IdentitiesOnly=yes -o ConnectTimeout=20 -o LogLevel=ERROR)
	t1=$(now_ms)
	out=""
	# The first connection also makes dropbear generate its host key.
	while :; do
		out=$(ssh -i "$work/key" "${ssh_opts[@]}" root@127.0.0.1 hostname 2>"$work/ssh.err") && break
		[ $(($(now_ms) - t1)) -lt 30000 ] || fail "ssh with the injected key failed: $(cat "$work/ssh.err")"
		sleep 1
	done
	[ "$out" = gureum-check ] || fail "ssh hostname printed '$out', expected gureum-check"
	echo "check-test-image: ok: ssh with the injected key prints gureum-check ($(secs $(($(now_ms) - t1))))"
	if ssh -i "$work/other" "${ssh_opts[@]}" root@127.0.0.1 true 2>/dev/null; then
		fail "ssh with a key that was not injected was accepted"
	fi
	echo "check-test-image: ok: a key that was not injected is refused"
else
	echo "check-test-image: SKIP: ssh checks (no ssh client; apt package openssh-client)"
fi

# ---------------------------------------------------------------- power off
t2=$(now_ms)
python3 - "$qmp" <<'EOF' || fail "QMP system_powerdown: no SHUTDOWN event"
# Minimal QMP client: handshake, system_powerdown, wait for the SHUTDOWN event.
import json, socket, sys
sock = socket.socket(socket.AF_UNIX)
sock.settimeout(30)
sock.connect(sys.argv[1])
f = sock.makefile("rw")
def send(cmd):
    f.write(json.dumps({"execute": cmd}) + "\n")
    f.flush()
    while True:
        msg = json.loads(f.readline())
        if "event" not in msg:
            if "return" not in msg:
                sys.exit(f"{cmd}: {msg}")
            return
json.loads(f.readline())  # greeting
send("qmp_capabilities")
send("system_powerdown")
while True:
    line = f.readline()
    if not line:
        sys.exit("QMP closed before SHUTDOWN")
    msg = json.loads(line)
    if msg.get("event") == "SHUTDOWN":
        print("check-test-image: QMP event SHUTDOWN", json.dumps(msg.get("data")))
        break
EOF
while alive "$qemu_pid"; do
	[ $(($(now_ms) - t2)) -lt 30000 ] || fail "QEMU still running 30 s after system_powerdown"
	sleep 0.1
done
rc=0
wait "$qemu_pid" || rc=$?
qemu_pid=""
[ "$rc" = 0 ] || fail "QEMU exited with status $rc"
grep -aq 'gureum-guest: root filesystem read-only' "$serial" || fail "the guest did not remount its root read-only"
echo "check-test-image: ok: system_powerdown -> QEMU exited after $(secs $(($(now_ms) - t2)))"

# ---------------------------------------------------------------- the overlay afterwards
qemu-img convert -f qcow2 -O raw "$work/root.qcow2" "$work/root.raw"
start=$(sfdisk -d "$work/root.raw" | sed -n 's/.*2 : start= *\([0-9]*\),.*/\1/p')
[ -n "$start" ] || fail "no partition 2 in the overlay"
fs="$work/root.raw?offset=$((start * 512))"
dumpe2fs -h "$fs" 2>/dev/null | grep -q '^Filesystem features:.*needs_recovery' &&
	fail "the root filesystem was not unmounted cleanly (needs_recovery)"
[ "$(debugfs -R 'cat /root/user-data-ran' "$fs" 2>/dev/null)" = "$token" ] ||
	fail "/root/user-data-ran is not in the overlay"
echo "check-test-image: ok: the overlay holds what the guest wrote and its root fs is clean"

echo "check-test-image: PASS: login $(secs $t_login), total $(secs $(($(now_ms) - t0)))"
