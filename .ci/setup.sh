#!/usr/bin/env bash
# Install everything the app and its tests need on a fresh Debian/Ubuntu machine:
# desktop test packages (a real X server, tray host, notification daemon), the app's venv,
# and a LiteLLM proxy in its own venv for the integration tests. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(xvfb trayer xdotool x11-utils imagemagick dunst libnotify-bin dbus-x11 dbus-bin
              libgirepository1.0-dev libcairo2-dev gir1.2-gtk-3.0 pkg-config
              python3-tk desktop-file-utils
              binutils)   # binutils: objdump for the PyInstaller build test
LITELLM_VERSION="${LITELLM_VERSION:-1.110.2}"

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    echo "installing system packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
# The app is installed editable: only a change to pyproject.toml (dependencies, entry points)
# needs a new install, so a second `make demo` starts at once.
stamp=.venv/.installed-from
wanted="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e '.[test,linux-menus]'
    echo "$wanted" > "$stamp"
fi

bash .ci/install-litellm.sh "$LITELLM_VERSION" .venv-litellm
