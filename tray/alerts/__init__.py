"""Pure alert rules and grouping: what deserves a notification, and how few to show.

Knows nothing of GUIs; the engine feeds it events with the current time and hands the
returned `Notification`s to the desktop layer (`tray.desktop.notify`).
"""

from tray.alerts.notifier import Notifier
from tray.alerts.rules import Rules
from tray.alerts.grouping import Grouper
from tray.alerts.schedule import QuietHours
from tray.alerts.types import (
    Alert,
    BudgetUpdate,
    Event,
    Notification,
    ProxyPoll,
    RequestSeen,
    Severity,
    SourceStatus,
)

__all__ = [
    "Alert", "BudgetUpdate", "Event", "Grouper", "Notification", "Notifier", "ProxyPoll",
    "QuietHours", "RequestSeen", "Rules", "Severity", "SourceStatus",
]
