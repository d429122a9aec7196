"""Entry point of the PyInstaller build: the same `litellm-tray` command as the pip install."""

import multiprocessing
import sys

from tray.cli import main

if __name__ == "__main__":
    # A frozen binary started as a worker process (tray.logs.parallel, spawn on macOS and
    # Windows) must run the worker, not the app.
    multiprocessing.freeze_support()
    sys.exit(main())
