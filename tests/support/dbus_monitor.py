"""What dbus-monitor prints of `org.freedesktop.Notifications.Notify` calls, read back.

The desktop tests read the monitor's log while dbus-monitor writes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class NotifyCall:
    """One `org.freedesktop.Notifications.Notify` call as dbus-monitor printed it."""

    app_name: str
    summary: str
    body: str
    actions: tuple[str, ...]
    expire_timeout: int


_ARG = re.compile(r"^   (string|uint32|int32|array) (.*?)(?=^   (?:string|uint32|int32|array) |\Z)",
                  re.M | re.S)


def parse_notify_calls(text: str) -> list[NotifyCall]:
    calls = []
    for block in re.split(r"^(?=method call |method return |signal |error )", text, flags=re.M):
        header, _, args = block.partition("\n")
        if not header.startswith("method call ") or not header.endswith("member=Notify"):
            continue
        values = [(kind, value.rstrip("\n")) for kind, value in _ARG.findall(args)]
        if not args.endswith("\n") or not values or values[-1][0] != "int32":
            continue    # dbus-monitor is still writing this call (its last argument: the timeout)
        strings = [v[1:-1] for k, v in values if k == "string"]
        actions = tuple(re.findall(r'^      string "(.*)"$', values[5][1], re.M)) if len(values) > 5 else ()
        expire = int(values[-1][1])
        calls.append(NotifyCall(strings[0], strings[2], strings[3], actions, expire))
    return calls
