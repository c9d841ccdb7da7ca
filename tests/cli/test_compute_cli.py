#!/usr/bin/env python3
"""End-to-end walkthrough of Gureum's compute (Nova v2.1) and image (Glance v2)
APIs with the real python-openstackclient, against real QEMU virtual machines.

Plain python3, stdlib only, no pytest. It starts its own gureum server
(`gureum serve --compute-driver qemu`) on a free loopback port with a fresh data
dir, builds the test guest image (scripts/build-test-image.sh), and drives the
server with the `openstack` CLI: flavors, a project and a member, an image, a key
pair, servers booted, stopped, started, snapshotted and deleted, quotas,
hypervisors and a scheduler refusal. It prints one line per check and ends with
the line `N passed, M failed`. Exit code is 0 only when nothing failed. The
harness is in common.py (next to this file).

Needs `qemu-system-x86_64`, `qemu-img`, `genisoimage` and the packages that
scripts/build-test-image.sh names. Without KVM the guests run under TCG: a boot
takes 10-30 s.

Environment variables (GUREUM_BIN, OPENSTACK, GUREUM_TEST_VERBOSE, GUREUM_KEEP_DATA):
see common.py.
"""

import base64
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ for common.py in the source tree
import common  # noqa: E402
from common import (  # noqa: E402
    ADMIN,
    RESULTS,
    CliError,
    check,
    expect,
    find_row,
    need,
    osc,
    osc_fails,
    tail,
)

PASSWORD = "cmp-Secret-42"
PROJECT = "demo"
USER = "demo-user"

BOOT_TIMEOUT = 120      # s to see a login prompt under TCG
STATE_TIMEOUT = 120     # s for a server to reach a state
POLL = 2                # s between polls
SLOW_CLI = 300          # s for CLI commands that wait (--wait)

NO_VALID_HOST = "No valid host was found. There are not enough hosts available."


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

def osc_slow(args, env, parse_json=False, timeout=SLOW_CLI):
    """osc() with a longer timeout, for the commands that --wait."""
    r = common.run_cli(args, env, timeout=timeout)
    if r.rc != 0:
        raise CliError("command failed unexpectedly\n" + r.describe())
    return r.json() if parse_json else r


