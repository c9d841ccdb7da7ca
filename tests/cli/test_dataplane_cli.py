#!/usr/bin/env python3
"""The seed's network walkthrough with real packets: the real python-openstackclient
against `gureum serve --compute-driver qemu --network-driver linuxbridge`.

The admin creates the flat external network on the physical network `extnet` (mapped to
a bridge of this test's own, `--physnet extnet:brx…`). A project user creates a network
and a subnet with a DNS server, a router with the external gateway and an interface on
the subnet, opens SSH and ICMP in `default` and HTTP/HTTPS in a `web` group, launches an
instance from the repository's test image, associates a floating IP and logs in over
SSH through it with the key pair, from a namespace attached to the external bridge
("outside"). A port without a rule stays blocked (no answer at all), answers once a rule
opens it (the guest resets the connection: nothing listens) and is blocked again when
the rule goes. A source address the port does not hold is dropped until an allowed
address pair lets it through. A second network's interface is hot-plugged into the running guest
(`server add network`: eth1, with a DHCP lease) and unplugged (`server remove network`).
Then everything is deleted and nothing of it is left on the host.

Needs root, iproute2, nftables, dnsmasq, QEMU and the packages of
scripts/build-test-image.sh: what scripts/setup installs. Plain python3, stdlib only;
the harness is in common.py. Environment as test_compute_cli.py.
"""

import os
import secrets
import shutil
import socket  # noqa: F401  (used inside the outside namespace through python3 -c)
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ for common.py in the source tree
import common  # noqa: E402
from common import ADMIN, CliError, check, expect, need, osc  # noqa: E402

PASSWORD = "dp-Secret-42"
PROJECT = "demo"
USER = "demo-user"
SLOW_CLI = 300
BOOT_TIMEOUT = 180
TAG = secrets.token_hex(4)
BRIDGE = f"brx{TAG}"
OUTSIDE = f"gr-outside-{TAG}"
OUTSIDE_IP = "203.0.113.1"


def osc_slow(args, env, parse_json=False, timeout=SLOW_CLI):
    """osc() with a longer timeout, for the commands that wait."""
    r = common.run_cli(args, env, timeout=timeout)
    if r.rc != 0:
        raise CliError("command failed unexpectedly\n" + r.describe())
    return r.json() if parse_json else r


def sh(*args, check_rc=True, timeout=60):
    r = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    if check_rc and r.returncode != 0:
        raise AssertionError(f"{' '.join(args)}: {r.returncode}\n{r.stdout}{r.stderr}")
    return r


def outside(*args, timeout=60, check_rc=False):
    return sh("ip", "netns", "exec", OUTSIDE, *args, timeout=timeout, check_rc=check_rc)


def tcp_probe(ip, port, timeout=4):
    """From outside: `open`, `refused` (a reset: the port is reachable, nothing
    listens) or `timeout` (dropped on the way)."""
    code = (
        "import socket,sys\n"
        "s=socket.socket(); s.settimeout(%d)\n"
        "try:\n s.connect((%r,%d)); print('open')\n"
        "except ConnectionRefusedError: print('refused')\n"
        "except (socket.timeout, TimeoutError): print('timeout')\n"
        "except OSError as e: print('error', e)\n" % (timeout, ip, port)
    )
    return outside("python3", "-c", code, timeout=timeout + 10).stdout.strip()


def poll(what, probe, timeout, interval=3):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def ssh(key, ip, command, timeout=20):
    return outside("ssh", "-i", str(key), "-o", "StrictHostKeyChecking=no",
                   "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=5",
                   "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", f"root@{ip}", command,
                   timeout=timeout)


