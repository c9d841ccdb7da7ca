"""Shared harness for the CLI end-to-end tests in tests/cli/.

Plain python3, stdlib only. A test script imports this module, writes a
`run_checks(server)` function made of `with check("name"):` blocks, and calls
`main("<service>", run_checks)`. The harness checks the tools, starts its own
gureum server on a free loopback port with a fresh data dir, runs the checks,
stops the server, prints one line per check and ends with the line
`N passed, M failed`; the exit code is 0 only when nothing failed.

Environment:
  GUREUM_BIN     gureum binary (default: <repo>/target/quick/gureum, or
                 $CARGO_TARGET_DIR/quick/gureum when that is set)
  OPENSTACK      openstack CLI (default: $HOME/.cache/gureum/venv/bin/openstack,
                 created by scripts/openstack-venv.sh)
  GUREUM_TEST_VERBOSE=1   print every CLI command as it runs
  GUREUM_KEEP_DATA=1      keep the temp data dir (path is printed)
"""

import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CLI_TIMEOUT = 60
START_TIMEOUT = 60
VERBOSE = os.environ.get("GUREUM_TEST_VERBOSE") == "1"


# --------------------------------------------------------------------------
# Tiny check framework
# --------------------------------------------------------------------------

class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.failures = []

    def ok(self, name):
        self.passed += 1
        print(f"ok   - {name}", flush=True)

    def fail(self, name, reason):
        self.failed += 1
        self.failures.append(name)
        reason = str(reason).rstrip()
        print(f"FAIL - {name}", flush=True)
        for line in reason.splitlines():
            print(f"       {line}", flush=True)


RESULTS = Results()


class check:
    """`with check("name"):` - any exception inside marks the check failed
    (and is swallowed, so the script goes on); otherwise it passes."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        return self

    def __exit__(self, et, ev, tb):
        if et is None:
            RESULTS.ok(self.name)
            return True
        if not issubclass(et, Exception):
            return False  # KeyboardInterrupt etc.
        if isinstance(ev, (AssertionError, CliError)):
            RESULTS.fail(self.name, ev)
        else:
            RESULTS.fail(
                self.name,
                "unexpected exception:\n"
                + "".join(traceback.format_exception(et, ev, tb)),
            )
        return True


def need(value, what):
    if value is None:
        raise AssertionError(f"prerequisite missing: {what} (an earlier check failed)")
    return value


def expect(cond, msg):
    if not cond:
        raise AssertionError(msg)


# --------------------------------------------------------------------------
# openstack CLI helpers
# --------------------------------------------------------------------------

class CliError(Exception):
    pass


class Result:
    def __init__(self, argv, rc, stdout, stderr, secs):
        self.argv = argv
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.secs = secs

    def describe(self):
        return (
            f"command: {shlex.join(self.argv)}\n"
            f"exit code: {self.rc} ({self.secs:.1f}s)\n"
            f"stdout: {self.stdout.strip()[:2000]}\n"
            f"stderr: {self.stderr.strip()[:4000]}"
        )

    def json(self):
        try:
            return json.loads(self.stdout)
        except ValueError as e:
            raise CliError(f"output is not JSON ({e})\n{self.describe()}")


def run_cli(args, env, timeout=CLI_TIMEOUT):
    argv = [OPENSTACK] + list(args)
    if VERBOSE:
        print(f"  $ {shlex.join(argv)}", flush=True)
    t0 = time.monotonic()
    try:
        p = subprocess.run(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = e.stderr.decode() if isinstance(e.stderr, bytes) else (e.stderr or "")
        raise CliError(
            f"command timed out after {timeout}s: {shlex.join(argv)}\n"
            f"stdout: {out.strip()[:2000]}\nstderr: {err.strip()[:4000]}"
        )
    return Result(argv, p.returncode, p.stdout, p.stderr, time.monotonic() - t0)


def osc(args, env, parse_json=False):
    """Run a CLI command that must succeed; return parsed JSON or the Result."""
    r = run_cli(args, env)
    if r.rc != 0:
        raise CliError("command failed unexpectedly\n" + r.describe())
    return r.json() if parse_json else r


def osc_fails(args, env, *needles):
    """Run a CLI command that must fail (non-zero exit). If needles are given,
    at least one of them must appear (case-insensitive) in stderr+stdout."""
    r = run_cli(args, env)
    if r.rc == 0:
        raise CliError("command succeeded but was expected to fail\n" + r.describe())
    if needles:
        text = (r.stderr + r.stdout).lower()
        if not any(n.lower() in text for n in needles):
            raise CliError(
                f"error message mentions none of {list(needles)}\n" + r.describe()
            )
    return r


def find_row(rows, **want):
    for row in rows:
        if all(row.get(k) == v for k, v in want.items()):
            return row
    return None


def base_env():
    """The caller's environment without any OS_* variables, so nothing from the
    developer's shell leaks into the CLI's auth."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env["PYTHONWARNINGS"] = "ignore"
    return env


