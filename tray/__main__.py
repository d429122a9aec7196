"""`python -m tray` runs the same command as `litellm-tray`."""

from tray.cli import main

raise SystemExit(main())
