"""What the icon, the menu and `status` show, computed from records and proxy snapshots.

Pure: no GUI, no threads, no clock of its own. `RecordTally` accumulates finished requests
(the engine feeds it); `compute_state` turns a tally, the last proxy snapshot, the budgets'
statuses and the sources' errors into one `TrayState` the GUI only has to draw.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable, Sequence

from tray.alerts.types import Notification
from tray.model import BudgetStatus, ProxySnapshot, RequestRecord, StartedRequest

RECENT_PROMPTS = 10
UNDER_WAY_AFTER = 3.0        # seconds a request runs before the menu lists it as under way
UNDER_WAY_KEPT = 200         # requests under way remembered at most (the oldest are dropped)
#: A request under way longer than this is taken for one whose outcome the log will never hold
#: (the proxy died without a restart line, the lines were lost): it leaves the menu. LiteLLM's
#: own request timeout is at most 6000 s.
UNDER_WAY_FORGET = 7200.0
RATE_WINDOW = 300.0          # seconds of log records behind "req/min" when the proxy gives none
FAILURE_WINDOW = 900.0       # failures this recent make the icon a warning
WARN_FRACTION = 0.8          # a budget this far spent makes the icon a warning
PROMPTS_HINT = "Prompts not visible in this log: start LiteLLM with --detailed_debug"

Level = str  # "ok" | "warning" | "error" | "unknown"


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class RecentPrompt:
    """One line of the "Recent prompts" submenu."""

    id: str
    time: str          # local HH:MM:SS, or "" when the log gave none
    model: str
    words: str         # the first words of the last user message
    failed: bool

    @property
    def label(self) -> str:
        mark = "✗ " if self.failed else ""
        when = f"{self.time}  " if self.time else ""
        return f"{mark}{when}{self.model} · {self.words or '(no prompt text)'}"


def first_words(text: str, limit: int = 48) -> str:
    """The start of a prompt on one line, cut at a word boundary."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0] or flat[:limit]
    return cut + "…"


class RecordTally:
    """Finished requests as counts: today (local date), since the app started, the last few.

    `add` may get a record again (a re-read updates it): ids already counted are not counted twice.
    """

    def __init__(self, started_at: float, tz: timezone | None = None, keep_ids: int = 20_000) -> None:
        self.started_at = started_at
        self.tz = tz
        self.day: str | None = None
        self.today = 0
        self.failed_today = 0
        self.since_start = 0
        self.failed_since_start = 0
        self.cost_today = 0.0
        self.cost_known = False
        self.recent: deque[RequestRecord] = deque(maxlen=RECENT_PROMPTS)
        self.times: deque[tuple[float, bool]] = deque(maxlen=5000)   # (epoch, failed)
        #: requests seen starting and not finished yet: id -> (when seen, model, first words)
        self.under_way: dict[str, tuple[float, str, str]] = {}
        self._seen: dict[str, None] = {}
        self._keep = keep_ids

    def _day(self, epoch: float) -> str:
        return datetime.fromtimestamp(epoch, self.tz).date().isoformat() if self.tz else \
            datetime.fromtimestamp(epoch).date().isoformat()

    def roll(self, now: float) -> None:
        """Start a new day's counts when the local date has changed."""
        day = self._day(now)
        if day != self.day:
            self.day = day
            self.today = self.failed_today = 0
            self.cost_today = 0.0

    def start(self, started: Iterable[StartedRequest], now: float) -> None:
        """Requests seen starting: under way until their record comes."""
        for request_id, model, prompt in started:
            if request_id not in self._seen:
                self.under_way[request_id] = (now, model or "?", first_words(prompt))
        while self.under_way and (len(self.under_way) > UNDER_WAY_KEPT
                                  or now - next(iter(self.under_way.values()))[0] >= UNDER_WAY_FORGET):
            self.under_way.pop(next(iter(self.under_way)))

    def add(self, records: Iterable[RequestRecord], now: float, *, live: bool = True) -> None:
        """Count finished requests. `live` False: history from the store (not "since start")."""
        self.roll(now)
        for record in records:
            self.under_way.pop(record.id, None)
            if record.id in self._seen:
                continue
            self._seen[record.id] = None
            if len(self._seen) > self._keep:
                self._seen.pop(next(iter(self._seen)))
            moment = _parse_time(record.time)
            epoch = moment.timestamp() if moment else now
            failed = record.status == "error"
            if self._day(epoch) == self.day:
                self.today += 1
                self.failed_today += failed
                if record.cost is not None:
                    self.cost_today += record.cost
                    self.cost_known = True
            if live:
                self.since_start += 1
                self.failed_since_start += failed
                self.times.append((epoch, failed))
            elif epoch >= now - max(RATE_WINDOW, FAILURE_WINDOW):
                self.times.append((epoch, failed))
            self.recent.append(record)

    def per_minute(self, now: float) -> float:
        window = min(RATE_WINDOW, max(now - self.started_at, 60.0))
        return sum(1 for t, _ in self.times if now - window <= t <= now) / (window / 60.0)

    def recent_failures(self, now: float) -> int:
        return sum(1 for t, failed in self.times if failed and t >= now - FAILURE_WINDOW)