def admin_env(server):
    """Environment for admin commands; pass them the `--os-cloud gureum` prefix
    (ADMIN) so the generated clouds.yaml is used."""
    return dict(base_env(), OS_CLIENT_CONFIG_FILE=str(server.clouds))


ADMIN = ["--os-cloud", "gureum"]  # admin prefix, with admin_env()


def user_env(auth_url, username, password, project):
    """Environment for a password-authenticated user scoped to a project in the
    Default domain."""
    return dict(
        base_env(),
        OS_AUTH_URL=auth_url,
        OS_USERNAME=username,
        OS_PASSWORD=password,
        OS_PROJECT_NAME=project,
        OS_USER_DOMAIN_NAME="Default",
        OS_PROJECT_DOMAIN_NAME="Default",
        OS_IDENTITY_API_VERSION="3",
    )


def project_member(admin_env, project, user, password):
    """Makes a project and a user who is its member (the walkthroughs' first step);
    returns the project's and the user's ids."""
    p = osc(ADMIN + ["project", "create", project, "-f", "json"], admin_env, parse_json=True)
    expect(p.get("id") and p.get("name") == project, f"project create: {p}")
    u = osc(ADMIN + ["user", "create", user, "--project", project, "--password", password,
                     "-f", "json"], admin_env, parse_json=True)
    expect(u.get("id") and u.get("name") == user, f"user create: {u}")
    osc(ADMIN + ["role", "add", "--user", user, "--project", project, "member"], admin_env)
    return p["id"], u["id"]


# --------------------------------------------------------------------------
# Server process
# --------------------------------------------------------------------------