def ours_on_host(data_dir):
    """Namespaces and links the driver's ledger still holds."""
    import json
    try:
        ledger = json.loads((Path(data_dir) / "network" / "ledger.json").read_text())
    except (OSError, ValueError):
        return [], []
    present_ns = sh("ip", "netns", "list").stdout
    present_links = sh("ip", "-br", "link").stdout
    ns = [n for n in ledger.get("namespaces", []) if n in present_ns]
    links = [link for link in ledger.get("links", [])
             if link != BRIDGE and (f"{link} " in present_links or f"{link}@" in present_links)]
    return ns, links


def run_checks(server):
    files = Path(tempfile.mkdtemp(prefix="gureum-cli-dataplane-files-"))
    try:
        walkthrough(server, files)
    finally:
        sh("ip", "netns", "delete", OUTSIDE, check_rc=False)
        sh("ip", "link", "delete", f"vo{TAG}", check_rc=False)
        if os.environ.get("GUREUM_KEEP_DATA") != "1":
            shutil.rmtree(files, ignore_errors=True)


def walkthrough(server, files):
    A = ADMIN
    admin_env = common.admin_env(server)
    env = common.user_env(server.auth_url, USER, PASSWORD, PROJECT)
    ids = {}

    with check(f"admin: project {PROJECT}, user {USER}, flavor m1.tiny"):
        common.project_member(admin_env, PROJECT, USER, PASSWORD)
        osc(A + ["flavor", "create", "--vcpus", "1", "--ram", "256", "--disk", "1", "m1.tiny"],
            admin_env)

    with check("admin: network create --external --provider-network-type flat "
               "--provider-physical-network extnet public; subnet with a pool, no DHCP"):
        osc(A + ["network", "create", "--external", "--provider-network-type", "flat",
                 "--provider-physical-network", "extnet", "public"], admin_env)
        osc(A + ["subnet", "create", "--network", "public", "--subnet-range", "203.0.113.0/24",
                 "--gateway", OUTSIDE_IP, "--allocation-pool",
                 "start=203.0.113.100,end=203.0.113.150", "--no-dhcp", "public-subnet"],
            admin_env)

    with check(f"the host: {BRIDGE} exists; an outside namespace on it with {OUTSIDE_IP}"):
        expect(f"{BRIDGE}:" in sh("ip", "-br", "link").stdout.replace(" ", ":"),
               f"{BRIDGE} is missing: {sh('ip', '-br', 'link').stdout}")
        sh("ip", "netns", "add", OUTSIDE)
        sh("ip", "link", "add", f"vo{TAG}", "type", "veth", "peer", "name", "eth0",
           "netns", OUTSIDE)
        sh("ip", "link", "set", f"vo{TAG}", "master", BRIDGE, "up")
        sh("ip", "-n", OUTSIDE, "addr", "add", f"{OUTSIDE_IP}/24", "dev", "eth0")
        sh("ip", "-n", OUTSIDE, "link", "set", "eth0", "up")
        sh("ip", "-n", OUTSIDE, "link", "set", "lo", "up")
        ids["outside"] = True

    with check("user: network, subnet --dns-nameserver, router with the gateway and the subnet"):
        osc(["network", "create", "demo-net"], env)
        osc(["subnet", "create", "--network", "demo-net", "--subnet-range", "10.0.0.0/24",
             "--dns-nameserver", OUTSIDE_IP, "demo-subnet"], env)
        osc(["router", "create", "demo-router"], env)
        osc(["router", "set", "--external-gateway", "public", "demo-router"], env)
        osc(["router", "add", "subnet", "demo-router", "demo-subnet"], env)
        r = osc(["router", "show", "demo-router", "-f", "json"], env, parse_json=True)
        gw = r["external_gateway_info"]["external_fixed_ips"][0]["ip_address"]
        ids["gateway"] = gw
        expect(gw.startswith("203.0.113."), f"gateway: {r}")

    with check("outside: the router's gateway answers ping"):
        need(ids.get("outside") and ids.get("gateway"), "outside and the gateway")
        r = outside("ping", "-c", "2", "-W", "2", ids["gateway"])
        expect(r.returncode == 0, f"ping {ids['gateway']}: {r.stdout}{r.stderr}")

    with check("user: SSH and ICMP in default; a web group with 80 and 443"):
        osc(["security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "22",
             "default"], env)
        osc(["security", "group", "rule", "create", "--protocol", "icmp", "default"], env)
        osc(["security", "group", "create", "web"], env)
        for p in ("80", "443"):
            osc(["security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", p,
                 "web"], env)

    key = files / "demo-key.pem"
    with check("user: keypair create demo-key; image create guest (the test image)"):
        r = osc(["keypair", "create", "demo-key"], env)
        key.write_text(r.stdout)
        key.chmod(0o600)
        guest = files / "guest.qcow2"
        b = subprocess.run([str(common.REPO_ROOT / "scripts" / "build-test-image.sh"),
                            str(guest)], capture_output=True, text=True, timeout=300,
                           stdin=subprocess.DEVNULL)
        expect(b.returncode == 0, f"build-test-image.sh: {b.stdout}{b.stderr}")
        img = osc_slow(["image", "create", "--file", str(guest), "--disk-format", "qcow2",
                   "--container-format", "bare", "guest", "-f", "json"], env,
                  parse_json=True)
        expect(img.get("status") == "active", f"image: {img}")
        ids["image"] = True

    with check("user: server create --network demo-net --security-group default "
               "--security-group web --wait vm1 -> ACTIVE with a 10.0.0.x address"):
        need(ids.get("image"), "the guest image")
        s = osc_slow(["server", "create", "--image", "guest", "--flavor", "m1.tiny", "--key-name",
                 "demo-key", "--network", "demo-net", "--security-group", "default",
                 "--security-group", "web", "--wait", "vm1", "-f", "json"], env,
                parse_json=True)
        expect(s.get("status") == "ACTIVE", f"server: {s}")
        s = osc(["server", "show", "vm1", "-f", "json"], env, parse_json=True)
        addrs = s.get("addresses") or {}
        fixed = (addrs.get("demo-net") or [None])[0]
        expect(isinstance(fixed, str) and fixed.startswith("10.0.0."), f"addresses: {s}")
        ids["vm1"] = s["id"]
        ids["fixed"] = fixed

    with check("user: floating ip create public; server add floating ip vm1"):
        need(ids.get("vm1"), "vm1")
        f = osc(["floating", "ip", "create", "public", "-f", "json"], env, parse_json=True)
        ids["fip"] = f["floating_ip_address"]
        osc(["server", "add", "floating", "ip", "vm1", ids["fip"]], env)
        s = osc(["server", "show", "vm1", "-f", "json"], env, parse_json=True)
        expect(ids["fip"] in str(s.get("addresses")), f"addresses: {s}")

    with check("outside: ssh -i demo-key root@FLOATING_IP hostname -> vm1 (DHCP, NAT, SG)"):
        need(ids.get("fip"), "the floating IP")

        def probe():
            r = ssh(key, ids["fip"], "hostname")
            return r.stdout.strip() if r.returncode == 0 else None

        name = poll("SSH through the floating IP", probe, BOOT_TIMEOUT)
        expect(name == "vm1", f"hostname {name!r}")
        r = ssh(key, ids["fip"], "ip -4 addr show eth0")
        expect(ids["fixed"] in r.stdout, f"the guest's address (DHCP): {r.stdout}")
        ids["ssh"] = True

    with check("outside: ping FLOATING_IP (ICMP allowed); the guest reaches outside (SNAT)"):
        need(ids.get("ssh"), "SSH")
        r = outside("ping", "-c", "2", "-W", "2", ids["fip"])
        expect(r.returncode == 0, f"ping: {r.stdout}{r.stderr}")
        r = ssh(key, ids["fip"], f"ping -c 1 -W 2 {OUTSIDE_IP}")
        expect(r.returncode == 0, f"ping from the guest: {r.stdout}{r.stderr}")

    with check("tcp/8080 stays blocked; a rule opens it (reset: nothing listens); "
               "deleting the rule blocks it again"):
        need(ids.get("ssh"), "SSH")
        expect(tcp_probe(ids["fip"], 8080) == "timeout", "8080 answered without a rule")
        rule = osc(["security", "group", "rule", "create", "--protocol", "tcp", "--dst-port",
                    "8080", "default", "-f", "json"], env, parse_json=True)
        got = poll("8080 to answer", lambda: tcp_probe(ids["fip"], 8080) == "refused" or None,
                   20, interval=1)
        expect(got, "8080 did not answer with the rule")
        osc(["security", "group", "rule", "delete", rule["id"]], env)
        got = poll("8080 to be blocked again",
                   lambda: tcp_probe(ids["fip"], 8080, timeout=2) == "timeout" or None,
                   20, interval=1)
        expect(got, "8080 still answers after the rule was deleted")

    with check("a source address the port does not hold is dropped (anti-spoofing) until "
               "port set --allowed-address lets it through"):
        need(ids.get("ssh"), "SSH")
        spoof = "10.0.0.200"
        # The guest takes a second address; its traffic leaves by the router's SNAT.
        r = ssh(key, ids["fip"], f"ip addr add {spoof}/24 dev eth0 && "
                f"ping -c 2 -W 2 -I {spoof} {OUTSIDE_IP} >/dev/null && echo through || echo dropped")
        expect(r.stdout.strip() == "dropped", f"a spoofed source got out: {r.stdout}{r.stderr}")
        r = ssh(key, ids["fip"], f"ping -c 1 -W 2 {OUTSIDE_IP} >/dev/null && echo through")
        expect(r.stdout.strip() == "through", f"the port's own address: {r.stdout}{r.stderr}")
        port = osc(["port", "list", "--server", "vm1", "-f", "json"], env, parse_json=True)[0]
        osc(["port", "set", "--allowed-address", f"ip-address={spoof}", port["ID"]], env)
        got = poll("the allowed address pair to pass",
                   lambda: ssh(key, ids["fip"], f"ping -c 1 -W 2 -I {spoof} {OUTSIDE_IP} "
                               ">/dev/null && echo through").stdout.strip() == "through" or None,
                   20, interval=1)
        expect(got, "the allowed address pair did not pass")
        # (Neutron stores the pair with the port's MAC, which `port unset` would have to name.)
        osc(["port", "set", "--no-allowed-address", port["ID"]], env)
        ssh(key, ids["fip"], f"ip addr del {spoof}/24 dev eth0")

    with check("user: server add network vm1 demo-net2 -> the guest has eth1 with the "
               "port's MAC and gets its address by DHCP; server remove network -> eth1 goes"):
        need(ids.get("ssh"), "SSH")
        osc(["network", "create", "demo-net2"], env)
        ids["net2"] = True
        # No gateway: the guest's default route stays on eth0 (the way SSH comes in).
        osc(["subnet", "create", "--network", "demo-net2", "--subnet-range", "10.0.1.0/24",
             "--gateway", "none", "demo-subnet2"], env)
        osc_slow(["server", "add", "network", "vm1", "demo-net2"], env)
        ports = osc(["port", "list", "--server", "vm1", "--network", "demo-net2", "-f", "json"],
                    env, parse_json=True)
        expect(len(ports) == 1, f"ports on demo-net2: {ports}")
        mac = ports[0]["MAC Address"]
        ip = ports[0]["Fixed IP Addresses"][0]["ip_address"]
        expect(ip.startswith("10.0.1."), f"fixed IP on demo-net2: {ports}")
        got = poll("eth1 in the guest",
                   lambda: ssh(key, ids["fip"], "cat /sys/class/net/eth1/address").stdout.strip()
                   or None, 30, interval=1)
        expect(got == mac, f"eth1's MAC {got!r}, the port's {mac!r}")
        # A lease on eth1 from demo-net2's dnsmasq (printed, not applied).
        lease = ssh(key, ids["fip"],
                    "echo '#!/bin/sh' > /tmp/s; "
                    """echo '[ "$1" = bound ] && echo lease $ip' >> /tmp/s; """
                    "chmod +x /tmp/s; ip link set eth1 up; "
                    "udhcpc -i eth1 -n -q -t 5 -T 2 -s /tmp/s", timeout=30)
        expect(f"lease {ip}" in lease.stdout, f"DHCP on eth1: {lease.stdout}{lease.stderr}")
        osc(["server", "remove", "network", "vm1", "demo-net2"], env)
        gone = poll("eth1 to leave the guest",
                    lambda: ssh(key, ids["fip"], "test -e /sys/class/net/eth1 || echo gone")
                    .stdout.strip() == "gone" or None, 60, interval=2)
        expect(gone, "eth1 is still in the guest")

        def released():
            left = osc(["port", "list", "--server", "vm1", "-f", "json"], env, parse_json=True)
            return left if len(left) == 1 else None

        left = poll("the port to be released", released, 30, interval=1)
        expect(left[0]["Fixed IP Addresses"] and ids["fixed"] in str(left[0]),
               f"vm1 keeps eth0: {left}")
        r = ssh(key, ids["fip"], "hostname")
        expect(r.stdout.strip() == "vm1", f"SSH after the detach: {r.stdout}{r.stderr}")

    with check("user: port create p2; server add port vm1 p2; server remove port vm1 p2 "
               "-> p2 is kept, free"):
        need(ids.get("net2"), "demo-net2")
        p2 = osc(["port", "create", "--network", "demo-net2", "p2", "-f", "json"], env,
                 parse_json=True)
        p2_ip = p2["fixed_ips"][0]["ip_address"]
        osc_slow(["server", "add", "port", "vm1", "p2"], env)
        s = osc(["server", "show", "vm1", "-f", "json"], env, parse_json=True)
        expect(p2_ip in str((s.get("addresses") or {}).get("demo-net2")), f"addresses: {s}")
        osc(["server", "remove", "port", "vm1", "p2"], env)

        def freed():
            p = osc(["port", "show", "p2", "-f", "json"], env, parse_json=True)
            return p if not p.get("device_id") else None

        p = poll("p2 to be let go", freed, 60, interval=2)
        expect(p.get("status") == "DOWN", f"p2: {p}")
        osc(["port", "delete", "p2"], env)

    with check("user: remove the floating IP, delete the server, router and networks; "
               "nothing of them is left on the host"):
        if ids.get("fip"):
            osc(["server", "remove", "floating", "ip", "vm1", ids["fip"]], env)
            osc(["floating", "ip", "delete", ids["fip"]], env)
        if ids.get("vm1"):
            osc_slow(["server", "delete", "--wait", "vm1"], env)
        osc(["router", "remove", "subnet", "demo-router", "demo-subnet"], env)
        osc(["router", "delete", "demo-router"], env)
        osc(["network", "delete", "demo-net"], env)
        if ids.get("net2"):
            osc(["network", "delete", "demo-net2"], env)
        osc(A + ["network", "delete", "public"], admin_env)

        def settled():
            ns, links = ours_on_host(server.data_dir)
            return (ns, links) if not ns and not links else None

        try:
            poll("the data plane to be taken down", settled, 30, interval=1)
        except AssertionError:
            ns, links = ours_on_host(server.data_dir)
            expect(False, f"left on the host: namespaces {ns}, links {links}")


if __name__ == "__main__":
    try:
        common.main("dataplane", run_checks, serve_args=(
            "--compute-driver", "qemu", "--network-driver", "linuxbridge",
            "--physnet", f"extnet:{BRIDGE}"))
    finally:
        sh("ip", "link", "delete", BRIDGE, check_rc=False)
