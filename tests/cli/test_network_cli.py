#!/usr/bin/env python3
"""The network service (Neutron v2.0) with the real python-openstackclient: the
seed's provider network and a project's network, subnet and ports.

Plain python3, stdlib only, no pytest. It starts its own gureum server on a free
loopback port with a fresh data dir (the fake compute driver: no VM is booted
here), prints one line per check and ends with `N passed, M failed`. The harness
is in common.py (next to this file). Routers, floating IPs and agents are in the
control plane so far; the data plane (bridges, DHCP, NAT, SSH into a guest) joins
this walkthrough as it lands.

Environment: as test_compute_cli.py (GUREUM_BIN, OPENSTACK, GUREUM_TEST_VERBOSE,
GUREUM_KEEP_DATA).
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ for common.py in the source tree
import common  # noqa: E402
from common import ADMIN, check, expect, find_row, need, osc, osc_fails  # noqa: E402

PASSWORD = "net-Secret-42"
PROJECT = "demo"
USER = "demo-user"


def run_checks(server):
    A = ADMIN
    admin_env = common.admin_env(server)
    env = common.user_env(server.auth_url, USER, PASSWORD, PROJECT)
    ids = {}

    with check(f"admin: project {PROJECT} with user {USER} as member"):
        common.project_member(admin_env, PROJECT, USER, PASSWORD)

    with check("catalog list has the network service at /networking"):
        rows = osc(A + ["catalog", "list", "-f", "json"], admin_env, parse_json=True)
        svc = find_row(rows, Type="network")
        expect(svc is not None and "/networking" in str(svc.get("Endpoints")),
               f"catalog: {rows}")

    # ---- the seed's external network ----------------------------------------------
    with check("admin: network create --external --provider-network-type flat "
               "--provider-physical-network extnet extnet"):
        n = osc(A + ["network", "create", "--external", "--provider-network-type", "flat",
                     "--provider-physical-network", "extnet", "extnet", "-f", "json"],
                admin_env, parse_json=True)
        expect(n.get("router:external") in (True, "External"), f"not external: {n}")
        expect(n.get("provider:network_type") == "flat", f"type: {n}")
        expect(n.get("provider:physical_network") == "extnet", f"physnet: {n}")
        expect(n.get("status") == "ACTIVE", f"status: {n}")
        ids["extnet"] = n["id"]

    with check("admin: subnet create --allocation-pool --dns-nameserver --no-dhcp on extnet"):
        need(ids.get("extnet"), "extnet")
        s = osc(A + ["subnet", "create", "--network", "extnet", "--subnet-range",
                     "203.0.113.0/24", "--gateway", "203.0.113.1", "--allocation-pool",
                     "start=203.0.113.100,end=203.0.113.200", "--dns-nameserver", "203.0.113.1",
                     "--no-dhcp", "extnet-subnet", "-f", "json"], admin_env, parse_json=True)
        pools = str(s.get("allocation_pools"))
        expect("203.0.113.100" in pools and "203.0.113.200" in pools, f"pools: {s}")
        expect(s.get("cidr") == "203.0.113.0/24" and s.get("gateway_ip") == "203.0.113.1",
               f"subnet: {s}")
        expect(s.get("enable_dhcp") is False, f"dhcp: {s}")

    with check("admin: a second flat network on extnet is refused (409)"):
        osc_fails(A + ["network", "create", "--provider-network-type", "flat",
                       "--provider-physical-network", "extnet", "again"], admin_env,
                  "409", "in use")

    # ---- the project's network --------------------------------------------------------
    with check("user: network create demo-net; subnet create 10.0.0.0/24 --dns-nameserver 8.8.8.8"):
        n = osc(["network", "create", "demo-net", "-f", "json"], env, parse_json=True)
        expect(n.get("status") == "ACTIVE" and n.get("name") == "demo-net", f"network: {n}")
        ids["demo-net"] = n["id"]
        s = osc(["subnet", "create", "--network", "demo-net", "--subnet-range", "10.0.0.0/24",
                 "--dns-nameserver", "8.8.8.8", "demo-subnet", "-f", "json"], env,
                parse_json=True)
        expect(s.get("gateway_ip") == "10.0.0.1", f"gateway: {s}")
        expect("10.0.0.2" in str(s.get("allocation_pools")), f"pools: {s}")
        expect("8.8.8.8" in str(s.get("dns_nameservers")), f"dns: {s}")
        ids["demo-subnet"] = s["id"]

    with check("user: network list shows demo-net and the external extnet"):
        rows = osc(["network", "list", "-f", "json"], env, parse_json=True)
        names = sorted(r.get("Name") for r in rows)
        expect(names == ["demo-net", "extnet"], f"networks: {rows}")
        rows = osc(["network", "list", "--external", "-f", "json"], env, parse_json=True)
        expect([r.get("Name") for r in rows] == ["extnet"], f"external: {rows}")

    with check("user: the provider network type is for administrators only (403)"):
        osc_fails(["network", "create", "--provider-network-type", "flat",
                   "--provider-physical-network", "extnet", "mine"], env, "403",
                  "disallowed by policy")

    # ---- ports ----------------------------------------------------------------------------
    with check("user: port create --network demo-net gets 10.0.0.3 (DHCP holds .2); --fixed-ip ip-address=10.0.0.50"):
        need(ids.get("demo-subnet"), "demo-subnet")
        p = osc(["port", "create", "--network", "demo-net", "p1", "-f", "json"], env,
                parse_json=True)
        expect("10.0.0.3" in str(p.get("fixed_ips")), f"fixed_ips: {p}")
        expect(str(p.get("mac_address", "")).startswith("fa:16:3e:"), f"mac: {p}")
        p = osc(["port", "create", "--network", "demo-net", "--fixed-ip",
                 "subnet=demo-subnet,ip-address=10.0.0.50", "p2", "-f", "json"], env,
                parse_json=True)
        expect("10.0.0.50" in str(p.get("fixed_ips")), f"fixed_ips: {p}")
        ids["ports"] = True

    with check("user: the same address again is refused (409 in use)"):
        need(ids.get("ports"), "ports")
        osc_fails(["port", "create", "--network", "demo-net", "--fixed-ip",
                   "ip-address=10.0.0.50", "p3"], env, "409", "in use")

    with check("user: port list --network demo-net shows p1, p2 and the DHCP port"):
        need(ids.get("ports"), "ports")
        rows = osc(["port", "list", "--network", "demo-net", "-f", "json"], env,
                   parse_json=True)
        expect(sorted(r.get("Name") for r in rows) == ["", "p1", "p2"], f"ports: {rows}")
        expect("10.0.0.2" in str(find_row(rows, Name="")), f"the DHCP port: {rows}")
        expect("10.0.0.50" in str(find_row(rows, Name="p2")), f"p2: {rows}")

    # ---- security groups --------------------------------------------------------------
    with check("user: security group rule create --protocol tcp --dst-port 22 default; and icmp"):
        r = osc(["security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "22",
                 "default", "-f", "json"], env, parse_json=True)
        expect(r.get("port_range_min") == 22 and r.get("port_range_max") == 22, f"rule: {r}")
        expect(r.get("direction") == "ingress" and r.get("protocol") == "tcp", f"rule: {r}")
        r = osc(["security", "group", "rule", "create", "--protocol", "icmp", "default",
                 "-f", "json"], env, parse_json=True)
        expect(r.get("protocol") == "icmp", f"rule: {r}")
        ids["ssh"] = True

    with check("user: the same SSH rule again is refused (409 already exists)"):
        need(ids.get("ssh"), "ssh rule")
        osc_fails(["security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "22",
                   "default"], env, "409", "already exists")

    with check("user: security group create web; rules for 80 and 443; rule list web"):
        g = osc(["security", "group", "create", "web", "-f", "json"], env, parse_json=True)
        expect(g.get("name") == "web", f"group: {g}")
        for port in ("80", "443"):
            osc(["security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", port,
                 "web"], env)
        rows = osc(["security", "group", "rule", "list", "web", "-f", "json"], env,
                   parse_json=True)
        ranges = sorted(str(r.get("Port Range")) for r in rows if r.get("IP Protocol") == "tcp")
        expect(ranges == ["443:443", "80:80"], f"rules: {rows}")
        ids["web"] = g["id"]

    with check("user: security group list shows default and web; default has 4 + 2 rules"):
        rows = osc(["security", "group", "list", "-f", "json"], env, parse_json=True)
        expect(sorted(r.get("Name") for r in rows) == ["default", "web"], f"groups: {rows}")
        rows = osc(["security", "group", "rule", "list", "default", "-f", "json"], env,
                   parse_json=True)
        expect(len(rows) == 6, f"default rules: {rows}")

    with check("user: port create --security-group web; a port without one gets default"):
        need(ids.get("web"), "web")
        p = osc(["port", "create", "--network", "demo-net", "--security-group", "web", "p-web",
                 "-f", "json"], env, parse_json=True)
        expect(ids["web"] in str(p.get("security_group_ids")), f"port: {p}")
        p = osc(["port", "show", "p1", "-f", "json"], env, parse_json=True)
        expect(len(p.get("security_group_ids") or []) == 1 and ids["web"] not in str(p.get("security_group_ids")),
               f"p1: {p}")
        osc(["port", "delete", "p-web"], env)

    # ---- the router, its gateway and a floating IP ---------------------------------
    with check("user: router create; router set --external-gateway extnet; router add subnet"):
        r = osc(["router", "create", "demo-router", "-f", "json"], env, parse_json=True)
        expect(r.get("status") == "ACTIVE", f"router: {r}")
        ids["router"] = r["id"]
        osc(["router", "set", "--external-gateway", "extnet", "demo-router"], env)
        osc(["router", "add", "subnet", "demo-router", "demo-subnet"], env)
        r = osc(["router", "show", "demo-router", "-f", "json"], env, parse_json=True)
        gw = r.get("external_gateway_info") or {}
        expect(gw.get("network_id") == ids["extnet"] and gw.get("enable_snat") is True,
               f"gateway: {r}")
        gw_ip = (gw.get("external_fixed_ips") or [{}])[0].get("ip_address", "")
        expect(gw_ip.startswith("203.0.113.") and 100 <= int(gw_ip.rsplit(".", 1)[1]) <= 200,
               f"gateway address: {gw}")
        interfaces = r.get("interfaces_info") or []
        expect([i.get("ip_address") for i in interfaces] == ["10.0.0.1"],
               f"interfaces: {r}")

    with check("user: floating ip create extnet; floating ip set --port p1; list shows it"):
        f = osc(["floating", "ip", "create", "extnet", "-f", "json"], env, parse_json=True)
        ids["fip"] = f["floating_ip_address"]
        expect(f.get("status") == "DOWN" and ids["fip"].startswith("203.0.113."), f"fip: {f}")
        osc(["floating", "ip", "set", "--port", "p1", ids["fip"]], env)
        rows = osc(["floating", "ip", "list", "-f", "json"], env, parse_json=True)
        row = find_row(rows, **{"Floating IP Address": ids["fip"]})
        expect(row is not None and row.get("Fixed IP Address") == "10.0.0.3",
               f"floating ips: {rows}")
        f = osc(["floating", "ip", "show", ids["fip"], "-f", "json"], env, parse_json=True)
        expect(f.get("router_id") == ids["router"] and f.get("status") == "ACTIVE", f"fip: {f}")

    with check("user: router remove subnet is refused while the floating IP needs it (409)"):
        osc_fails(["router", "remove", "subnet", "demo-router", "demo-subnet"], env, "409",
                  "floating IP")

    with check("user: router set --route via 10.0.0.50; a next hop off the router's subnets is 400"):
        osc(["router", "set", "--route", "destination=192.168.50.0/24,gateway=10.0.0.50",
             "demo-router"], env)
        r = osc(["router", "show", "demo-router", "-f", "json"], env, parse_json=True)
        expect("192.168.50.0/24" in str(r.get("routes")), f"routes: {r}")
        osc_fails(["router", "set", "--route", "destination=192.168.60.0/24,gateway=172.16.0.1",
                   "demo-router"], env, "400", "nexthop")
        osc(["router", "set", "--no-route", "demo-router"], env)

    with check("admin: network agent list shows the L3, DHCP and Linux bridge agents alive; a member sees none"):
        rows = osc(A + ["network", "agent", "list", "-f", "json"], admin_env, parse_json=True)
        kinds = sorted(r.get("Agent Type") for r in rows)
        expect(kinds == ["DHCP agent", "L3 agent", "Linux bridge agent"], f"agents: {rows}")
        expect(all(r.get("Alive") in (True, ":-)") for r in rows), f"not alive: {rows}")
        # A member may ask, as in Neutron, and sees no agent.
        mine = osc(["network", "agent", "list", "-f", "json"], env, parse_json=True)
        expect(mine == [], f"a member sees agents: {mine}")

    with check("user: network delete demo-net is refused while ports use it (409)"):
        osc_fails(["network", "delete", "demo-net"], env, "409", "in use")

    with check("user: quota show --network --usage: networks, ports, routers and floating IPs in use"):
        rows = osc(["quota", "show", "--network", "--usage", "-f", "json"], env,
                   parse_json=True)
        # Ports: p1, p2, the router interface and the network's DHCP port.
        for res, limit, used in (("networks", 100, 1), ("ports", 500, 4), ("routers", 10, 1),
                                 ("floating_ips", 50, 1)):
            row = find_row(rows, Resource=res)
            expect(row is not None and row.get("Limit") == limit and row.get("In Use") == used,
                   f"{res}: {row} in {rows}")

    with check("user: floating ip unset --port; delete; router remove subnet, unset gateway, delete"):
        osc(["floating", "ip", "unset", "--port", ids["fip"]], env)
        f = osc(["floating", "ip", "show", ids["fip"], "-f", "json"], env, parse_json=True)
        expect(f.get("port_id") is None and f.get("status") == "DOWN", f"fip: {f}")
        osc(["floating", "ip", "delete", ids["fip"]], env)
        osc(["router", "remove", "subnet", "demo-router", "demo-subnet"], env)
        osc(["router", "unset", "--external-gateway", "demo-router"], env)
        osc(["router", "delete", "demo-router"], env)
        rows = osc(["router", "list", "-f", "json"], env, parse_json=True)
        expect(rows == [], f"routers: {rows}")

    with check("user: port delete p1 p2; subnet delete; network delete demo-net"):
        osc(["port", "delete", "p1", "p2"], env)
        osc(["subnet", "delete", "demo-subnet"], env)
        osc(["network", "delete", "demo-net"], env)
        rows = osc(["network", "list", "-f", "json"], env, parse_json=True)
        expect([r.get("Name") for r in rows] == ["extnet"], f"networks: {rows}")

    with check("another project does not see demo's networks or ports"):
        osc(A + ["project", "create", "other"], admin_env)
        osc(A + ["user", "create", "other-user", "--project", "other", "--password", PASSWORD],
            admin_env)
        osc(A + ["role", "add", "--user", "other-user", "--project", "other", "member"],
            admin_env)
        other = common.user_env(server.auth_url, "other-user", PASSWORD, "other")
        osc(["network", "create", "secret-net"], env)
        rows = osc(["network", "list", "-f", "json"], other, parse_json=True)
        expect([r.get("Name") for r in rows] == ["extnet"], f"other sees: {rows}")
        osc_fails(["network", "show", "secret-net"], other, "No Network found", "404",
                  "could not be found")


if __name__ == "__main__":
    common.main("network", run_checks, serve_args=("--compute-driver", "fake"))