def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_status(url, timeout=2.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status
    except urllib.error.HTTPError as e:
        return e.code
    except (urllib.error.URLError, OSError):
        return None


def wait_for_server(proc, url, log_path):
    deadline = time.monotonic() + START_TIMEOUT
    last = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(
                f"gureum exited early with code {proc.returncode}\n"
                f"--- server log ---\n{tail(log_path)}"
            )
        last = http_status(url)
        if last == 200:
            return
        time.sleep(0.2)
    raise AssertionError(
        f"GET {url} did not return 200 within {START_TIMEOUT}s (last: {last})\n"
        f"--- server log ---\n{tail(log_path)}"
    )


def stop_server(proc):
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


def tail(path, n=60):
    try:
        lines = Path(path).read_text(errors="replace").splitlines()
    except OSError as e:
        return f"(cannot read {path}: {e})"
    return "\n".join(lines[-n:])


def resolve_bin():
    b = os.environ.get("GUREUM_BIN")
    if not b:
        target = os.environ.get("CARGO_TARGET_DIR") or str(REPO_ROOT / "target")
        return (REPO_ROOT / target / "quick" / "gureum").resolve()
    p = Path(b)
    if not p.is_absolute() and not p.exists() and (REPO_ROOT / p).exists():
        p = REPO_ROOT / p
    return p.resolve()


GUREUM_BIN = resolve_bin()
OPENSTACK = os.environ.get(
    "OPENSTACK", str(Path.home() / ".cache" / "gureum" / "venv" / "bin" / "openstack")
)


class Server:
    """A running gureum server, as the checks see it."""

    def __init__(self, data_dir, base_url, admin_pw, proc, log_path):
        self.data_dir = data_dir
        self.base_url = base_url
        self.auth_url = f"{base_url}/identity/v3"
        self.admin_pw = admin_pw
        self.proc = proc
        self.log_path = log_path
        self.openrc = data_dir / "admin-openrc.sh"
        self.clouds = data_dir / "clouds.yaml"
        self.cmd = None
        self.env = None
        self.log = None

    def restart(self, crash=False):
        """Stops `gureum serve` (SIGTERM, as an operator's restart would; with `crash`,
        SIGKILL to the controller alone, as a crash would, its VMs left running) and
        starts it again on the same data dir and port."""
        if crash:
            self.proc.kill()
            self.proc.wait(timeout=10)
        else:
            stop_server(self.proc)
        self.proc = subprocess.Popen(self.cmd, env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True, cwd=self.data_dir.parent)
        wait_for_server(self.proc, self.auth_url, self.log_path)


# --------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------

def serve_and_run(name, run_checks, serve_args=()):
    """Check the tools, start a server with a fresh data dir (temp dir prefix
    `gureum-cli-<name>-`), call `run_checks(server)`, then stop and clean up.
    `serve_args` are extra `gureum serve` options (e.g. `--compute-driver qemu`)."""
    admin_pw = "adm-" + secrets.token_urlsafe(12)

    tools_ok = True
    with check(f"gureum binary is executable ({GUREUM_BIN})"):
        expect(os.access(GUREUM_BIN, os.X_OK), f"{GUREUM_BIN} missing or not executable")
    if RESULTS.failed:
        tools_ok = False
    with check(f"openstack CLI is executable ({OPENSTACK})"):
        expect(os.access(OPENSTACK, os.X_OK),
               f"{OPENSTACK} missing; run scripts/openstack-venv.sh")
    if RESULTS.failed:
        tools_ok = False
    if not tools_ok:
        return

    data_dir = Path(tempfile.mkdtemp(prefix=f"gureum-cli-{name}-"))
    log_path = data_dir.parent / (data_dir.name + ".server.log")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    auth_url = f"{base_url}/identity/v3"
    proc = None
    server = None
    log = open(log_path, "wb")
    try:
        server_env = dict(os.environ, GUREUM_ADMIN_PASSWORD=admin_pw)
        # The fake data plane unless a test asks for the real one (it makes bridges and
        # namespaces on this host).
        if "--network-driver" not in serve_args:
            serve_args = (*serve_args, "--network-driver", "fake")
        # A relative data dir, as the README's `./data`: everything the server hands to
        # helpers that change directory (dnsmasq's files) must still be found.
        cmd = [str(GUREUM_BIN), "serve", "--listen", f"127.0.0.1:{port}",
               "--data-dir", data_dir.name, "--public-url", base_url, *serve_args]
        print(f"# starting: {shlex.join(cmd)}", flush=True)
        started = False
        with check("server starts and GET /identity/v3 returns 200"):
            t0 = time.monotonic()
            proc = subprocess.Popen(cmd, env=server_env, stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True, cwd=data_dir.parent)
            wait_for_server(proc, auth_url, log_path)
            started = True
            print(f"# server up in {time.monotonic() - t0:.1f}s at {base_url}", flush=True)
        if not started:
            return
        server = Server(data_dir, base_url, admin_pw, proc, log_path)
        server.cmd, server.env, server.log = cmd, server_env, log
        run_checks(server)
        proc = server.proc
    finally:
        if server is not None:
            proc = server.proc
        stop_server(proc)
        log.close()
        if RESULTS.failed:
            print(f"# --- last lines of server log {log_path} ---")
            print(tail(log_path))
        if os.environ.get("GUREUM_KEEP_DATA") == "1":
            print(f"# kept data dir {data_dir} and log {log_path}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
            try:
                log_path.unlink()
            except OSError:
                pass


def main(name, run_checks, serve_args=()):
    """Run the whole test and exit with its status (0 only when nothing failed).
    `serve_args` are extra `gureum serve` options."""
    t0 = time.monotonic()
    try:
        serve_and_run(name, run_checks, serve_args)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        RESULTS.failed += 1
    except Exception:  # anything escaping the checks is itself a failure
        RESULTS.fail("test harness", traceback.format_exc())
    print(f"# took {time.monotonic() - t0:.0f}s", flush=True)
    if RESULTS.failures:
        print("# failed: " + "; ".join(RESULTS.failures), flush=True)
    print(f"{RESULTS.passed} passed, {RESULTS.failed} failed", flush=True)
    sys.exit(0 if RESULTS.failed == 0 else 1)
