"""Entry point of the PyInstaller build: the same `litellm-tray` command as the pip install."""

import sys

from tray.cli import main

if __name__ == "__main__":
    sys.exit(main())
