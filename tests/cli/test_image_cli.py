#!/usr/bin/env python3
"""End-to-end test of Gureum's image (Glance v2) API with the real
python-openstackclient.

Plain python3, stdlib only, no pytest. It starts its own gureum server on a free
loopback port with a fresh data dir, drives it with the `openstack` CLI, prints
one line per check and ends with the line `N passed, M failed`. Exit code is 0
only when nothing failed. The harness is in common.py (next to this file).

Needs `qemu-img` on PATH (test images are made with it).

Environment variables (GUREUM_BIN, OPENSTACK, GUREUM_TEST_VERBOSE, GUREUM_KEEP_DATA):
see common.py.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ for common.py in the source tree
import common  # noqa: E402
from common import (  # noqa: E402
    ADMIN,
    check,
    expect,
    find_row,
    need,
    osc,
    osc_fails,
    tail,
)

PASSWORD = "img-Secret-42"


def digest(path, algo):
    h = hashlib.new(algo)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def qemu_img(*args):
    p = subprocess.run(["qemu-img", *args], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=60)
    expect(p.returncode == 0,
           f"qemu-img {' '.join(args)} failed ({p.returncode}):\n{p.stdout}{p.stderr}")


def props(image):
    """The `properties` column of `image show/create -f json` (a dict)."""
    p = image.get("properties")
    expect(isinstance(p, dict), f"no properties dict in {image}")
    return p


# --------------------------------------------------------------------------
# The test
# --------------------------------------------------------------------------

def run_checks(server):
    files = Path(tempfile.mkdtemp(prefix="gureum-cli-image-files-"))
    try:
        image_checks(server, files)
    finally:
        if os.environ.get("GUREUM_KEEP_DATA") == "1":
            print(f"# kept test files in {files}")
        else:
            shutil.rmtree(files, ignore_errors=True)


def image_checks(server, files):
    A = ADMIN
    admin_env = common.admin_env(server)

    def user_env(username, project):
        return common.user_env(server.auth_url, username, PASSWORD, project)

    owner_env = user_env("imguser", "imgproj")
    other_env = user_env("otheruser", "otherproj")
    third_env = user_env("thirduser", "thirdproj")

    ids = {}

    # ---- projects and users (as admin) -------------------------------------
    for project, user in (("imgproj", "imguser"), ("otherproj", "otheruser"),
                          ("thirdproj", "thirduser")):
        with check(f"admin: project {project} with user {user} as member"):
            p = osc(A + ["project", "create", project, "-f", "json"], admin_env,
                    parse_json=True)
            expect(p.get("id") and p.get("name") == project, f"project create: {p}")
            ids[project] = p["id"]
            u = osc(A + ["user", "create", user, "--project", project,
                         "--password", PASSWORD, "-f", "json"], admin_env, parse_json=True)
            expect(u.get("id") and u.get("name") == user, f"user create: {u}")
            osc(A + ["role", "add", "--user", user, "--project", project, "member"],
                admin_env)
            rows = osc(A + ["role", "assignment", "list", "--names", "--user", user,
                            "--project", project, "-f", "json"], admin_env, parse_json=True)
            expect(find_row(rows, Role="member", User=f"{user}@Default",
                            Project=f"{project}@Default"),
                   f"no member assignment for {user} on {project}: {rows}")

    with check("imguser: token issue is scoped to imgproj"):
        tok = osc(["token", "issue", "-f", "json"], owner_env, parse_json=True)
        expect(tok.get("project_id") == need(ids.get("imgproj"), "imgproj id"),
               f"project_id {tok.get('project_id')} != imgproj: {tok}")

    # ---- test data ------------------------------------------------------------
    qcow = files / "disk.qcow2"
    raw = files / "random.raw"
    base = files / "base.qcow2"
    backed = files / "backed.qcow2"
    with check("test data: qemu-img qcow2 (32M), random raw file, qcow2 with backing file"):
        qemu_img("create", "-f", "qcow2", str(qcow), "32M")
        raw.write_bytes(os.urandom(3 * 1024 * 1024 + 4321))
        qemu_img("create", "-f", "qcow2", str(base), "16M")
        qemu_img("create", "-f", "qcow2", "-b", str(base), "-F", "qcow2", str(backed))
        for f in (qcow, raw, base, backed):
            expect(f.is_file() and f.stat().st_size > 0, f"{f} missing or empty")

    # ---- upload -----------------------------------------------------------------
    with check("imguser: image create --file qcow2 -> active, shared, hashes, size, min_ram"):
        img = osc(["image", "create", "--file", str(qcow), "--disk-format", "qcow2",
                   "--container-format", "bare", "--property", "os_distro=debian",
                   "--min-ram", "64", "img-qcow", "-f", "json"], owner_env, parse_json=True)
        ids["img-qcow"] = img.get("id")
        expect(img.get("name") == "img-qcow", f"name: {img}")
        expect(img.get("status") == "active", f"status {img.get('status')!r}: {img}")
        expect(img.get("visibility") == "shared",
               f"visibility {img.get('visibility')!r}, want shared (Glance's default): {img}")
        expect(img.get("owner") == ids.get("imgproj"), f"owner {img.get('owner')!r}: {img}")
        expect(img.get("disk_format") == "qcow2" and img.get("container_format") == "bare",
               f"formats: {img}")
        expect(img.get("checksum") == digest(qcow, "md5"),
               f"checksum {img.get('checksum')!r} != md5 {digest(qcow, 'md5')}")
        p = props(img)
        expect(p.get("os_hash_algo") == "sha512", f"os_hash_algo: {p}")
        expect(p.get("os_hash_value") == digest(qcow, "sha512"),
               f"os_hash_value {p.get('os_hash_value')!r} != sha512 of the file")
        expect(p.get("os_distro") == "debian", f"os_distro: {p}")
        expect(img.get("size") == qcow.stat().st_size,
               f"size {img.get('size')!r} != {qcow.stat().st_size}")
        expect(img.get("virtual_size") == 32 * 1024 * 1024,
               f"virtual_size {img.get('virtual_size')!r} != 32 MiB")
        expect(img.get("min_ram") == 64, f"min_ram {img.get('min_ram')!r}: {img}")

    with check("imguser: image list shows img-qcow"):
        rows = osc(["image", "list", "-f", "json"], owner_env, parse_json=True)
        row = find_row(rows, Name="img-qcow")
        expect(row is not None, f"img-qcow not in image list: {rows}")
        expect(row.get("ID") == need(ids.get("img-qcow"), "img-qcow id"), f"ID: {row}")
        expect(row.get("Status") == "active", f"Status: {row}")

    with check("imguser: image show img-qcow (by name)"):
        img = osc(["image", "show", "img-qcow", "-f", "json"], owner_env, parse_json=True)
        expect(img.get("id") == need(ids.get("img-qcow"), "img-qcow id"), f"id: {img}")
        expect(img.get("status") == "active" and img.get("min_ram") == 64, f"{img}")
        expect(props(img).get("os_distro") == "debian", f"os_distro: {img}")

    # ---- properties and tags ---------------------------------------------------
    with check("imguser: image set --property hw_disk_bus=virtio --tag web; show has them"):
        osc(["image", "set", "--property", "hw_disk_bus=virtio", "--tag", "web", "img-qcow"],
            owner_env)
        img = osc(["image", "show", "img-qcow", "-f", "json"], owner_env, parse_json=True)
        expect(props(img).get("hw_disk_bus") == "virtio", f"hw_disk_bus: {img}")
        expect("web" in (img.get("tags") or []), f"tags {img.get('tags')!r}: {img}")

    with check("imguser: image unset --property hw_disk_bus removes it (tag stays)"):
        osc(["image", "unset", "--property", "hw_disk_bus", "img-qcow"], owner_env)
        img = osc(["image", "show", "img-qcow", "-f", "json"], owner_env, parse_json=True)
        expect("hw_disk_bus" not in props(img), f"hw_disk_bus still there: {img}")
        expect(props(img).get("os_distro") == "debian", f"os_distro lost: {img}")
        expect("web" in (img.get("tags") or []), f"tag web lost: {img}")

    # ---- download -------------------------------------------------------------
    with check("imguser: image save --file OUT is byte-identical to the upload"):
        out = files / "saved.qcow2"
        osc(["image", "save", "--file", str(out), "img-qcow"], owner_env)
        expect(out.is_file(), f"{out} not written")
        expect(out.stat().st_size == qcow.stat().st_size,
               f"saved {out.stat().st_size} bytes, uploaded {qcow.stat().st_size}")
        expect(out.read_bytes() == qcow.read_bytes(), "saved data differs from the upload")

    # ---- unsafe data is refused -----------------------------------------------
    with check("imguser: qcow2 with a backing file is refused (mentions backing file)"):
        osc_fails(["image", "create", "--file", str(backed), "--disk-format", "qcow2",
                   "--container-format", "bare", "img-backed", "-f", "json"], owner_env,
                  "backing file")

    with check("imguser: qcow2 declared as --disk-format raw is refused (mentions qcow2)"):
        osc_fails(["image", "create", "--file", str(qcow), "--disk-format", "raw",
                   "--container-format", "bare", "img-liar", "-f", "json"], owner_env,
                  "qcow2")

    with check("imguser: refused uploads left no active image"):
        rows = osc(["image", "list", "-f", "json"], owner_env, parse_json=True)
        for name in ("img-backed", "img-liar"):
            row = find_row(rows, Name=name)
            expect(row is None or row.get("Status") != "active",
                   f"{name} is listed as active: {rows}")

    # ---- publicizing ---------------------------------------------------------
    with check("imguser: image set --public fails with 403"):
        osc_fails(["image", "set", "--public", "img-qcow"], owner_env, "403", "forbidden")
        img = osc(["image", "show", "img-qcow", "-f", "json"], owner_env, parse_json=True)
        expect(img.get("visibility") == "shared", f"visibility changed: {img}")

    with check("otheruser: private img-qcow is not in image list"):
        rows = osc(["image", "list", "-f", "json"], other_env, parse_json=True)
        expect(find_row(rows, Name="img-qcow") is None, f"img-qcow visible: {rows}")

    with check("admin: image set --public img-qcow; show says public"):
        img_id = need(ids.get("img-qcow"), "img-qcow id")
        osc(A + ["image", "set", "--public", img_id], admin_env)
        img = osc(A + ["image", "show", img_id, "-f", "json"], admin_env, parse_json=True)
        expect(img.get("visibility") == "public", f"visibility: {img}")

    with check("otheruser: public img-qcow is in image list"):
        rows = osc(["image", "list", "-f", "json"], other_env, parse_json=True)
        row = find_row(rows, Name="img-qcow")
        expect(row is not None, f"img-qcow not in otheruser's image list: {rows}")
        expect(row.get("ID") == need(ids.get("img-qcow"), "img-qcow id"), f"ID: {row}")

    # ---- sharing ---------------------------------------------------------------
    with check("imguser: image create img-shared (raw, random data) -> active"):
        img = osc(["image", "create", "--file", str(raw), "--disk-format", "raw",
                   "--container-format", "bare", "img-shared", "-f", "json"],
                  owner_env, parse_json=True)
        ids["img-shared"] = img.get("id")
        expect(img.get("status") == "active", f"status: {img}")
        expect(img.get("size") == raw.stat().st_size, f"size: {img}")
        expect(img.get("checksum") == digest(raw, "md5"), f"checksum: {img}")

    with check("imguser: image set --shared img-shared; show says shared"):
        osc(["image", "set", "--shared", "img-shared"], owner_env)
        img = osc(["image", "show", "img-shared", "-f", "json"], owner_env, parse_json=True)
        expect(img.get("visibility") == "shared", f"visibility: {img}")

    with check("imguser: image add project img-shared otherproj -> pending member"):
        other = need(ids.get("otherproj"), "otherproj id")
        m = osc(["image", "add", "project", "img-shared", other, "-f", "json"],
                owner_env, parse_json=True)
        expect(m.get("member_id") == other, f"member_id: {m}")
        expect(m.get("image_id") == need(ids.get("img-shared"), "img-shared id"),
               f"image_id: {m}")
        expect(m.get("status") == "pending", f"status: {m}")
        ids["member_added"] = True

    with check("otheruser: image show img-shared works while pending"):
        need(ids.get("member_added"), "otherproj added as a member of img-shared")
        img_id = need(ids.get("img-shared"), "img-shared id")
        img = osc(["image", "show", img_id, "-f", "json"], other_env, parse_json=True)
        expect(img.get("id") == img_id and img.get("name") == "img-shared", f"{img}")

    with check("otheruser: pending img-shared is not in image list"):
        need(ids.get("member_added"), "otherproj added as a member of img-shared")
        rows = osc(["image", "list", "-f", "json"], other_env, parse_json=True)
        expect(find_row(rows, Name="img-shared") is None, f"listed while pending: {rows}")

    with check("otheruser: image set --accept img-shared; now in image list"):
        need(ids.get("member_added"), "otherproj added as a member of img-shared")
        img_id = need(ids.get("img-shared"), "img-shared id")
        osc(["image", "set", "--accept", img_id], other_env)
        rows = osc(["image", "list", "-f", "json"], other_env, parse_json=True)
        row = find_row(rows, Name="img-shared")
        expect(row is not None, f"img-shared not in otheruser's image list: {rows}")
        expect(row.get("ID") == img_id, f"ID: {row}")

    with check("imguser: image member list shows otherproj accepted"):
        need(ids.get("member_added"), "otherproj added as a member of img-shared")
        rows = osc(["image", "member", "list", "img-shared", "-f", "json"], owner_env,
                   parse_json=True)
        expect(find_row(rows, **{"Member ID": need(ids.get("otherproj"), "otherproj id"),
                                 "Status": "accepted"}),
               f"otherproj not accepted: {rows}")

    with check("thirduser: image show img-shared fails"):
        img_id = need(ids.get("img-shared"), "img-shared id")
        osc_fails(["image", "show", img_id], third_env, "404", "no image", "not found")

    with check("thirduser: img-shared is not in image list"):
        rows = osc(["image", "list", "-f", "json"], third_env, parse_json=True)
        expect(find_row(rows, Name="img-shared") is None, f"img-shared visible: {rows}")

    # ---- deactivate / reactivate -----------------------------------------------
    with check("imguser: image set --deactivate -> status deactivated"):
        osc(["image", "set", "--deactivate", "img-qcow"], owner_env)
        img = osc(["image", "show", "img-qcow", "-f", "json"], owner_env, parse_json=True)
        expect(img.get("status") == "deactivated", f"status: {img}")

    with check("imguser: image set --activate -> status active"):
        osc(["image", "set", "--activate", "img-qcow"], owner_env)
        img = osc(["image", "show", "img-qcow", "-f", "json"], owner_env, parse_json=True)
        expect(img.get("status") == "active", f"status: {img}")

    # ---- protection and delete -------------------------------------------------
    with check("imguser: image create img-del; image set --protected"):
        img = osc(["image", "create", "--file", str(raw), "--disk-format", "raw",
                   "--container-format", "bare", "img-del", "-f", "json"],
                  owner_env, parse_json=True)
        ids["img-del"] = img.get("id")
        expect(img.get("status") == "active", f"status: {img}")
        osc(["image", "set", "--protected", "img-del"], owner_env)
        img = osc(["image", "show", "img-del", "-f", "json"], owner_env, parse_json=True)
        expect(img.get("protected") is True, f"protected: {img}")

    with check("imguser: image delete of a protected image fails"):
        osc_fails(["image", "delete", "img-del"], owner_env, "403", "forbidden", "protected")
        img = osc(["image", "show", "img-del", "-f", "json"], owner_env, parse_json=True)
        expect(img.get("id") == need(ids.get("img-del"), "img-del id"), f"{img}")

    with check("imguser: image set --unprotected; image delete succeeds"):
        osc(["image", "set", "--unprotected", "img-del"], owner_env)
        img = osc(["image", "show", "img-del", "-f", "json"], owner_env, parse_json=True)
        expect(img.get("protected") is False, f"protected: {img}")
        osc(["image", "delete", "img-del"], owner_env)

    with check("imguser: image show of the deleted image fails"):
        img_id = need(ids.get("img-del"), "img-del id")
        osc_fails(["image", "show", img_id], owner_env, "404", "no image", "not found")
        rows = osc(["image", "list", "-f", "json"], owner_env, parse_json=True)
        expect(find_row(rows, ID=img_id) is None, f"still listed: {rows}")

    with check("server still running at the end"):
        expect(server.proc.poll() is None,
               f"gureum exited with {server.proc.returncode}\n{tail(server.log_path)}")


if __name__ == "__main__":
    common.main("image", run_checks)
