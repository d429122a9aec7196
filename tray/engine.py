"""The engine: owns the worker threads and turns their output into state, store rows and alerts.

Threads, each named, owned, stoppable by one Event and joined with a timeout:

- ``tray-log``     follows LiteLLM's log into the store (`LogIngestor.run`)
- ``tray-poll``    polls the proxy, waiting longer while it is down (`Backoff`); records spend
- ``tray-core``    the only user of the `Notifier` and of the `RecordTally`: takes events from
                   the others through a queue, ticks the alert rules, computes the `TrayState`
- ``tray-notify``  delivers notifications (a backend may take seconds)

`deliver(notification)` returns None when the notification was shown, or the reason it
could not be (the menu shows that reason: a failed delivery is never fatal).

The GUI gets each new `TrayState` through `on_state` (called on the core thread: the GUI
must hand it over to its own thread) and never calls into the sources. Nothing here imports
a GUI toolkit.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Callable, Mapping

import httpx

from tray.alerts.notifier import Notifier
from tray.alerts.types import BudgetUpdate, Notification, ProxyPoll, RequestSeen, SourceStatus
from tray.config import Budget, ConfigError, Settings
from tray.logs.ingest import LogIngestor
from tray.model import BudgetStatus, ProxySnapshot, RequestRecord, StartedRequest
from tray.proxy.backoff import Backoff
from tray.proxy.budgets import budget_key, budget_window, evaluate, scope_of
from tray.proxy.client import ProxyClient, ProxyError
from tray.proxy.ledger import ledger_spent, record_log, record_metrics
from tray.proxy.litellm_config import find_master_key, read_litellm_config
from tray.proxy.periods import EPOCH
from tray.proxy.poll import poll_once
from tray.proxy.spend import SpendUnavailable, spend_by_tag
from tray.redact import redact
from tray.state import RecordTally, TrayState, compute_state
from tray.store import Store

log = logging.getLogger(__name__)

RECORD_BATCHES = 16      # record batches the log thread may queue ahead of the core
BACKFILL = 200           # requests taken from the end of a log seen for the first time
SPEND_EVERY = 3          # poll the database endpoints every this many polls (they cost a query)
TICK_SECONDS = 1.0
_TODAY = Budget("global", 0.0, "daily")


@dataclass
class _Poll:
    snap: ProxySnapshot
    budgets: list[BudgetStatus]
    spend_today: float | None
    errors: list[str]


class Engine:
    """Builds the sources from `settings`, runs them, and publishes `TrayState`s."""

    def __init__(self, settings: Settings, *, on_state: Callable[[TrayState], None] | None = None,
                 deliver: Callable[[Notification], Any] | None = None, store: Store | None = None,
                 transport: httpx.BaseTransport | None = None, environ: Mapping[str, str] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.on_state = on_state
        self.deliver = deliver
        self.clock = clock
        self.started_at = clock()
        self.config_errors: list[str] = []
        config = None
        try:
            config = read_litellm_config(settings.litellm_config, environ, settings.env_file)
        except ConfigError as exc:
            self.config_errors.append(f"LiteLLM config: {exc}")
        self.key = find_master_key(settings, config, environ)
        self.budgets: tuple[Budget, ...] = tuple(settings.budgets) + tuple(config.budgets if config else ())
        self.store = store if store is not None else Store(settings.store_path, settings.retention)
        self._own_store = store is None
        self.client = ProxyClient.from_settings(settings, self.key, transport=transport)
        self.secrets = tuple(s for s in (self.key, *self.client.secrets) if s)
        self.notifier = Notifier.from_settings(settings)
        self._prime_budget_alerts()
        self.tally = RecordTally(self.started_at)
        self.ingestor = LogIngestor(settings.log_path, self.store, secrets=self.secrets,
                                    max_line_bytes=settings.max_line_bytes, backfill=BACKFILL,
                                    on_records=self._on_records, on_started=self._on_started)
        self.backoff = Backoff(interval=settings.poll_seconds)
        self.state: TrayState | None = None
        self.polls = 0
        self._events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._record_slots = threading.Semaphore(RECORD_BATCHES)   # batches queued at most
        self._outbox: queue.Queue[Notification | None] = queue.Queue()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self._poll: _Poll | None = None
        self._log_error: str | None = None
        self.last_alert: Notification | None = None   # for the menu's "Last alert…" item
        self.notify_error: str | None = None          # the menu says when notifications fail

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> "Engine":
        self._prime()
        targets = {
            "tray-log": lambda: self.ingestor.run(self._stop, self.settings.follow_poll_seconds),
            "tray-poll": self._poll_loop,
            "tray-core": self._core_loop,
            "tray-notify": self._notify_loop,
        }
        for name, target in targets.items():
            thread = threading.Thread(target=self._guarded(name, target), name=name, daemon=True)
            self._threads.append(thread)
            thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> list[str]:
        """Stop every thread within `timeout` seconds in all; returns the names still running."""
        self._stop.set()
        self._wake.set()
        self._events.put(("stop", None))
        self._outbox.put(None)
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        alive = [t.name for t in self._threads if t.is_alive()]
        if alive:
            log.warning("threads still running after %.1f s: %s", timeout, ", ".join(alive))
        self.client.close()
        if self._own_store and not alive:
            self.store.close()
        return alive

    @property
    def threads(self) -> list[threading.Thread]:
        return list(self._threads)

    def _guarded(self, name: str, target: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                target()
            except Exception:  # noqa: BLE001 - a failing source is shown, the app keeps running
                log.exception("%s stopped by an error", name)
        return run

    # -- requests from the GUI (any thread) -----------------------------------------------------
    def refresh_now(self) -> None:
        self._wake.set()
        self._events.put(("refresh", None))

    def pause_notifications(self, seconds: float | None) -> None:
        """Hold notifications for `seconds`, or until `resume_notifications` when None."""
        self._events.put(("pause", seconds))

    def resume_notifications(self) -> None:
        self._events.put(("resume", None))

    # -- sources -------------------------------------------------------------------------------
    def _prime(self) -> None:
        """Today's requests already in the store count as today's, not as "since start"."""
        try:
            self.tally.add(self.store.recent(500, light=True), self.clock(), live=False)
        except Exception:  # noqa: BLE001
            log.exception("could not read the store's recent requests")

    def _on_records(self, records: list[RequestRecord]) -> None:
        """Called on the log thread; waits while the core is behind (a catch-up of a big log
        must not pile every record up in memory)."""
        while not self._stop.is_set():
            if self._record_slots.acquire(timeout=0.2):
                self._events.put(("records", records))
                return

    def _on_started(self, started: list[StartedRequest]) -> None:
        self._events.put(("started", started))

    def _poll_loop(self) -> None:
        previous: ProxySnapshot | None = None
        while not self._stop.is_set():
            self._wake.clear()
            result = self.poll(previous)
            if result.snap.health.up:
                previous = result.snap
            self._events.put(("poll", result))
            delay = self.backoff.after(result.snap.health.up)
            self._wake.wait(delay)

    def poll(self, previous: ProxySnapshot | None = None) -> _Poll:
        """One poll: the proxy, then the ledger and the budgets."""
        with_spend = self.polls % SPEND_EVERY == 0
        self.polls += 1
        snap = poll_once(self.client, previous, spend=with_spend, clock=self.clock)
        if not with_spend and self._poll is not None and snap.health.up:
            snap.spend = self._poll.snap.spend   # keep the last spend figures between their polls
        now = datetime.fromtimestamp(self.clock(), timezone.utc)
        errors: list[str] = []
        statuses: list[BudgetStatus] = []
        spend_today: float | None = None
        try:
            if snap.metrics is not None:
                record_metrics(self.store, snap.metrics, now)
            statuses = evaluate(self.budgets, self._spent_fn(snap, now), now, errors)
            spend_today = ledger_spent(self.store, _TODAY, budget_window(_TODAY, now))
        except Exception as exc:  # noqa: BLE001 - the ledger is a nice-to-have
            log.exception("budget update failed")
            errors.append(f"budgets: {type(exc).__name__}: {exc}")
        return _Poll(snap, statuses, spend_today, errors)

    def _spent_fn(self, snap: ProxySnapshot, now: datetime) -> Callable[[Budget, Any], float | None]:
        """Ledger spend; tag budgets from LiteLLM's database over the period when it has one."""
        cache: dict[tuple[date | None, date | None], dict[str, float] | None] = {}
        has_db = snap.spend is not None and snap.spend.has_database

        def spent(budget: Budget, win: Any) -> float | None:
            amount = ledger_spent(self.store, budget, win)
            if not budget.scope.startswith("tag:") or not has_db:
                return amount
            dates = (None, None) if win.start == EPOCH else (win.start.date(), now.date())
            if dates not in cache:
                try:
                    cache[dates] = spend_by_tag(self.client, *dates)
                except (SpendUnavailable, ProxyError):
                    cache[dates] = None
            by_tag = cache[dates]
            return by_tag.get(budget.scope[4:], 0.0) if by_tag is not None else amount

        return spent

    # -- the core: alerts and state ---------------------------------------------------------------
    def _core_loop(self) -> None:
        last_tick = 0.0
        while not self._stop.is_set():
            try:
                kind, data = self._events.get(timeout=TICK_SECONDS)
            except queue.Empty:
                kind, data = "tick", None
            if kind == "stop":
                break
            now = self.clock()
            self.handle(kind, data, now)
            if kind == "records":
                self._record_slots.release()
            if now - last_tick >= TICK_SECONDS:
                last_tick = now
                self._send(self.notifier.tick(now))
                self._check_log_source(now)
            self.publish(now)

    def handle(self, kind: str, data: Any, now: float) -> None:
        """One event from a source or the GUI (the core thread, or a test, calls this)."""
        if kind == "records":
            records: list[RequestRecord] = data
            self.tally.add(records, now)
            try:
                record_log(self.store, records, datetime.fromtimestamp(now, timezone.utc))
            except Exception:  # noqa: BLE001
                log.exception("could not add log costs to the ledger")
            for record in records:
                self._send(self.notifier.feed(record, now))
        elif kind == "started":
            self.tally.start(data, now)
            for request_id, model, prompt in data:
                self._send(self.notifier.feed(RequestSeen(request_id, model, now, prompt), now))
        elif kind == "poll":
            result: _Poll = data
            previous = self._poll
            self._poll = result
            snap = result.snap
            self._send(self.notifier.feed(ProxyPoll(snap.health.up, snap.health.error), now))
            if snap.health.up:
                was = previous.snap.metrics_error if previous is not None else None
                if snap.metrics_error != was:
                    self._send(self.notifier.feed(
                        SourceStatus("metrics", snap.metrics_error is None, snap.metrics_error), now))
            for status in result.budgets:
                self._send(self.notifier.feed(BudgetUpdate(
                    scope=status.scope, fraction=status.fraction, period=status.period,
                    spent=status.spent, limit=status.limit, period_key=status.period_start or None), now))
            self._remember_budget_alerts(result.budgets)
        elif kind == "delivered":
            self.last_alert, self.notify_error = data
        elif kind == "pause":
            self.notifier.pause(now, data)
        elif kind == "resume":
            self._send(self.notifier.resume(now))

    def _prime_budget_alerts(self) -> None:
        """A threshold alerted before a restart is not alerted again in the same period."""
        try:
            crossed = self.store.budget_crossings()
        except Exception:  # noqa: BLE001 - a fresh or damaged store: nothing to remember
            log.exception("could not read the budget alerts already sent")
            return
        for key, period_start, threshold in crossed:
            self.notifier.rules.budget.prime(scope_of(key), period_start, {threshold})

    def _remember_budget_alerts(self, statuses: list[BudgetStatus]) -> None:
        fired = [(budget_key(s.scope, s.period), s.period_start, t)
                 for s in statuses if s.period_start
                 for t in self.notifier.rules.budget.fired(s.scope)]
        if fired:
            try:
                self.store.mark_budget_crossings(fired)
            except Exception:  # noqa: BLE001
                log.exception("could not remember the budget alerts sent")

    def _check_log_source(self, now: float) -> None:
        error = self.ingestor.error
        if error != self._log_error:
            self._log_error = error
            self._send(self.notifier.feed(SourceStatus("log", error is None, error), now))

    def compute(self, now: float) -> TrayState:
        poll = self._poll
        errors = list(self.config_errors)
        if self._log_error:
            errors.append(f"log: {self._log_error}")
        if poll is not None:
            errors += poll.errors
        visible = self.ingestor.prompts_visible if self.ingestor.total else None
        state = compute_state(
            self.tally, poll.snap if poll else None, poll.budgets if poll else [], now=now,
            proxy_url=self.settings.proxy_url, spend_today=poll.spend_today if poll else None,
            source_errors=[redact(e, self.secrets) or "" for e in errors], prompts_visible=visible,
            paused_until=self.notifier.paused_until, last_alert=self.last_alert,
            notify_error=redact(self.notify_error, self.secrets) if self.notify_error else None,
        )
        return state

    def publish(self, now: float) -> TrayState:
        state = self.compute(now)
        changed = state != self.state
        self.state = state
        if changed and self.on_state is not None:
            try:
                self.on_state(state)
            except Exception:  # noqa: BLE001 - a GUI error must not stop the engine
                log.exception("on_state failed")
        return state

    def _send(self, notifications: list[Notification]) -> None:
        for notification in notifications:
            self._outbox.put(notification)

    def _notify_loop(self) -> None:
        while True:
            notification = self._outbox.get()
            if notification is None or self._stop.is_set():
                return
            error: str | None = None
            if self.deliver is not None:
                try:
                    result = self.deliver(notification)
                    error = result if isinstance(result, str) else None
                except Exception as exc:  # noqa: BLE001
                    log.exception("notification delivery failed")
                    error = f"{type(exc).__name__}: {exc}"
            self._events.put(("delivered", (notification, error)))
