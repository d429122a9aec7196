"""SQLite store: request records, follower checkpoints, retention, named migrations.

One row per request keyed by its id, so reading a file twice never duplicates a request.
A checkpoint is written in the same transaction as the rows it covers: after a crash the
follower resumes from a point whose rows are all stored. The file is private (mode 0600).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from tray.model import RECORD_KEYS, RequestRecord

#: Named, append-only migrations. Never edit one that has shipped; add the next.
MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
        "0001_requests",
        """
        CREATE TABLE requests (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            time TEXT, model TEXT, status TEXT NOT NULL, status_code INTEGER, error TEXT,
            prompt_tokens INTEGER, completion_tokens INTEGER, total_tokens INTEGER,
            cost REAL, latency_ms REAL, stream INTEGER NOT NULL DEFAULT 0,
            tags TEXT NOT NULL DEFAULT '[]', source TEXT NOT NULL DEFAULT '',
            preview TEXT NOT NULL DEFAULT '',
            messages TEXT NOT NULL DEFAULT '[]', response TEXT
        );
        CREATE INDEX requests_time ON requests(time);
        """,
    ),
    (
        "0002_checkpoints",
        """
        CREATE TABLE checkpoints (
            path TEXT PRIMARY KEY, device INTEGER NOT NULL, inode INTEGER NOT NULL,
            fingerprint TEXT NOT NULL, offset INTEGER NOT NULL, updated_at REAL NOT NULL
        );
        """,
    ),
    (
        "0003_log_facts",
        """
        CREATE TABLE log_facts (path TEXT PRIMARY KEY, formats TEXT NOT NULL, prompts_visible INTEGER NOT NULL);
        """,
    ),
    (
        "0004_spend_ledger",
        """
        CREATE TABLE spend_ledger (
            hour TEXT NOT NULL, source TEXT NOT NULL, scope TEXT NOT NULL, amount REAL NOT NULL,
            PRIMARY KEY (hour, source, scope)
        );
        CREATE TABLE spend_marks (source TEXT PRIMARY KEY, data TEXT NOT NULL, updated_at REAL NOT NULL);
        CREATE TABLE spend_seen (id TEXT PRIMARY KEY, hour TEXT NOT NULL);
        CREATE INDEX spend_seen_hour ON spend_seen(hour);
        CREATE TABLE budget_crossings (
            budget TEXT NOT NULL, period_start TEXT NOT NULL, threshold REAL NOT NULL,
            crossed_at TEXT NOT NULL, PRIMARY KEY (budget, period_start, threshold)
        );
        """,
    ),
    (
        "0005_access_marks",
        """
        ALTER TABLE requests ADD COLUMN access_at TEXT;
        CREATE INDEX requests_access_at ON requests(access_at);
        """,
    ),
    (
        "0006_endpoints",
        """
        ALTER TABLE requests ADD COLUMN endpoint TEXT;
        """,
    ),
)

#: Columns the list views read: everything but the message bodies and the response.
LIGHT_COLUMNS = ("id", "time", "model", "status", "status_code", "error", "prompt_tokens",
                 "completion_tokens", "total_tokens", "cost", "latency_ms", "stream", "tags",
                 "source", "preview")


@dataclass(frozen=True)
class Checkpoint:
    """Where a follower stopped in one file: its identity and the byte offset to resume at."""

    path: str
    device: int
    inode: int
    fingerprint: str
    offset: int


def _preview(record: RequestRecord) -> str:
    text = record.last_user_text.strip()
    return text.splitlines()[0][:200] if text else ""


def _row(record: RequestRecord) -> dict[str, Any]:
    data = record.to_json()
    data["stream"] = int(record.stream)
    data["tags"] = json.dumps(record.tags, ensure_ascii=False)
    data["messages"] = json.dumps(record.messages, ensure_ascii=False)
    data["preview"] = _preview(record)
    data["access_at"] = record.access_at
    data["endpoint"] = record.endpoint
    return data


def _record(row: sqlite3.Row) -> RequestRecord:
    data = dict(row)
    data["stream"] = bool(data.get("stream"))
    data["tags"] = json.loads(data.get("tags") or "[]")
    data["messages"] = json.loads(data["messages"]) if "messages" in data else []
    record = RequestRecord.from_json(data)
    record.endpoint = data.get("endpoint")
    return record


def _light_record(row: sqlite3.Row) -> RequestRecord:
    """A record without its bodies, the prompt's first line (its preview) standing for its
    messages: what the menu's recent prompts show."""
    record = _record(row)
    if row["preview"]:
        record.messages = [{"role": "user", "content": row["preview"]}]
    return record


