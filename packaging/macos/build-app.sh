#!/usr/bin/env bash
# Build "LiteLLM Tray.app" (no Dock icon: LSUIElement) and, optionally, start it at login.
#   bash packaging/macos/build-app.sh            # -> dist/LiteLLM Tray.app
#   cp -R "dist/LiteLLM Tray.app" /Applications/
#   cp packaging/macos/com.github.litellm-tray.plist ~/Library/LaunchAgents/   # or: litellm-tray autostart on
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 -m venv build/venv-app
build/venv-app/bin/pip install --quiet pyinstaller .
build/venv-app/bin/pyinstaller --noconfirm --distpath dist --workpath build/pyinstaller \
    packaging/pyinstaller/litellm-tray.spec
plutil -lint "dist/LiteLLM Tray.app/Contents/Info.plist"
echo "built dist/LiteLLM Tray.app"
