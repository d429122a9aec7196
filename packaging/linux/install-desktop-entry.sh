#!/usr/bin/env bash
# Add litellm-tray to the desktop's application menu (for the current user), with its icon.
# Needs `litellm-tray` installed first (pipx install litellm-tray). Login start: litellm-tray autostart on
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
command -v litellm-tray >/dev/null || { echo "litellm-tray is not on PATH: pipx install litellm-tray" >&2; exit 1; }
python="$(head -1 "$(command -v litellm-tray)" | sed 's/^#!//')"
install -d "$data/applications" "$data/icons/hicolor/256x256/apps"
"$python" -c 'import sys; from tray.desktop.icon import render; render("ok", 256).save(sys.argv[1])' \
    "$data/icons/hicolor/256x256/apps/litellm-tray.png"
sed "s|^Exec=litellm-tray|Exec=$(command -v litellm-tray)|" "$here/litellm-tray.desktop" \
    > "$data/applications/litellm-tray.desktop"
desktop-file-validate "$data/applications/litellm-tray.desktop" 2>/dev/null || true
command -v update-desktop-database >/dev/null && update-desktop-database "$data/applications" || true
echo "installed $data/applications/litellm-tray.desktop"
