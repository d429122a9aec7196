#!/usr/bin/env bash
# Install a given LiteLLM release into its own virtualenv (separate from the app's venv).
#
#   .ci/install-litellm.sh VERSION VENV_DIR
#
# Idempotent: does nothing if VENV_DIR/bin/litellm exists and reports VERSION.
# prometheus_client is installed too: releases 1.53-1.79 need it for
# `callbacks: ["prometheus"]` but do not depend on it themselves.
set -euo pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 VERSION VENV_DIR" >&2
    exit 2
fi
VERSION="$1"
VENV_DIR="$2"
PYTHON="${PYTHON:-python3}"
start=$(date +%s)

installed_version() {
    "$VENV_DIR/bin/python" - <<'PY' 2>/dev/null || true
from importlib.metadata import version
print(version("litellm"))
PY
}

# Written last, so an interrupted install is redone.
MARKER="$VENV_DIR/.litellm-install-complete"

if [ -x "$VENV_DIR/bin/litellm" ]; then
    have="$(installed_version)"
    if [ "$have" = "$VERSION" ] && [ "$(cat "$MARKER" 2>/dev/null)" = "$VERSION" ]; then
        echo "litellm $VERSION already installed in $VENV_DIR (0s)"
        exit 0
    fi
    echo "litellm in $VENV_DIR is '${have:-unknown}', wanted $VERSION: reinstalling"
fi

if [ ! -x "$VENV_DIR/bin/python" ]; then
    "$PYTHON" -m venv "$VENV_DIR"
fi
rm -f "$MARKER"
"$VENV_DIR/bin/python" -m pip install --quiet --upgrade pip
if ! "$VENV_DIR/bin/python" -m pip install --quiet "litellm[proxy]==$VERSION" prometheus_client; then
    # Recent releases pin companion distributions in their `proxy` extra
    # (`litellm-proxy==VERSION`, `litellm-proxy-extras==X.post1`,
    # `litellm-enterprise==Y.post1`) that a package index or mirror may not
    # carry yet. Install litellm itself, then the rest of its `proxy` extra with
    # litellm-proxy left out and the other litellm-* pins relaxed.
    echo "litellm[proxy]==$VERSION did not resolve: installing its proxy extra with relaxed litellm-* pins"
    "$VENV_DIR/bin/python" -m pip install --quiet "litellm==$VERSION" prometheus_client
    "$VENV_DIR/bin/python" - >"$VENV_DIR/proxy-extra.txt" <<'PY'
from importlib.metadata import distribution
try:
    from packaging.requirements import Requirement
except ImportError:
    from pip._vendor.packaging.requirements import Requirement
for line in distribution("litellm").requires or []:
    req = Requirement(line)
    if req.marker is None or not req.marker.evaluate({"extra": "proxy"}):
        continue
    if req.marker.evaluate({"extra": ""}):
        continue  # a base requirement, already installed
    name = req.name.lower().replace("_", "-")
    req.marker = None
    if name == "litellm-proxy":
        continue
    if name.startswith("litellm-"):
        print(name)
        continue
    print(req)
PY
    "$VENV_DIR/bin/python" -m pip install --quiet -r "$VENV_DIR/proxy-extra.txt"
fi

have="$(installed_version)"
end=$(date +%s)
if [ "$have" != "$VERSION" ]; then
    echo "error: installed litellm is '$have', wanted $VERSION" >&2
    exit 1
fi
echo "$VERSION" >"$MARKER"
echo "litellm $VERSION installed in $VENV_DIR in $((end - start))s"
