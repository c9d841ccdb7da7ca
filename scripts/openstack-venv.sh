#!/usr/bin/env bash
# Create (or reuse) a Python venv holding python-openstackclient (with osc-placement,
# its `resource provider` and `allocation` commands), used by the
# CLI end-to-end tests in tests/cli/ and, linked onto the PATH, by the README's examples.
#
#   scripts/openstack-venv.sh            # venv at ${GUREUM_VENV:-$HOME/.cache/gureum/venv}
#   GUREUM_VENV=/tmp/v scripts/openstack-venv.sh
#
# Idempotent: when the venv already has the `openstack` binary and the pinned
# python-openstackclient version, it exits at once without touching the network.
# The test runner then calls "$VENV/bin/openstack" and "$VENV/bin/python".
set -euo pipefail

OSC_VERSION="${GUREUM_OSC_VERSION:-10.5.0}"
PLACEMENT_VERSION="${GUREUM_OSC_PLACEMENT_VERSION:-4.9.1}"
WANTED="$OSC_VERSION osc-placement $PLACEMENT_VERSION"
VENV="${GUREUM_VENV:-$HOME/.cache/gureum/venv}"
STAMP="$VENV/.gureum-osc-version"

installed_version() {
    # Cheap check first (stamp file written after a successful install), then
    # confirm with pip metadata without importing the whole client.
    [ -x "$VENV/bin/openstack" ] || return 1
    [ -x "$VENV/bin/python" ] || return 1
    [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANTED" ] || return 1
    "$VENV/bin/python" - "$OSC_VERSION" "$PLACEMENT_VERSION" <<'EOF' || return 1
import sys
from importlib.metadata import version, PackageNotFoundError
try:
    ok = version("python-openstackclient") == sys.argv[1] and version("osc-placement") == sys.argv[2]
    sys.exit(0 if ok else 1)
except PackageNotFoundError:
    sys.exit(1)
EOF
}

# The README's examples call `openstack`: put the venv's on the PATH (a link in
# /usr/local/bin) unless one is there already, or say how to.
on_path() {
    if command -v openstack >/dev/null 2>&1; then
        return 0
    fi
    if [ -w /usr/local/bin ]; then
        ln -sf "$VENV/bin/openstack" /usr/local/bin/openstack
        echo "openstack-venv: linked /usr/local/bin/openstack to $VENV/bin/openstack"
    else
        echo "openstack-venv: to use the CLI, add $VENV/bin to your PATH"
    fi
}

if installed_version; then
    echo "openstack-venv: python-openstackclient $OSC_VERSION and osc-placement $PLACEMENT_VERSION already in $VENV"
    on_path
    exit 0
fi

# Pick a Python >= 3.10 that can make venvs (Debian's system python needs
# python3-venv for ensurepip; try to install it if nothing else works).
pick_python() {
    local py
    for py in "${GUREUM_PYTHON:-}" python3 python3.13 python3.12 python3.11 python3.10 /usr/bin/python3; do
        [ -n "$py" ] || continue
        command -v "$py" >/dev/null 2>&1 || continue
        if "$py" -c 'import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, 10) else 1)' >/dev/null 2>&1; then
            echo "$py"
            return 0
        fi
    done
    return 1
}

PY="$(pick_python || true)"
if [ -z "$PY" ] && command -v apt-get >/dev/null 2>&1; then
    echo "openstack-venv: no python with venv support; installing python3-venv" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null || true
    apt-get install -y -qq python3-venv >/dev/null
    PY="$(pick_python || true)"
fi
if [ -z "$PY" ]; then
    echo "openstack-venv: need python >= 3.10 with the venv module" >&2
    exit 1
fi

echo "openstack-venv: installing python-openstackclient $OSC_VERSION and osc-placement $PLACEMENT_VERSION into $VENV (python: $PY)"
start=$(date +%s)

# A half-built or wrong-version venv is simply upgraded in place; a broken one
# (no bin/python) is recreated.
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import pip' >/dev/null 2>&1; then
    rm -rf "$VENV"
    mkdir -p "$(dirname "$VENV")"
    "$PY" -m venv "$VENV"
fi

export PIP_DISABLE_PIP_VERSION_CHECK=1
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "python-openstackclient==$OSC_VERSION" \
    "osc-placement==$PLACEMENT_VERSION"

# Prove it runs before stamping.
"$VENV/bin/openstack" --version
echo "$WANTED" > "$STAMP"
on_path

echo "openstack-venv: done in $(( $(date +%s) - start ))s"