def poll(what, probe, timeout, interval=POLL):
    """Call probe() until it returns (True, value); fail with the last value seen
    after `timeout` seconds. A CliError inside probe counts as "not yet"."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            done, last = probe()
            if done:
                return last
        except CliError as e:
            last = e
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what}: not reached within {timeout}s; last seen:\n"
                                 f"{str(last)[-3000:]}")
        time.sleep(interval)


def server_status(name, env):
    s = osc(["server", "show", name, "-f", "json"], env, parse_json=True)
    return s.get("status"), s


def wait_status(name, env, want, timeout=STATE_TIMEOUT):
    def probe():
        status, s = server_status(name, env)
        expect(status != "ERROR" or want == "ERROR",
               f"{name} went to ERROR: fault {s.get('fault')!r}")
        return status == want, s
    return poll(f"{name} status {want}", probe, timeout)


def console_log(name, env):
    return osc(["console", "log", "show", name], env).stdout


def wait_console(name, env, needles, timeout=BOOT_TIMEOUT, counts=None):
    """Polls `console log show NAME` until every needle is in it (at least
    counts[needle] times when given). Returns the log."""
    counts = counts or {}

    def probe():
        text = console_log(name, env)
        ok = all(text.count(n) >= counts.get(n, 1) for n in needles)
        return ok, text
    return poll(f"console log of {name} shows {needles}", probe, timeout)


def qemu_processes(data_dir):
    """(pid, args) of every QEMU whose command line mentions the data dir."""
    p = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=30)
    out = []
    for line in p.stdout.splitlines():
        pid, _, args = line.strip().partition(" ")
        if "qemu-system" in args and str(data_dir) in args:
            out.append((int(pid), args))
    return out


def kill_qemus(procs):
    for pid, _ in procs:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(alive(pid) for pid, _ in procs):
        time.sleep(0.2)
    for pid, _ in procs:
        if alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is gone for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def md5_fingerprint(public_key):
    """The MD5 fingerprint Nova shows for an OpenSSH public key."""
    blob = base64.b64decode(public_key.split()[1])
    d = hashlib.md5(blob).hexdigest()
    return ":".join(d[i:i + 2] for i in range(0, len(d), 2))


def listing(d):
    try:
        return sorted(os.listdir(d))
    except OSError as e:
        return f"(gone when listed: {e})"


def fault_message(server):
    f = server.get("fault")
    if isinstance(f, dict):
        return f.get("message")
    return f


# --------------------------------------------------------------------------
# The test
# --------------------------------------------------------------------------

def run_checks(server):
    files = Path(tempfile.mkdtemp(prefix="gureum-cli-compute-files-"))
    try:
        compute_checks(server, files)
    finally:
        # Safety net: no VM of this test may outlive it (they run in their own
        # process group, so stopping the server does not stop them).
        left = qemu_processes(server.data_dir)
        if left:
            kill_qemus(left)
            RESULTS.fail("QEMU processes left behind at the end (killed now)",
                         "\n".join(f"pid {pid}: {args}" for pid, args in left))
        if os.environ.get("GUREUM_KEEP_DATA") == "1":
            print(f"# kept test files in {files}")
        else:
            shutil.rmtree(files, ignore_errors=True)


def compute_checks(server, files):
    A = ADMIN
    admin_env = common.admin_env(server)
    env = common.user_env(server.auth_url, USER, PASSWORD, PROJECT)
    ids = {}

    # ---- 1. flavors, project, user (as admin) ---------------------------------
    with check("admin: flavor create m1.tiny (1 vCPU, 256 MB, 1 GB) and m1.nano (64 MB)"):
        for name, vcpus, ram in (("m1.tiny", 1, 256), ("m1.nano", 1, 64)):
            f = osc(A + ["flavor", "create", "--vcpus", str(vcpus), "--ram", str(ram),
                         "--disk", "1", name, "-f", "json"], admin_env, parse_json=True)
            expect(f.get("name") == name and f.get("id"), f"flavor create: {f}")
            expect(f.get("vcpus") == vcpus and f.get("ram") == ram and f.get("disk") == 1,
                   f"sizes of {name}: {f}")
            expect(f.get("os-flavor-access:is_public") is True, f"{name} not public: {f}")
            ids[name] = f["id"]
        rows = osc(A + ["flavor", "list", "-f", "json"], admin_env, parse_json=True)
        for name in ("m1.tiny", "m1.nano"):
            expect(find_row(rows, Name=name, ID=ids[name]), f"{name} not in flavor list: {rows}")

    with check(f"admin: project {PROJECT} with user {USER} as member"):
        ids["project"], _ = common.project_member(admin_env, PROJECT, USER, PASSWORD)
        tok = osc(["token", "issue", "-f", "json"], env, parse_json=True)
        expect(tok.get("project_id") == ids["project"], f"token not scoped to {PROJECT}: {tok}")

    # ---- 2. the guest image -------------------------------------------------------
    guest = files / "guest.qcow2"
    with check("scripts/build-test-image.sh builds the guest image"):
        r = subprocess.run([str(common.REPO_ROOT / "scripts" / "build-test-image.sh"), str(guest)],
                           capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)
        expect(r.returncode == 0 and guest.is_file() and guest.stat().st_size > 0,
               f"build-test-image.sh failed ({r.returncode}):\n{r.stdout}{r.stderr}")

    with check("user: image create --file guest.qcow2 --min-ram 128 guest -> active"):
        need(guest.is_file() or None, "the guest image file")
        img = osc_slow(["image", "create", "--file", str(guest), "--disk-format", "qcow2",
                        "--container-format", "bare", "--min-ram", "128", "guest",
                        "-f", "json"], env, parse_json=True)
        ids["guest"] = img.get("id")
        expect(img.get("status") == "active", f"status {img.get('status')!r}: {img}")
        expect(img.get("min_ram") == 128, f"min_ram {img.get('min_ram')!r}: {img}")
        expect(img.get("disk_format") == "qcow2", f"disk_format: {img}")
        expect(img.get("owner") == ids.get("project"), f"owner {img.get('owner')!r}: {img}")
        expect(img.get("size") == guest.stat().st_size,
               f"size {img.get('size')!r} != {guest.stat().st_size}")

    # ---- 3. key pair ----------------------------------------------------------------
    with check("user: keypair create demo-key prints an OpenSSH private key"):
        r = osc(["keypair", "create", "demo-key"], env)
        expect(r.stdout.startswith("-----BEGIN OPENSSH PRIVATE KEY-----"),
               f"no private key on stdout:\n{r.stdout[:300]}")
        expect("-----END OPENSSH PRIVATE KEY-----" in r.stdout, "private key is not complete")
        ids["keypair"] = True

    with check("user: keypair list shows demo-key with its MD5 fingerprint"):
        need(ids.get("keypair"), "demo-key")
        rows = osc(["keypair", "list", "-f", "json"], env, parse_json=True)
        row = find_row(rows, Name="demo-key")
        expect(row is not None, f"demo-key not in keypair list: {rows}")
        pub = osc(["keypair", "show", "--public-key", "demo-key"], env).stdout.strip()
        expect(pub.startswith("ssh-"), f"public key: {pub!r}")
        expect(row.get("Fingerprint") == md5_fingerprint(pub),
               f"fingerprint {row.get('Fingerprint')!r} != md5 of the public key "
               f"{md5_fingerprint(pub)}")

    # ---- 4. boot vm1 ----------------------------------------------------------------
    with check("user: server create --image guest --flavor m1.tiny --key-name demo-key "
               "--nic none --wait vm1 -> ACTIVE"):
        need(ids.get("guest"), "guest image")
        s = osc_slow(["server", "create", "--image", "guest", "--flavor", "m1.tiny",
                      "--key-name", "demo-key", "--nic", "none", "--wait", "vm1",
                      "-f", "json"], env, parse_json=True)
        ids["vm1"] = s.get("id")
        expect(s.get("status") == "ACTIVE", f"status {s.get('status')!r}: {s}")
        expect(s.get("key_name") == "demo-key", f"key_name: {s}")
        s = osc(["server", "show", "vm1", "-f", "json"], env, parse_json=True)
        expect(s.get("status") == "ACTIVE" and s.get("id") == ids["vm1"], f"server show: {s}")
        # -f json shows the raw power state: 1 is Running, 4 Shutdown.
        expect(s.get("OS-EXT-STS:power_state") in (1, "Running"),
               f"power_state {s.get('OS-EXT-STS:power_state')!r}: {s}")

    with check("vm1 runs in a qemu-system-x86_64 process (ps)"):
        vm1 = need(ids.get("vm1"), "vm1 id")
        procs = [p for p in qemu_processes(server.data_dir) if vm1 in p[1]]
        expect(len(procs) == 1, f"QEMU processes for {vm1}: {procs}")

    # ---- 5. the guest boots and reads its config drive -----------------------------
    with check("console log show vm1: `vm1 login:` and `gureum-guest: hostname=vm1 keys=1`"):
        need(ids.get("vm1"), "vm1")
        wait_console("vm1", env, ["vm1 login:", "gureum-guest: hostname=vm1 keys=1"])
        ids["vm1_booted"] = True

    # ---- 6. an image too big for the flavor ----------------------------------------
    with check("user: server create --flavor m1.nano (64 MB < min_ram 128) is refused"):
        need(ids.get("guest"), "guest image")
        osc_fails(["server", "create", "--image", "guest", "--flavor", "m1.nano",
                   "--nic", "none", "vm-small"], env, "memory is too small")
        rows = osc(["server", "list", "-f", "json"], env, parse_json=True)
        expect(find_row(rows, Name="vm-small") is None, f"vm-small was recorded: {rows}")

    # ---- 7. stop and start -------------------------------------------------------------
    with check("user: server stop vm1 -> SHUTOFF, its QEMU process is gone"):
        vm1 = need(ids.get("vm1_booted") and ids.get("vm1"), "booted vm1")
        osc(["server", "stop", "vm1"], env)
        s = wait_status("vm1", env, "SHUTOFF")
        expect(s.get("OS-EXT-STS:power_state") in (4, "Shutdown"),
               f"power_state {s.get('OS-EXT-STS:power_state')!r}: {s}")
        poll("QEMU of vm1 exits",
             lambda: (not any(vm1 in a for _, a in qemu_processes(server.data_dir)), None), 30)
        ids["vm1_stopped"] = True

    with check("user: server start vm1 -> ACTIVE, and the guest boots again (console log)"):
        need(ids.get("vm1_stopped"), "stopped vm1")
        osc(["server", "start", "vm1"], env)
        wait_status("vm1", env, "ACTIVE")
        wait_console("vm1", env, ["vm1 login:", "gureum-guest: hostname=vm1 keys=1"],
                     counts={"vm1 login:": 2, "gureum-guest: hostname=vm1 keys=1": 2})
        ids["vm1_restarted"] = True

    # ---- 8. snapshot and a server booted from it ------------------------------------
    with check("user: server image create --name vm1-snap --wait vm1 -> active qcow2 image"):
        vm1 = need(ids.get("vm1"), "vm1")
        img = osc_slow(["server", "image", "create", "--name", "vm1-snap", "--wait", "vm1",
                        "-f", "json"], env, parse_json=True)
        ids["snap"] = img.get("id")
        img = osc(["image", "show", "vm1-snap", "-f", "json"], env, parse_json=True)
        expect(img.get("id") == ids["snap"], f"image show: {img}")
        expect(img.get("status") == "active", f"status {img.get('status')!r}: {img}")
        expect(img.get("disk_format") == "qcow2", f"disk_format {img.get('disk_format')!r}")
        props = img.get("properties") or {}
        expect(props.get("instance_uuid") == vm1, f"instance_uuid: {props}")
        expect(props.get("image_type") == "snapshot", f"image_type: {props}")
        expect((img.get("size") or 0) > 0, f"size: {img}")

    with check("user: server create --image vm1-snap --wait vm2 -> ACTIVE, console shows `vm2 login:`"):
        need(ids.get("snap"), "vm1-snap")
        s = osc_slow(["server", "create", "--image", "vm1-snap", "--flavor", "m1.tiny",
                      "--key-name", "demo-key", "--nic", "none", "--wait", "vm2",
                      "-f", "json"], env, parse_json=True)
        ids["vm2"] = s.get("id")
        expect(s.get("status") == "ACTIVE", f"status {s.get('status')!r}: {s}")
        wait_console("vm2", env, ["vm2 login:", "gureum-guest: hostname=vm2 keys=1"])

    # ---- 9. list and events ---------------------------------------------------------------
    with check("user: server list shows vm1 and vm2 ACTIVE"):
        rows = osc(["server", "list", "-f", "json"], env, parse_json=True)
        for name in ("vm1", "vm2"):
            row = find_row(rows, Name=name)
            expect(row is not None, f"{name} not listed: {rows}")
            expect(row.get("ID") == ids.get(name), f"ID of {name}: {row}")
            expect(row.get("Status") == "ACTIVE", f"status of {name}: {row}")
            expect(row.get("Flavor") == "m1.tiny", f"flavor of {name}: {row}")
        expect(len(rows) == 2, f"expected 2 servers: {rows}")

    with check("user: server event list vm1 has create, stop, start, createImage"):
        need(ids.get("vm1"), "vm1")
        rows = osc(["server", "event", "list", "vm1", "-f", "json"], env, parse_json=True)
        actions = [r.get("Action") for r in rows]
        for a in ("create", "stop", "start", "createImage"):
            expect(a in actions, f"{a} not among the actions {actions}: {rows}")
        for r in rows:
            expect(r.get("Server ID") == ids["vm1"], f"Server ID: {r}")

    with check("user: console url show vm1 -> the portal's noVNC console of vm1"):
        need(ids.get("vm1"), "vm1")
        out = osc(["console", "url", "show", "vm1", "-f", "json"], env, parse_json=True)
        url = out.get("url", "")
        expect(url.endswith(f"/portal/instances/{ids['vm1']}/console"), f"console url: {out}")
        expect(out.get("type") == "novnc", f"console type: {out}")

    # ---- 10. quota ------------------------------------------------------------------------
    with check("user: quota show --compute: instances 10, cores 20, ram 51200"):
        rows = osc(["quota", "show", "--compute", "-f", "json"], env, parse_json=True)
        for res, limit in (("instances", 10), ("cores", 20), ("ram", 51200)):
            row = find_row(rows, Resource=res)
            expect(row is not None and row.get("Limit") == limit, f"{res}: {row} in {rows}")

    with check("user: quota show --usage --compute: 2 instances, 2 cores, 512 MB RAM in use"):
        rows = osc(["quota", "show", "--usage", "--compute", "-f", "json"], env,
                   parse_json=True)
        for res, limit, used in (("instances", 10, 2), ("cores", 20, 2), ("ram", 51200, 512)):
            row = find_row(rows, Resource=res)
            expect(row is not None, f"no {res} row: {rows}")
            expect(row.get("Limit") == limit and row.get("In Use") == used,
                   f"{res}: want limit {limit}, in use {used}; got {row}")

    # ---- 11. hypervisors and services (admin) ---------------------------------------------
    with check("admin: hypervisor stats show: count 1, vcpus_used 2, running_vms 2"):
        st = osc(A + ["hypervisor", "stats", "show", "-f", "json"], admin_env, parse_json=True)
        expect(st.get("count") == 1, f"count: {st}")
        expect(st.get("vcpus_used") == 2, f"vcpus_used: {st}")
        expect(st.get("running_vms") == 2, f"running_vms: {st}")
        expect(st.get("memory_mb_used") == 512, f"memory_mb_used: {st}")
        # The refusal below needs 512 vCPUs to be more than the host offers (ratio 4.0).
        expect(0 < (st.get("vcpus") or 0) and st["vcpus"] * 4 < 512, f"vcpus: {st}")

    with check("admin: hypervisor list shows one QEMU hypervisor, up"):
        rows = osc(A + ["hypervisor", "list", "-f", "json"], admin_env, parse_json=True)
        expect(len(rows) == 1, f"hypervisors: {rows}")
        expect(rows[0].get("Hypervisor Type") == "QEMU", f"type: {rows}")
        expect(rows[0].get("State") == "up", f"state: {rows}")

    with check("admin: resource provider list (osc-placement) shows the hypervisor"):
        hosts = osc(A + ["hypervisor", "list", "-f", "json"], admin_env, parse_json=True)
        rows = osc(A + ["resource", "provider", "list", "-f", "json"], admin_env,
                   parse_json=True)
        expect(len(rows) == 1, f"providers: {rows}")
        expect(rows[0].get("name") == hosts[0].get("Hypervisor Hostname"),
               f"provider {rows} for hypervisor {hosts}")
        ids["provider"] = rows[0]["uuid"]

    with check("admin: resource provider usage show: the two instances hold 2 VCPU, 512 MB"):
        need(ids.get("provider"), "provider")
        rows = osc(A + ["resource", "provider", "usage", "show", ids["provider"], "-f", "json"],
                   admin_env, parse_json=True)
        used = {r["resource_class"]: r["usage"] for r in rows}
        expect(used.get("VCPU") == 2 and used.get("MEMORY_MB") == 512, f"usages: {rows}")
        inv = osc(A + ["resource", "provider", "inventory", "list", ids["provider"],
                       "-f", "json"], admin_env, parse_json=True)
        vcpu = find_row(inv, resource_class="VCPU")
        expect(vcpu is not None and vcpu.get("allocation_ratio") == 4.0, f"inventory: {inv}")

    with check("admin: resource provider allocation show vm1: m1.tiny on the provider"):
        need(ids.get("provider") and ids.get("vm1"), "provider and vm1")
        rows = osc(A + ["resource", "provider", "allocation", "show", ids["vm1"],
                        "-f", "json"], admin_env, parse_json=True)
        expect(len(rows) == 1 and rows[0].get("resource_provider") == ids["provider"],
               f"allocations: {rows}")
        expect(rows[0].get("resources", {}).get("VCPU") == 1, f"allocations: {rows}")

    with check("admin: allocation candidate list --resource VCPU=1 names the provider"):
        need(ids.get("provider"), "provider")
        rows = osc(A + ["--os-placement-api-version", "1.10", "allocation", "candidate",
                        "list", "--resource", "VCPU=1", "-f", "json"], admin_env,
                   parse_json=True)
        expect(any(r.get("resource provider") == ids["provider"] for r in rows),
               f"candidates: {rows}")

    with check("admin: compute service list shows nova-compute enabled and up"):
        rows = osc(A + ["compute", "service", "list", "-f", "json"], admin_env, parse_json=True)
        row = find_row(rows, Binary="nova-compute")
        expect(row is not None, f"no nova-compute: {rows}")
        expect(row.get("State") == "up" and row.get("Status") == "enabled", f"{row}")

    # ---- 12. quota refusal, then scheduler refusal -----------------------------------------
    with check("admin: flavor create m1.huge (512 vCPUs)"):
        f = osc(A + ["flavor", "create", "--vcpus", "512", "--ram", "256", "--disk", "1",
                     "m1.huge", "-f", "json"], admin_env, parse_json=True)
        expect(f.get("vcpus") == 512, f"flavor create: {f}")
        ids["m1.huge"] = f["id"]

    with check("user: server create --flavor m1.huge is refused: Quota exceeded for cores"):
        need(ids.get("m1.huge"), "m1.huge")
        osc_fails(["server", "create", "--image", "guest", "--flavor", "m1.huge",
                   "--nic", "none", "vm-huge"], env, "Quota exceeded for cores")
        rows = osc(["server", "list", "-f", "json"], env, parse_json=True)
        expect(find_row(rows, Name="vm-huge") is None, f"vm-huge was recorded: {rows}")

    with check(f"admin: quota set --cores 1000 --ram 100000 {PROJECT}; quota show has them"):
        osc(A + ["quota", "set", "--cores", "1000", "--ram", "100000", PROJECT], admin_env)
        rows = osc(A + ["quota", "show", "--compute", PROJECT, "-f", "json"], admin_env,
                   parse_json=True)
        for res, limit in (("cores", 1000), ("ram", 100000), ("instances", 10)):
            row = find_row(rows, Resource=res)
            expect(row is not None and row.get("Limit") == limit, f"{res}: {row} in {rows}")
        ids["quota_raised"] = True

    with check("user: server create --flavor m1.huge --wait vm-huge fails (no valid host)"):
        need(ids.get("quota_raised"), "raised quota")
        r = common.run_cli(["server", "create", "--image", "guest", "--flavor", "m1.huge",
                            "--nic", "none", "--wait", "vm-huge"], env, timeout=SLOW_CLI)
        expect(r.rc != 0, "server create --wait succeeded\n" + r.describe())
        expect("error" in (r.stdout + r.stderr).lower(), "no error reported\n" + r.describe())
        ids["vm-huge"] = True

    with check("user: server show vm-huge: ERROR with fault `No valid host was found...`"):
        need(ids.get("vm-huge"), "vm-huge")
        s = osc(["server", "show", "vm-huge", "-f", "json"], env, parse_json=True)
        expect(s.get("status") == "ERROR", f"status {s.get('status')!r}: {s}")
        expect(fault_message(s) == NO_VALID_HOST, f"fault {s.get('fault')!r}")
        ids["vm-huge-id"] = s.get("id")

    with check("user: server delete --wait vm-huge; it is gone"):
        need(ids.get("vm-huge"), "vm-huge")
        osc_slow(["server", "delete", "--wait", "vm-huge"], env)
        rows = osc(["server", "list", "-f", "json"], env, parse_json=True)
        expect(find_row(rows, Name="vm-huge") is None, f"vm-huge still listed: {rows}")
        if ids.get("vm-huge-id"):
            expect(not (server.data_dir / "instances" / ids["vm-huge-id"]).exists(),
                   "instances/<vm-huge id> exists")

    # ---- 12b. usage reports (os-simple-tenant-usage) -------------------------------------
    with check("user: usage show: 2 servers (the never-launched vm-huge is not one), CPU hours > 0"):
        u = osc(["usage", "show", "-f", "json"], env, parse_json=True)
        # -f json gives the server usages themselves; the table counts them.
        servers = u.get("Servers") or []
        expect(sorted(s.get("name") for s in servers) == ["vm1", "vm2"], f"usage show: {u}")
        expect(all(s.get("state") == "active" and s.get("hours", 0) > 0 for s in servers),
               f"usage show: {u}")
        for key in ("CPU Hours", "RAM MB-Hours", "Disk GB-Hours"):
            expect(float(u.get(key) or 0) > 0, f"{key}: {u}")

    with check(f"admin: usage list has {PROJECT} with 2 servers"):
        project_id = osc(A + ["project", "show", PROJECT, "-f", "json"], admin_env,
                         parse_json=True).get("id")
        rows = osc(A + ["usage", "list", "-f", "json"], admin_env, parse_json=True)
        # The client names projects only when it can list them; otherwise by id.
        row = find_row(rows, Project=PROJECT) or find_row(rows, Project=project_id)
        servers = (row or {}).get("Servers") or []
        count = servers if isinstance(servers, int) else len(servers)
        expect(count == 2 and float(row.get("CPU Hours") or 0) > 0,
               f"usage list: {rows}")

    # ---- 12c. a controller restart keeps the VMs -------------------------------------------
    with check("restart gureum serve: vm1 and vm2 stay ACTIVE in the same QEMU processes"):
        vm1, vm2 = need(ids.get("vm1"), "vm1"), need(ids.get("vm2"), "vm2")
        def pids():
            return sorted(pid for pid, a in qemu_processes(server.data_dir)
                          if vm1 in a or vm2 in a)
        before = pids()
        expect(len(before) == 2, f"QEMU processes before: {before}")
        server.restart()
        expect(pids() == before, f"QEMU processes before {before}, after {pids()}")
        for name in ("vm1", "vm2"):
            s = osc(["server", "show", name, "-f", "json"], env, parse_json=True)
            expect(s.get("status") == "ACTIVE" and s.get("OS-EXT-STS:power_state") in (1, "Running"),
                   f"{name} after the restart: {s}")
        ids["restarted"] = True

    with check("after the restart: server stop vm2 stops its QEMU, server start boots it again"):
        need(ids.get("restarted"), "restarted controller")
        vm2 = ids["vm2"]
        osc(["server", "stop", "vm2"], env)
        wait_status("vm2", env, "SHUTOFF")
        poll("QEMU of vm2 exits",
             lambda: (not any(vm2 in a for _, a in qemu_processes(server.data_dir)), None), 30)
        osc(["server", "start", "vm2"], env)
        wait_status("vm2", env, "ACTIVE")
        wait_console("vm2", env, ["vm2 login:"], counts={"vm2 login:": 2})

    # ---- 12d. a controller killed mid-work ---------------------------------------------------
    with check("kill -9 gureum serve while two servers launch and one is deleted; after the "
               "restart every server is in a final state, QEMUs and disks only for those that "
               "run, quota usage equal to what exists"):
        need(ids.get("restarted"), "restarted controller")
        c3 = osc(["server", "create", "--image", "guest", "--flavor", "m1.tiny", "--nic", "none",
                  "--wait", "crash3", "-f", "json"], env, parse_json=True)
        ids["crash"] = [c3["id"]]
        # Straight to the API (the CLI takes a second per call): two launches and a delete
        # in flight when the controller is killed.
        token = osc(["token", "issue", "-f", "json"], env, parse_json=True)["id"]

        def nova(method, path, body=None):
            req = urllib.request.Request(
                f"{server.base_url}/compute/v2.1{path}", method=method,
                data=json.dumps(body).encode() if body is not None else None,
                headers={"X-Auth-Token": token, "Content-Type": "application/json",
                         "OpenStack-API-Version": "compute 2.37"})
            with urllib.request.urlopen(req, timeout=30) as r:
                return json.loads(r.read() or b"null")
        # The delete first: the launches answer at once and work on, so the kill that
        # follows them cuts at least one short (a delete may finish before it).
        nova("DELETE", f"/servers/{c3['id']}")
        launched = [nova("POST", "/servers", {"server": {
            "name": name, "imageRef": ids["guest"], "flavorRef": ids["m1.tiny"],
            "networks": "none"}})["server"]["id"] for name in ("crash1", "crash2")]
        ids["crash"] += launched
        server.restart(crash=True)
        log = Path(server.log_path).read_text(errors="replace")
        expect("a launch was interrupted by a restart" in log
               or "finishing a delete a restart interrupted" in log,
               "nothing was in flight at the kill:\n" + tail(server.log_path))
        rows = osc(["server", "list", "--long", "-f", "json"], env, parse_json=True)
        by_id = {r["ID"]: r for r in rows}
        expect(c3["id"] not in by_id, f"crash3's delete was accepted, yet it is listed: {rows}")
        for sid in launched:
            r = by_id.get(sid)
            expect(r is not None and r.get("Status") in ("ACTIVE", "ERROR")
                   and not r.get("Task State"), f"{sid} after the restart: {r}")
        running = {sid for sid in by_id for _, a in qemu_processes(server.data_dir) if sid in a}
        active = {sid for sid, r in by_id.items() if r.get("Status") == "ACTIVE"}
        expect(running == active, f"QEMUs for {sorted(running)}, ACTIVE: {sorted(active)}")
        strays = [a for _, a in qemu_processes(server.data_dir)
                  if not any(sid in a for sid in by_id)]
        expect(not strays, f"QEMUs of no server: {strays}")
        dirs = {d.name for d in (server.data_dir / "instances").iterdir() if d.name != "_base"}
        expect(dirs == active, f"instance dirs {sorted(dirs)}, ACTIVE: {sorted(active)}")
        rows = osc(["quota", "show", "--usage", "--compute", "-f", "json"], env, parse_json=True)
        row = find_row(rows, Resource="instances")
        expect(row is not None and row.get("In Use") == len(by_id), f"instances: {row} for {len(by_id)}")

    with check("after the crash: server delete --wait crash1 crash2 leaves no QEMU or disk"):
        crash = need(ids.get("crash"), "the crash servers")
        rows = osc(["server", "list", "-f", "json"], env, parse_json=True)
        there = [r["ID"] for r in rows if r["ID"] in crash]
        if there:
            osc_slow(["server", "delete", "--wait", *there], env)
        left = [a for _, a in qemu_processes(server.data_dir) if any(sid in a for sid in crash)]
        expect(not left, f"QEMU of a deleted server: {left}")
        for sid in crash:
            d = server.data_dir / "instances" / sid
            expect(not d.exists(), f"{d} is left: {listing(d)}")

    # ---- 13. delete ------------------------------------------------------------------------
    with check("user: server delete --wait vm1 vm2; both gone from server list"):
        # Whichever exist are deleted, so no VM outlives a partly failed run.
        names = [n for n in ("vm1", "vm2") if ids.get(n)]
        need(names or None, "vm1 or vm2")
        osc_slow(["server", "delete", "--wait", *names], env)
        rows = osc(["server", "list", "-f", "json"], env, parse_json=True)
        for name in names:
            expect(find_row(rows, Name=name) is None, f"{name} still listed: {rows}")
            osc_fails(["server", "show", ids[name]], env, "404", "could not be found",
                      "No Server found")
        expect(names == ["vm1", "vm2"], f"only {names} existed")
        ids["deleted"] = True

    with check("after the delete: no QEMU process and no instances/<id> dir for vm1, vm2"):
        need(ids.get("deleted"), "deleted vm1 and vm2")
        procs = [p for p in qemu_processes(server.data_dir)
                 if ids["vm1"] in p[1] or ids["vm2"] in p[1]]
        expect(not procs, f"QEMU still running: {procs}")
        for name in ("vm1", "vm2"):
            d = server.data_dir / "instances" / ids[name]
            expect(not d.exists(), f"{d} is left: {listing(d)}")

    with check("user: quota usage is back to 0 instances, 0 cores"):
        rows = osc(["quota", "show", "--usage", "--compute", "-f", "json"], env,
                   parse_json=True)
        for res in ("instances", "cores", "ram"):
            row = find_row(rows, Resource=res)
            expect(row is not None and row.get("In Use") == 0, f"{res}: {row}")

    # ---- 14. clean up ------------------------------------------------------------------------
    with check("user: image delete vm1-snap guest; keypair delete demo-key"):
        osc(["image", "delete", "vm1-snap", "guest"], env)
        rows = osc(["image", "list", "-f", "json"], env, parse_json=True)
        for name in ("vm1-snap", "guest"):
            expect(find_row(rows, Name=name) is None, f"{name} still listed: {rows}")
        osc(["keypair", "delete", "demo-key"], env)
        rows = osc(["keypair", "list", "-f", "json"], env, parse_json=True)
        expect(find_row(rows, Name="demo-key") is None, f"demo-key still listed: {rows}")

    with check("admin: flavor delete m1.tiny m1.nano m1.huge"):
        osc(A + ["flavor", "delete", "m1.tiny", "m1.nano", "m1.huge"], admin_env)
        rows = osc(A + ["flavor", "list", "--all", "-f", "json"], admin_env, parse_json=True)
        for name in ("m1.tiny", "m1.nano", "m1.huge"):
            expect(find_row(rows, Name=name) is None, f"{name} still listed: {rows}")

    with check("no QEMU process of this test is left"):
        left = qemu_processes(server.data_dir)
        if left:
            kill_qemus(left)
        expect(not left, "killed: " + "\n".join(f"pid {pid}: {a}" for pid, a in left))

    with check("server still running at the end"):
        expect(server.proc.poll() is None,
               f"gureum exited with {server.proc.returncode}\n{tail(server.log_path)}")


if __name__ == "__main__":
    common.main("compute", run_checks, serve_args=("--compute-driver", "qemu"))