@dataclass(frozen=True)
class AlertLine:
    """The last notification, kept for the menu: where a platform cannot click notifications,
    its "Last alert…" item is the way to the requests it was about."""

    title: str
    time: str                      # local HH:MM
    request_ids: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        title = self.title if len(self.title) <= 60 else self.title[:59] + "…"
        return f"Last alert: {title} ({self.time})…"


def alert_line(notification: Notification | None, tz: timezone | None = None) -> AlertLine | None:
    if notification is None:
        return None
    when = datetime.fromtimestamp(notification.time, tz).strftime("%H:%M")
    return AlertLine(" ".join(notification.title.split()), when, tuple(notification.request_ids))


@dataclass(frozen=True)
class BudgetLine:
    scope: str
    text: str          # "Monthly $412 of $1,000 · 41 %"
    fraction: float


@dataclass(frozen=True)
class TrayState:
    """Everything the icon, its tooltip and its menu show."""

    level: Level
    proxy_url: str
    proxy_up: bool | None          # None: not polled yet
    proxy_text: str
    requests_today: int
    failed_today: int
    requests_since_start: int
    failed_since_start: int
    proxy_requests: float | None   # since the proxy started (its counters)
    proxy_failed: float | None
    per_minute: float | None
    tokens_total: float | None
    tokens_in: float | None
    tokens_out: float | None
    spend_today: float | None
    spend_total: float | None      # since the proxy started
    budgets: tuple[BudgetLine, ...] = ()
    spend_by_model: tuple[tuple[str, float], ...] = ()
    spend_by_tag: tuple[tuple[str, float], ...] = ()
    spend_by_tag_error: str | None = None
    recent: tuple[RecentPrompt, ...] = ()
    under_way: tuple[RecentPrompt, ...] = ()   # running over UNDER_WAY_AFTER s, oldest first
    errors: tuple[str, ...] = ()
    prompts_hint: str | None = None
    paused_until: float | None = None
    last_alert: AlertLine | None = None
    notify_error: str | None = None    # why the last notification could not be shown
    badge: int = 0                 # recent failures, for the icon's badge
    tooltip: str = ""


def money(value: float | None) -> str:
    if value is None:
        return "?"
    if abs(value) >= 100:
        return f"${value:,.0f}"
    if abs(value) >= 0.995 or value == 0:
        return f"${value:,.2f}"
    text = f"{value:.4f}".rstrip("0")
    return "$" + (text + "0" if len(text.split(".")[1]) < 2 else text)


def count(value: float | None) -> str:
    return "?" if value is None else f"{value:,.0f}"


def budget_text(status: BudgetStatus) -> str:
    """'Monthly $412 of $1,000 · 41 %', with the scope when it is not the global budget."""
    period = status.period.capitalize() if status.period.isalpha() else f"Per {status.period}"
    scope = "" if status.scope == "global" else f"{status.scope.split(':', 1)[-1]}: "
    return f"{scope}{period} {money(status.spent)} of {money(status.limit)} · {status.fraction * 100:.0f} %"


def _recent(records: Sequence[RequestRecord], tz: timezone | None) -> tuple[RecentPrompt, ...]:
    out = []
    for record in reversed(records):  # newest first
        moment = _parse_time(record.time)
        out.append(RecentPrompt(
            id=record.id,
            time=moment.astimezone(tz).strftime("%H:%M:%S") if moment else "",
            model=record.model or "?",
            words=first_words(record.last_user_text),
            failed=record.status == "error",
        ))
    return tuple(out)


def _under_way(tally: RecordTally, now: float, tz: timezone | None) -> tuple[RecentPrompt, ...]:
    """The requests running longer than UNDER_WAY_AFTER seconds (shorter ones would only flicker
    through the menu), the longest-running first."""
    return tuple(RecentPrompt(id=request_id, time=datetime.fromtimestamp(seen, tz).strftime("%H:%M:%S"),
                              model=model, words=words, failed=False)
                 for request_id, (seen, model, words) in tally.under_way.items()
                 if UNDER_WAY_AFTER <= now - seen < UNDER_WAY_FORGET)


