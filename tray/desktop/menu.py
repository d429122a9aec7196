"""The tray menu: a plain model built from a `TrayState`, then turned into pystray items.

`build_menu(state)` is pure (tests read it without a display); `to_pystray(entries, act)`
makes the pystray `Menu` on the GUI thread. Actions are names with an argument
(``("open_request", id)``); the app maps them to what they do.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Sequence

from tray.state import TrayState, count, money

Action = tuple[str, Any]


@dataclass(frozen=True)
class Entry:
    """One menu line: a label, maybe an action, maybe a submenu; None label = separator."""

    text: str | None
    action: Action | None = None
    children: tuple["Entry", ...] = ()
    enabled: bool = True
    checked: bool | None = None
    default: bool = False


SEPARATOR = Entry(None)
#: Requests under way listed in the menu at most (the longest-running; the rest are counted).
UNDER_WAY_SHOWN = 10


def _info(text: str) -> Entry:
    return Entry(text, enabled=False)


def _at_most(items: Sequence[Entry], limit: int) -> tuple[Entry, ...]:
    """The first `limit` items, and a line counting the rest."""
    more = (_info(f"… and {len(items) - limit} more"),) if len(items) > limit else ()
    return tuple(items[:limit]) + more


def _ranked(values: Sequence[tuple[str, float]], limit: int = 15) -> tuple[Entry, ...]:
    return _at_most([_info(f"{name}  {money(amount)}") for name, amount in values], limit)


def build_menu(state: TrayState | None, *, now: float | None = None) -> list[Entry]:
    """The whole menu for `state` (None: not started yet)."""
    now = time.time() if now is None else now
    entries: list[Entry] = []
    if state is None:
        entries.append(_info("Starting…"))
    else:
        entries.append(_info(state.proxy_text))
        requests = f"Requests today: {state.requests_today:,} · {state.failed_today:,} failed"
        entries.append(_info(requests))
        since = f"Since start: {state.requests_since_start:,} · {state.failed_since_start:,} failed"
        if state.per_minute is not None:
            since += f" · {state.per_minute:,.1f}/min"
        entries.append(_info(since))
        if state.proxy_requests is not None:
            entries.append(_info(f"Proxy counted: {count(state.proxy_requests)} · {count(state.proxy_failed)} failed"))
        if state.tokens_total is not None:
            split = (f" (in {count(state.tokens_in)} / out {count(state.tokens_out)})"
                     if state.tokens_in is not None else "")
            entries.append(_info(f"Tokens: {count(state.tokens_total)}{split}"))
        spend = f"Spend today: {money(state.spend_today)}"
        if state.spend_total is not None:
            spend += f" · since proxy start {money(state.spend_total)}"
        entries.append(_info(spend))
        entries += [_info(f"Budget {line.text}") for line in state.budgets]
        entries.append(Entry("Spend by model", children=_ranked(state.spend_by_model) or (_info("no figures yet"),)))
        tag_items = _ranked(state.spend_by_tag) or (_info(state.spend_by_tag_error or "no tagged spend yet"),)
        entries.append(Entry("Spend by tag", children=tag_items))
        for error in state.errors[:4]:
            entries.append(_info(f"⚠ {error[:90]}"))
        if state.prompts_hint:
            entries.append(_info(state.prompts_hint))
        if state.notify_error:
            entries.append(_info(f"⚠ Notifications: {state.notify_error[:90]}"))
        entries.append(SEPARATOR)
        recent = tuple(Entry(p.label[:80], ("open_request", p.id)) for p in state.recent)
        entries.append(Entry("Recent prompts", children=recent or (_info("none yet"),)))
        if state.under_way:      # not in the store yet: shown, not opened
            running = [_info(f"since {p.label[:80]}") for p in state.under_way]
            entries.append(Entry(f"Under way ({len(running)})", children=_at_most(running, UNDER_WAY_SHOWN)))
        if state.last_alert is not None:
            entries.append(Entry(state.last_alert.label, open_action(state.last_alert.request_ids)))
    entries.append(Entry("Open viewer…", ("open_viewer", None), default=True))
    entries.append(Entry("Open log file", ("open_log", None)))
    entries.append(Entry("Open LiteLLM UI", ("open_ui", None)))
    entries.append(SEPARATOR)
    entries.append(_pause_menu(state, now))
    entries.append(Entry("Settings…", ("settings", None)))
    entries.append(Entry("Refresh now", ("refresh", None)))
    entries.append(SEPARATOR)
    entries.append(Entry("Quit", ("quit", None)))
    return entries


def open_action(request_ids: Sequence[str]) -> Action:
    """What opening an alert does: the viewer on its first request (the viewer takes one)."""
    return ("open_request", request_ids[0]) if request_ids else ("open_viewer", None)


def _pause_menu(state: TrayState | None, now: float) -> Entry:
    until = state.paused_until if state is not None else None
    paused = until is not None and until > now
    if paused:
        label = ("Notifications paused until resumed" if until == float("inf")
                 else f"Notifications paused until {datetime.fromtimestamp(until).strftime('%H:%M')}")
        children: tuple[Entry, ...] = (_info(label), Entry("Resume notifications", ("resume", None)))
    else:
        children = (Entry("For 15 minutes", ("pause", 15 * 60.0)), Entry("For 1 hour", ("pause", 3600.0)),
                    Entry("Until resumed", ("pause", None)))
    return Entry("Pause notifications", children=children, checked=paused)


def texts(entries: Sequence[Entry], depth: int = 0) -> list[str]:
    """The menu as indented lines (for tests and the menu dump)."""
    out = []
    for entry in entries:
        out.append("  " * depth + ("---" if entry.text is None else entry.text))
        out += texts(entry.children, depth + 1)
    return out


def to_json(entries: Sequence[Entry]) -> list[dict[str, Any]]:
    """The menu as JSON-ready data, for the panel that stands in where there is no menu."""
    return [{"text": e.text, "action": list(e.action) if e.action else None, "children": to_json(e.children),
             "enabled": e.enabled, "checked": e.checked, "default": e.default} for e in entries]


def from_json(data: Sequence[dict[str, Any]]) -> list[Entry]:
    return [Entry(d.get("text"), tuple(d["action"]) if d.get("action") else None,  # type: ignore[arg-type]
                  tuple(from_json(d.get("children") or ())), bool(d.get("enabled", True)),
                  d.get("checked"), bool(d.get("default", False))) for d in data]


def to_pystray(entries: Sequence[Entry], act: Callable[[Action], None]) -> Any:
    """pystray `Menu` items for `entries`; a click runs `act(action)`."""
    import pystray

    def item(entry: Entry) -> Any:
        if entry.text is None:
            return pystray.Menu.SEPARATOR
        if entry.children:
            return pystray.MenuItem(entry.text, pystray.Menu(*[item(c) for c in entry.children]))
        kwargs: dict[str, Any] = {"enabled": entry.enabled, "default": entry.default}
        if entry.checked is not None:
            kwargs["checked"] = _constant(entry.checked)
        return pystray.MenuItem(entry.text, _runner(act, entry.action) if entry.action else None, **kwargs)

    return [item(e) for e in entries]


def _runner(act: Callable[[Action], None], action: Action) -> Callable[[Any, Any], None]:
    def run(icon: Any, item: Any) -> None:  # pystray counts the arguments: exactly two
        act(action)
    return run


def _constant(value: bool) -> Callable[[Any], bool]:
    def get(item: Any) -> bool:
        return value
    return get
