#!/usr/bin/env python3
"""End-to-end test of Gureum's identity (Keystone v3) API with the real
python-openstackclient.

Plain python3, stdlib only, no pytest. It starts its own gureum server on a free
loopback port with a fresh data dir, drives it with the `openstack` CLI, prints
one line per check and ends with the line `N passed, M failed`. Exit code is 0
only when nothing failed. The harness is in common.py (next to this file).

Environment variables (GUREUM_BIN, OPENSTACK, GUREUM_TEST_VERBOSE, GUREUM_KEEP_DATA):
see common.py.
"""

import datetime
import json
import sys

sys.dont_write_bytecode = True  # no __pycache__ for common.py in the source tree
import common  # noqa: E402
from common import (  # noqa: E402
    ADMIN,
    base_env,
    check,
    expect,
    find_row,
    need,
    osc,
    osc_fails,
    tail,
)


# --------------------------------------------------------------------------
# The test
# --------------------------------------------------------------------------

def run_checks(server):
    auth_url = server.auth_url
    admin_pw = server.admin_pw
    alice_pw = "alice-Secret-42"
    proc = server.proc
    log_path = server.log_path
    openrc = server.openrc
    clouds = server.clouds

    # ---- generated credential files -------------------------------------
    for f in (openrc, clouds):
        with check(f"{f.name} exists with mode 0600"):
            expect(f.is_file(), f"{f} does not exist")
            mode = f.stat().st_mode & 0o777
            expect(mode == 0o600, f"{f} has mode {mode:o}, want 600")
    with check("clouds.yaml names cloud `gureum` with the identity auth_url"):
        text = clouds.read_text()
        expect("gureum" in text, f"no cloud `gureum` in clouds.yaml:\n{text}")
        expect(auth_url in text, f"auth_url {auth_url} not in clouds.yaml:\n{text}")
    with check("admin-openrc.sh exports OS_AUTH_URL and OS_PASSWORD"):
        text = openrc.read_text()
        expect("OS_AUTH_URL" in text and auth_url in text,
               f"OS_AUTH_URL={auth_url} not in admin-openrc.sh:\n{text}")
        expect("OS_PASSWORD" in text, "OS_PASSWORD not in admin-openrc.sh")

    admin_env = common.admin_env(server)
    A = ADMIN  # admin prefix

    def user_env(username, password, project):
        return common.user_env(auth_url, username, password, project)

    alice_env = user_env("alice", alice_pw, "demo")

    ids = {}

    # ---- admin token ------------------------------------------------------
    with check("admin: token issue returns id, project_id, user_id, future expires"):
        tok = osc(A + ["token", "issue", "-f", "json"], admin_env, parse_json=True)
        for k in ("id", "project_id", "user_id", "expires"):
            expect(tok.get(k), f"token issue output lacks {k!r}: {tok}")
        exp = datetime.datetime.strptime(tok["expires"], "%Y-%m-%dT%H:%M:%S%z")
        now = datetime.datetime.now(datetime.timezone.utc)
        expect(exp > now, f"token already expired: {tok['expires']}")
        ids["admin_project_token"] = tok["project_id"]
        ids["admin_user"] = tok["user_id"]

    # ---- projects ---------------------------------------------------------
    with check("project create demo"):
        p = osc(A + ["project", "create", "demo", "--description", "Demo project",
                     "-f", "json"], admin_env, parse_json=True)
        expect(p.get("name") == "demo", f"name: {p}")
        expect(p.get("description") == "Demo project", f"description: {p}")
        expect(p.get("domain_id") == "default", f"domain_id: {p}")
        expect(p.get("enabled") is True, f"enabled: {p}")
        expect(p.get("id"), f"no id: {p}")
        ids["demo"] = p["id"]

    with check("project list contains demo and admin (admin = token's project)"):
        rows = osc(A + ["project", "list", "-f", "json"], admin_env, parse_json=True)
        demo = find_row(rows, Name="demo")
        admin = find_row(rows, Name="admin")
        expect(demo is not None, f"demo not in project list: {rows}")
        expect(admin is not None, f"admin not in project list: {rows}")
        if "demo" in ids:
            expect(demo["ID"] == ids["demo"], f"demo ID {demo['ID']} != {ids['demo']}")
        if "admin_project_token" in ids:
            expect(admin["ID"] == ids["admin_project_token"],
                   f"admin project {admin['ID']} != token project {ids['admin_project_token']}")

    with check("project show demo"):
        p = osc(A + ["project", "show", "demo", "-f", "json"], admin_env, parse_json=True)
        expect(p.get("id") == need(ids.get("demo"), "demo id"), f"id: {p}")
        expect(p.get("name") == "demo" and p.get("description") == "Demo project", f"{p}")

    with check("project set demo --description new; show reflects it"):
        osc(A + ["project", "set", "demo", "--description", "new"], admin_env)
        p = osc(A + ["project", "show", "demo", "-f", "json"], admin_env, parse_json=True)
        expect(p.get("description") == "new", f"description after set: {p}")

    with check("duplicate project create demo fails with a conflict"):
        osc_fails(A + ["project", "create", "demo", "-f", "json"], admin_env,
                  "conflict", "duplicate", "409")

    # ---- users --------------------------------------------------------------
    with check("user create alice --project demo --email"):
        u = osc(A + ["user", "create", "alice", "--project", "demo", "--password", alice_pw,
                     "--email", "alice@example.org", "-f", "json"],
                admin_env, parse_json=True)
        expect(u.get("name") == "alice", f"name: {u}")
        expect(u.get("email") == "alice@example.org", f"email: {u}")
        expect(u.get("domain_id") == "default", f"domain_id: {u}")
        expect(u.get("enabled") is True, f"enabled: {u}")
        expect(u.get("default_project_id") == need(ids.get("demo"), "demo id"),
               f"default_project_id: {u}")
        expect(alice_pw not in json.dumps(u), f"password leaked: {u}")
        ids["alice"] = u["id"]

    with check("user show alice"):
        u = osc(A + ["user", "show", "alice", "-f", "json"], admin_env, parse_json=True)
        expect(u.get("id") == need(ids.get("alice"), "alice id"), f"id: {u}")
        expect(u.get("email") == "alice@example.org", f"email: {u}")
        expect(alice_pw not in json.dumps(u), f"password leaked: {u}")

    with check("role add --user alice --project demo member"):
        osc(A + ["role", "add", "--user", "alice", "--project", "demo", "member"], admin_env)

    # ---- groups -------------------------------------------------------------
    with check("group create devs"):
        g = osc(A + ["group", "create", "devs", "-f", "json"], admin_env, parse_json=True)
        expect(g.get("name") == "devs" and g.get("id"), f"{g}")
        expect(g.get("domain_id") == "default", f"domain_id: {g}")
        ids["devs"] = g["id"]

    with check("group add user devs alice"):
        osc(A + ["group", "add", "user", "devs", "alice"], admin_env)

    with check("group contains user devs alice -> member"):
        r = osc(A + ["group", "contains", "user", "devs", "alice"], admin_env)
        expect("alice in group devs" in r.stdout, "expected 'alice in group devs'\n" + r.describe())

    with check("group contains user devs admin -> not member"):
        r = osc(A + ["group", "contains", "user", "devs", "admin"], admin_env)
        expect("admin not in group devs" in r.stderr,
               "expected 'admin not in group devs'\n" + r.describe())

    with check("role add --group devs --project demo reader"):
        osc(A + ["role", "add", "--group", "devs", "--project", "demo", "reader"], admin_env)

    with check("role assignment list --names shows alice/member and devs/reader on demo"):
        rows = osc(A + ["role", "assignment", "list", "--names", "-f", "json"],
                   admin_env, parse_json=True)
        expect(find_row(rows, Role="member", User="alice@Default", Project="demo@Default"),
               f"no row Role=member User=alice@Default Project=demo@Default in {rows}")
        expect(find_row(rows, Role="reader", Group="devs@Default", Project="demo@Default"),
               f"no row Role=reader Group=devs@Default Project=demo@Default in {rows}")
        expect(find_row(rows, Role="admin", User="admin@Default", Project="admin@Default"),
               f"no bootstrap row Role=admin User=admin@Default Project=admin@Default in {rows}")

    # ---- roles and implied roles -------------------------------------------
    with check("role create auditor"):
        r = osc(A + ["role", "create", "auditor", "-f", "json"], admin_env, parse_json=True)
        expect(r.get("name") == "auditor" and r.get("id"), f"{r}")
        ids["auditor"] = r["id"]

    with check("implied role create auditor --implied-role reader"):
        r = osc(A + ["implied", "role", "create", "auditor", "--implied-role", "reader",
                     "-f", "json"], admin_env, parse_json=True)
        expect(r.get("prior_role") == need(ids.get("auditor"), "auditor id"),
               f"prior_role is not auditor's id: {r}")
        expect(r.get("implies"), f"no implies: {r}")

    with check("implied role list has auditor->reader and bootstrap admin->manager->member->reader"):
        rows = osc(A + ["implied", "role", "list", "-f", "json"], admin_env, parse_json=True)
        for prior, implied in (("auditor", "reader"), ("admin", "manager"), ("manager", "member"),
                               ("member", "reader")):
            expect(find_row(rows, **{"Prior Role Name": prior, "Implied Role Name": implied}),
                   f"no implied role {prior} -> {implied} in {rows}")

    # ---- catalog ------------------------------------------------------------
    with check("catalog list has identity service with the public URL"):
        rows = osc(A + ["catalog", "list", "-f", "json"], admin_env, parse_json=True)
        svc = find_row(rows, Type="identity")
        expect(svc is not None, f"no identity service in catalog: {rows}")
        eps = svc.get("Endpoints")
        if isinstance(eps, list):
            urls = [e.get("url", "").rstrip("/") for e in eps]
            ifaces = sorted(e.get("interface") for e in eps)
            expect(auth_url in urls, f"{auth_url} not among {urls}")
            expect(ifaces == ["admin", "internal", "public"], f"interfaces {ifaces}")
            pub = [e for e in eps if e.get("interface") == "public"]
            expect(pub and pub[0].get("url", "").rstrip("/") == auth_url,
                   f"public endpoint is not {auth_url}: {eps}")
        else:
            expect(auth_url in str(eps), f"{auth_url} not in endpoints {eps!r}")

    with check("endpoint list has public/internal/admin identity endpoints in RegionOne"):
        rows = osc(A + ["endpoint", "list", "-f", "json"], admin_env, parse_json=True)
        ident = [r for r in rows if r.get("Service Type") == "identity"]
        expect(len(ident) == 3, f"want 3 identity endpoints, got {len(ident)}: {rows}")
        expect(sorted(r.get("Interface") for r in ident) == ["admin", "internal", "public"],
               f"interfaces: {ident}")
        expect(all(r.get("Region") == "RegionOne" for r in ident), f"regions: {ident}")
        expect(all(r.get("Enabled") is True for r in ident), f"enabled: {ident}")
        pub = find_row(ident, Interface="public")
        expect(pub["URL"].rstrip("/") == auth_url, f"public URL {pub['URL']} != {auth_url}")

    # ---- as alice -------------------------------------------------------------
    with check("alice: token issue is scoped to demo"):
        tok = osc(["token", "issue", "-f", "json"], alice_env, parse_json=True)
        expect(tok.get("id"), f"no token id: {tok}")
        expect(tok.get("project_id") == need(ids.get("demo"), "demo id"),
               f"project_id {tok.get('project_id')} != demo {ids.get('demo')}")
        expect(tok.get("user_id") == need(ids.get("alice"), "alice id"),
               f"user_id {tok.get('user_id')} != alice {ids.get('alice')}")

    with check("admin: effective assignments of alice on demo = member + reader"):
        rows = osc(A + ["role", "assignment", "list", "--effective", "--user", "alice",
                        "--project", "demo", "--names", "-f", "json"],
                   admin_env, parse_json=True)
        roles = {r.get("Role", "").split("@")[0] for r in rows}
        expect({"member", "reader"} <= roles, f"effective roles {roles}: {rows}")
        expect("admin" not in roles, f"alice must not be admin: {rows}")
        expect(all(r.get("User") == "alice@Default" and not r.get("Group") for r in rows),
               f"effective rows must be expanded to the user: {rows}")

    with check("alice: application credential create ci-cred returns id and secret"):
        c = osc(["application", "credential", "create", "ci-cred", "-f", "json"],
                alice_env, parse_json=True)
        expect(c.get("ID"), f"no ID: {c}")
        expect(c.get("Secret"), f"no Secret: {c}")
        expect(c.get("Name") == "ci-cred", f"Name: {c}")
        expect(c.get("Project ID") == need(ids.get("demo"), "demo id"), f"Project ID: {c}")
        ids["appcred_id"] = c["ID"]
        ids["appcred_secret"] = c["Secret"]

    def appcred_args(secret):
        return ["--os-auth-type", "v3applicationcredential",
                "--os-application-credential-id", need(ids.get("appcred_id"), "app cred id"),
                # One argument with `=`: a secret may start with "-", which argparse would
                # take for an option.
                f"--os-application-credential-secret={secret}",
                "--os-auth-url", auth_url, "--os-identity-api-version", "3"]

    with check("application credential auth: token issue scoped to demo"):
        tok = osc(appcred_args(need(ids.get("appcred_secret"), "app cred secret"))
                  + ["token", "issue", "-f", "json"], base_env(), parse_json=True)
        expect(tok.get("project_id") == need(ids.get("demo"), "demo id"),
               f"project_id {tok.get('project_id')} != demo: {tok}")
        expect(tok.get("user_id") == need(ids.get("alice"), "alice id"),
               f"user_id {tok.get('user_id')} != alice: {tok}")

    with check("application credential auth with a wrong secret fails"):
        osc_fails(appcred_args("definitely-not-the-secret") + ["token", "issue", "-f", "json"],
                  base_env(), "401", "authenticat", "unauthorized")

    # ---- disable / enable -----------------------------------------------------
    with check("admin: user set --disable alice; user show says disabled"):
        osc(A + ["user", "set", "--disable", "alice"], admin_env)
        u = osc(A + ["user", "show", "alice", "-f", "json"], admin_env, parse_json=True)
        expect(u.get("enabled") is False, f"enabled after --disable: {u}")

    with check("disabled alice: token issue fails"):
        osc_fails(["token", "issue", "-f", "json"], alice_env)

    with check("admin: user set --enable alice; alice: token issue works again"):
        osc(A + ["user", "set", "--enable", "alice"], admin_env)
        tok = osc(["token", "issue", "-f", "json"], alice_env, parse_json=True)
        expect(tok.get("project_id") == need(ids.get("demo"), "demo id"), f"{tok}")

    # ---- delete ---------------------------------------------------------------
    with check("project create + delete of a fresh project"):
        p = osc(A + ["project", "create", "scratch-del", "-f", "json"], admin_env,
                parse_json=True)
        expect(p.get("id"), f"no id: {p}")
        osc(A + ["project", "delete", "scratch-del"], admin_env)
        rows = osc(A + ["project", "list", "-f", "json"], admin_env, parse_json=True)
        expect(find_row(rows, Name="scratch-del") is None, f"still listed: {rows}")
        expect(find_row(rows, ID=p["id"]) is None, f"still listed by id: {rows}")

    # ---- errors -----------------------------------------------------------------
    with check("project show does-not-exist fails with not-found message"):
        osc_fails(A + ["project", "show", "does-not-exist"], admin_env,
                  "no project", "could not find")

    with check("wrong admin password fails"):
        osc_fails(["token", "issue", "-f", "json"],
                  user_env("admin", admin_pw + "-wrong", "admin"),
                  "401", "authenticat", "unauthorized")

    with check("server still running at the end"):
        expect(proc.poll() is None,
               f"gureum exited with {proc.returncode}\n{tail(log_path)}")


if __name__ == "__main__":
    common.main("identity", run_checks)