def _create_private(path: Path) -> None:
    """Create the database file (and its folder) readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


class Store:
    """The app's SQLite database. Writers: the engine only; readers: anyone (read-only mode)."""

    def __init__(self, path: Path | str = ":memory:", retention: int = 10_000, readonly: bool = False):
        self.path = str(path)
        self.retention = retention
        self._lock = threading.Lock()
        if readonly:
            uri = f"file:{Path(self.path).resolve()}?mode=ro"
            self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
        else:
            if self.path != ":memory:":
                _create_private(Path(self.path))
            old_umask = os.umask(0o077)  # the -wal and -shm files are private too
            try:
                self._db = sqlite3.connect(self.path, check_same_thread=False)
                self._db.execute("PRAGMA journal_mode=WAL")
            finally:
                os.umask(old_umask)
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
        self._db.row_factory = sqlite3.Row

    # -- schema ------------------------------------------------------------------------------
    def _migrate(self) -> None:
        with self._db:
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT)"
            )
        done = {row[0] for row in self._db.execute("SELECT name FROM schema_migrations")}
        for name, sql in MIGRATIONS:
            if name in done:
                continue
            with self._db:
                self._db.executescript("BEGIN;" + sql + ";")
                self._db.execute(
                    "INSERT INTO schema_migrations VALUES (?, datetime('now'))", (name,)
                )

    def migrations(self) -> list[str]:
        return [row[0] for row in self._db.execute("SELECT name FROM schema_migrations ORDER BY name")]

    # -- writing -----------------------------------------------------------------------------
    def commit(self, records: Sequence[RequestRecord], checkpoint: Checkpoint | None = None) -> None:
        """Store `records` (insert or update by id) and then `checkpoint`, in one transaction."""
        columns = [key for key in RECORD_KEYS] + ["preview", "access_at", "endpoint"]
        placeholders = ", ".join(f":{c}" for c in columns)
        # A request read again (after a restart, or as later lines add to it) never loses a
        # fact it had: a value the new version lacks keeps the stored one.
        updates = ", ".join(f"{c}=COALESCE(excluded.{c}, requests.{c})" for c in columns if c != "id")
        sql = (
            f"INSERT INTO requests ({', '.join(columns)}) VALUES ({placeholders}) "
            f"ON CONFLICT(id) DO UPDATE SET {updates}"
        )
        with self._lock, self._db:
            if records:
                self._db.executemany(sql, [_row(r) for r in records])
                self._apply_retention()
            if checkpoint is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO checkpoints VALUES (?, ?, ?, ?, ?, strftime('%s','now'))",
                    (checkpoint.path, checkpoint.device, checkpoint.inode,
                     checkpoint.fingerprint, checkpoint.offset),
                )

    def _apply_retention(self) -> None:
        if self.retention <= 0:
            return
        row = self._db.execute(
            "SELECT seq FROM requests ORDER BY seq DESC LIMIT 1 OFFSET ?", (self.retention,)
        ).fetchone()
        if row is not None:
            self._db.execute("DELETE FROM requests WHERE seq <= ?", (row[0],))

    def prompts_seen(self, path: str) -> bool:
        """Whether an earlier read of this log found request bodies (prompts) in it."""
        row = self._db.execute("SELECT prompts_visible FROM log_facts WHERE path = ?", (path,)).fetchone()
        return bool(row and row[0])

    def set_log_facts(self, path: str, formats: Iterable[str], prompts_visible: bool) -> None:
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO log_facts VALUES (?, ?, ?)",
                (path, json.dumps(sorted(set(formats))), int(prompts_visible)),
            )

    # -- reading -----------------------------------------------------------------------------
    def checkpoint(self, path: str) -> Checkpoint | None:
        row = self._db.execute(
            "SELECT path, device, inode, fingerprint, offset FROM checkpoints WHERE path = ?", (path,)
        ).fetchone()
        return Checkpoint(*row) if row else None

    def access_marks(self, file_key: str) -> dict[str, str]:
        """Access lines of one file already given to a stored request: mark -> request id."""
        rows = self._db.execute("SELECT access_at, id FROM requests WHERE access_at LIKE ?",
                                (file_key.replace("%", "") + ":%",))
        return {row[0]: row[1] for row in rows}

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM requests").fetchone()[0])

    def recent(self, limit: int = 0, light: bool = False) -> list[RequestRecord]:
        """The last `limit` requests (0: all), oldest first. `light` leaves out bodies: each
        request's messages are then its prompt's first line alone (what the menu shows)."""
        columns = ", ".join(LIGHT_COLUMNS) if light else "*"
        sql = f"SELECT {columns} FROM requests ORDER BY seq DESC"
        rows = self._db.execute(sql + (" LIMIT ?" if limit > 0 else ""),
                                (limit,) if limit > 0 else ()).fetchall()
        make = _light_record if light else _record
        return [make(row) for row in reversed(rows)]

    def get(self, request_id: str) -> RequestRecord | None:
        row = self._db.execute("SELECT * FROM requests WHERE id = ?", (request_id,)).fetchone()
        return _record(row) if row else None

    def close(self) -> None:
        self._db.close()

    # -- viewer queries ----------------------------------------------------------------------
    # Read-only queries for the prompt viewer (tray/desktop/viewer), which runs in its own
    # process. They select the light columns plus `seq`, so a list never loads message bodies.

    def viewer_rows(
        self,
        *,
        text: str = "",
        model: str | None = None,
        status: str | None = None,
        status_code: int | None = None,
        tag: str | None = None,
        since: str | None = None,
        until: str | None = None,
        after_seq: int = 0,
        limit: int = 200,
    ) -> list[tuple[int, str, RequestRecord]]:
        """(seq, preview, light record) per request matching every filter; newest first.

        `limit` 0 means all. `text` is a substring of the messages, the response or the error (LIKE: case-insensitive
        for ASCII). The messages column is JSON, so the text is matched in its JSON-escaped form.
        `since` (inclusive) and `until` (exclusive) are ISO times compared as stored (UTC).
        `after_seq` makes a live poll cheap: only rows newer than the last seen are scanned.
        """
        where, params = ["seq > ?"], [after_seq]
        if text:
            in_json = self._like_pattern(json.dumps(text, ensure_ascii=False)[1:-1])
            raw = self._like_pattern(text)
            where.append("(messages LIKE ? ESCAPE '\\' OR response LIKE ? ESCAPE '\\'"
                         " OR error LIKE ? ESCAPE '\\')")
            params += [in_json, raw, raw]
        for column, value in (("model", model), ("status", status), ("status_code", status_code)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if tag is not None:
            where.append("EXISTS (SELECT 1 FROM json_each(requests.tags) WHERE value = ?)")
            params.append(tag)
        if since is not None:
            where.append("time >= ?")
            params.append(since)
        if until is not None:
            where.append("time < ?")
            params.append(until)
        sql = (f"SELECT seq, {', '.join(LIGHT_COLUMNS)} FROM requests WHERE {' AND '.join(where)}"
               " ORDER BY seq DESC")
        if limit > 0:
            sql += " LIMIT ?"
            params.append(limit)
        rows = self._db.execute(sql, params).fetchall()
        return [(int(row["seq"]), str(row["preview"] or ""), _record(row)) for row in rows]

    def last_seq(self) -> int:
        """The newest row's seq (0 when empty): where a live poll starts."""
        return int(self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM requests").fetchone()[0])

    def models(self) -> list[str]:
        """The distinct model names stored, for the viewer's model filter."""
        sql = "SELECT DISTINCT model FROM requests WHERE model IS NOT NULL ORDER BY model"
        return [row[0] for row in self._db.execute(sql)]

    def tags(self) -> list[str]:
        """The distinct tags stored, for the viewer's tag filter."""
        sql = "SELECT DISTINCT value FROM requests, json_each(requests.tags) ORDER BY value"
        return [str(row[0]) for row in self._db.execute(sql)]

    @staticmethod
    def _like_pattern(text: str) -> str:
        """`%text%` with LIKE's wildcards (and the escape character) taken literally."""
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return f"%{escaped}%"

    # -- spend ledger (migration 0004) ------------------------------------------------------------
    # Spend increments per UTC hour ("YYYY-MM-DDTHH"), source ("metrics" or "log") and scope
    # ("model:NAME", "tag:NAME"). Proxy counters reset on restart; these rows do not, so a
    # budget's period spend survives restarts of both the proxy and the app.

    def spend_marks(self, source: str) -> dict[str, float] | None:
        """The counter values last turned into ledger rows for `source`, or None before the first."""
        row = self._db.execute("SELECT data FROM spend_marks WHERE source = ?", (source,)).fetchone()
        return json.loads(row[0]) if row else None

    def add_spend(self, source: str, rows: Iterable[tuple[str, str, float]],
                  marks: dict[str, float] | None = None) -> None:
        """Add (hour, scope, amount) rows and, in the same transaction, the marks they lead to."""
        with self._lock, self._db:
            self._add_spend_rows(source, rows)
            if marks is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO spend_marks VALUES (?, ?, strftime('%s','now'))",
                    (source, json.dumps(marks)),
                )

    def add_spend_once(self, source: str, entries: Iterable[tuple[str, str, Sequence[tuple[str, float]]]]) -> int:
        """Add (id, hour, [(scope, amount)]) entries whose id was never added before; returns how many."""
        added = 0
        with self._lock, self._db:
            for entry_id, hour, scoped in entries:
                cursor = self._db.execute("INSERT OR IGNORE INTO spend_seen VALUES (?, ?)", (entry_id, hour))
                if cursor.rowcount == 1:
                    self._add_spend_rows(source, [(hour, scope, amount) for scope, amount in scoped])
                    added += 1
        return added

    def _add_spend_rows(self, source: str, rows: Iterable[tuple[str, str, float]]) -> None:
        self._db.executemany(
            "INSERT INTO spend_ledger VALUES (?, ?, ?, ?) "
            "ON CONFLICT(hour, source, scope) DO UPDATE SET amount = amount + excluded.amount",
            [(hour, source, scope, amount) for hour, scope, amount in rows if amount],
        )

    def spend_totals(self, source: str, start_hour: str, end_hour: str) -> dict[str, float]:
        """Spend per scope for hours in [start_hour, end_hour)."""
        rows = self._db.execute(
            "SELECT scope, SUM(amount) FROM spend_ledger WHERE source = ? AND hour >= ? AND hour < ? "
            "GROUP BY scope", (source, start_hour, end_hour),
        ).fetchall()
        return {row[0]: float(row[1]) for row in rows}

    def budget_crossings(self) -> set[tuple[str, str, float]]:
        """(budget, period start, threshold) already alerted."""
        rows = self._db.execute("SELECT budget, period_start, threshold FROM budget_crossings").fetchall()
        return {(row[0], row[1], float(row[2])) for row in rows}

    def mark_budget_crossings(self, crossed: Iterable[tuple[str, str, float]]) -> None:
        with self._lock, self._db:
            self._db.executemany(
                "INSERT OR IGNORE INTO budget_crossings VALUES (?, ?, ?, datetime('now'))", list(crossed)
            )

    def prune_spend(self, before_hour: str) -> None:
        """Forget ledger rows and seen ids older than `before_hour` (the longest period kept)."""
        with self._lock, self._db:
            self._db.execute("DELETE FROM spend_ledger WHERE hour < ?", (before_hour,))
            self._db.execute("DELETE FROM spend_seen WHERE hour < ?", (before_hour,))