def tooltip(state_requests: int, failed: int, spend: float | None, proxy_up: bool | None,
            proxy_error: str | None = None) -> str:
    """'LiteLLM: 1,204 req today · 3 failed · $4.12' (and the outage when the proxy is down)."""
    parts = [f"LiteLLM: {state_requests:,} req today", f"{failed:,} failed"]
    if spend is not None:
        parts.append(money(spend))
    if proxy_up is False:
        parts.append("proxy down" + (f": {proxy_error}" if proxy_error else ""))
    return " · ".join(parts)[:127]


def compute_state(tally: RecordTally, snapshot: ProxySnapshot | None, budgets: Sequence[BudgetStatus],
                  *, now: float, proxy_url: str, spend_today: float | None = None,
                  source_errors: Sequence[str] = (), prompts_visible: bool | None = None,
                  paused_until: float | None = None, last_alert: Notification | None = None,
                  notify_error: str | None = None, tz: timezone | None = None) -> TrayState:
    """The state to show now. `spend_today` comes from the ledger when the engine has one;
    `last_alert`/`notify_error` from the delivery of notifications (the menu shows both)."""
    tally.roll(now)
    metrics = snapshot.metrics if snapshot is not None else None
    errors = list(source_errors)
    if snapshot is not None:
        errors += [e for e in snapshot.errors if e not in errors]
    proxy_up = snapshot.health.up if snapshot is not None else None
    proxy_error = snapshot.health.error if snapshot is not None else None
    if proxy_up is None:
        proxy_text = f"Proxy {proxy_url}: checking…"
    elif proxy_up:
        latency = snapshot.health.latency_ms if snapshot is not None else None
        proxy_text = f"Proxy up · {proxy_url}" + (f" · {latency:.0f} ms" if latency is not None else "")
    else:
        proxy_text = f"Proxy DOWN · {proxy_error or 'no answer'}"
    per_minute: float | None
    if snapshot is not None and snapshot.rates is not None:
        per_minute = snapshot.rates.requests_per_min
    elif tally.times:
        per_minute = tally.per_minute(now)
    else:
        per_minute = None
    if spend_today is None and tally.cost_known:
        spend_today = tally.cost_today
    spend = snapshot.spend if snapshot is not None else None
    by_tag = tuple(sorted(spend.by_tag.items(), key=lambda kv: -kv[1])) if spend and spend.by_tag else ()
    by_model = tuple(sorted(metrics.spend_by_model.items(), key=lambda kv: -kv[1])) if metrics else ()
    budget_lines = tuple(BudgetLine(b.scope, budget_text(b), b.fraction) for b in budgets)
    failures = tally.recent_failures(now)
    if proxy_up is False or any(e.startswith("log:") for e in source_errors):
        level: Level = "error"
    elif failures or any(b.fraction >= WARN_FRACTION for b in budgets) or (snapshot and snapshot.metrics_error):
        level = "warning"
    elif proxy_up is None and not tally.since_start and not tally.today:
        level = "unknown"
    else:
        level = "ok"
    spend_shown = spend_today if spend_today is not None else (metrics.spend_total if metrics else None)
    return TrayState(
        level=level,
        proxy_url=proxy_url,
        proxy_up=proxy_up,
        proxy_text=proxy_text,
        requests_today=tally.today,
        failed_today=tally.failed_today,
        requests_since_start=tally.since_start,
        failed_since_start=tally.failed_since_start,
        proxy_requests=metrics.requests_total if metrics else None,
        proxy_failed=metrics.requests_failed if metrics else None,
        per_minute=per_minute,
        tokens_total=metrics.tokens_total if metrics else None,
        tokens_in=metrics.tokens_input if metrics else None,
        tokens_out=metrics.tokens_output if metrics else None,
        spend_today=spend_today,
        spend_total=metrics.spend_total if metrics else (spend.global_spend if spend else None),
        budgets=budget_lines,
        spend_by_model=by_model,
        spend_by_tag=by_tag,
        spend_by_tag_error=spend.by_tag_error if spend else None,
        recent=_recent(list(tally.recent), tz),
        under_way=_under_way(tally, now, tz),
        errors=tuple(errors),
        prompts_hint=PROMPTS_HINT if prompts_visible is False else None,
        paused_until=paused_until,
        last_alert=alert_line(last_alert, tz),
        notify_error=notify_error,
        badge=failures,
        tooltip=tooltip(tally.today, tally.failed_today, spend_shown, proxy_up, proxy_error),
    )
