"""`litellm-tray notify-test`: send one notification and say which backend showed it.

The quickest way for a person to learn whether notifications can reach them on this desktop,
and if not, why (exit 1 with the reason of every backend tried).
"""

from __future__ import annotations

import sys
import time

from tray.alerts.types import Notification
from tray.config import Settings, master_key
from tray.desktop.notify import DesktopNotifier, choose_backends

EXIT_DELIVERED = 0
EXIT_UNDELIVERED = 1

TEST_TITLE = "LiteLLM Tray test notification"
TEST_BODY = "Notifications work: failed requests, outages and budgets will show like this."


def run_notify_test(settings: Settings) -> int:
    try:
        backends = choose_backends(settings.notify.backend)
    except ValueError as exc:
        print(f"litellm-tray: notify-test: {exc}", file=sys.stderr)
        return EXIT_UNDELIVERED
    # This command reports every failure itself, so the notifier need not log them too.
    notifier = DesktopNotifier(backends, secrets=[master_key(settings) or ""], log_failures=False)
    try:
        delivered_by = notifier.deliver(
            Notification(title=TEST_TITLE, body=TEST_BODY, severity="info", time=time.time()))
    finally:
        notifier.close()
    if delivered_by is None:
        print(f"litellm-tray: notify-test: {notifier.error}", file=sys.stderr)
        return EXIT_UNDELIVERED
    print(f"notification delivered by {delivered_by}")
    for name, reason in notifier.skipped.items():
        print(f"  (skipped {name}: {reason})")
    return EXIT_DELIVERED
