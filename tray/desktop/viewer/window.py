"""The viewer's main window: find bar, request list, detail pane, status line.

Thin Tk over pure parts: `filters` reads the find bar, `ViewerSource` queries the store,
`Listing` holds and sorts the rows, `columns` renders cells, `export` writes files. Only this
(the GUI) thread touches widgets; the log reader hands its result over through a queue.
"""

from __future__ import annotations

import sqlite3
import tkinter as tk
from datetime import datetime, timezone
from pathlib import Path
from tkinter import filedialog, ttk
from typing import Any, Callable, TypeVar

from tray.desktop.viewer.columns import COLUMNS, cells
from tray.desktop.viewer.detail_pane import DetailPane
from tray.desktop.viewer.export import export
from tray.desktop.viewer.filters import STATUS_CHOICES, TIME_PRESETS, Filter, FilterError
from tray.desktop.viewer.ingest_task import LogIngest
from tray.desktop.viewer.listing import DEFAULT_LIMIT, Listing
from tray.desktop.viewer.probe import Probe
from tray.desktop.viewer.row import Row
from tray.desktop.viewer.source import ViewerSource

TITLE = "litellm-tray — prompts"
FAILED_COLOURS = {"foreground": "#b00020", "background": "#fde7ea"}
T = TypeVar("T")


class ViewerWindow:
    """Builds the widgets in `root` and keeps them in step with the store (polled every second)."""

    POLL_MS = 1000
    DEBOUNCE_MS = 250
    ACTION_NOTE_MS = 10_000

    def __init__(self, root: tk.Tk, source: ViewerSource, *, proxy_url: str,
                 limit: int = DEFAULT_LIMIT, request_id: str | None = None,
                 ingest: LogIngest | None = None, probe: Probe | None = None):
        self.root, self.source, self.ingest, self.probe = root, source, ingest, probe
        self.listing = Listing(limit)
        self.last_seq = 0
        self.query: dict[str, Any] | None = None  # None while the find bar cannot be read
        self.pending_request = request_id
        self.notes: dict[str, str] = {}
        self._jobs: dict[str, str] = {}
        self.vars = {name: tk.StringVar(root, value) for name, value in (
            ("text", ""), ("model", "any"), ("status", "any"), ("tag", "any"),
            ("time_range", "any time"), ("limit", str(limit)))}
        self.hidden = tk.BooleanVar(root, False)
        self.status = tk.StringVar(root, "Opening the store…")
        self._build(proxy_url)
        self._bind_keys()
        for var in self.vars.values():
            var.trace_add("write", lambda *_: self._schedule("reload", self.DEBOUNCE_MS, self.reload))
        if ingest is not None:
            self.notes["ingest"] = f"Reading {ingest.path.name}…"
        if probe is not None:  # widget positions change with layout: report them once it settles
            root.bind("<Configure>", lambda _: self._schedule("probe", 100, self._write_probe), add=True)
        root.after_idle(self.reload)
        self._schedule("poll", self.POLL_MS, self._poll)

    # -- layout ----------------------------------------------------------------------------------
    def _build(self, proxy_url: str) -> None:
        root = self.root
        root.title(TITLE)
        width, height = min(1200, root.winfo_screenwidth() - 40), min(780, root.winfo_screenheight() - 60)
        root.geometry(f"{width}x{height}+20+20")
        root.protocol("WM_DELETE_WINDOW", self.close)
        style = ttk.Style(root)
        if root.tk.call("tk", "windowingsystem") == "x11" and "clam" in style.theme_names():
            style.theme_use("clam")

        top = ttk.Frame(root, padding=(6, 6, 6, 2))
        top.pack(side="top", fill="x")
        ttk.Label(top, text="Find").pack(side="left")
        ttk.Button(top, text="Export…", command=self.export).pack(side="right")
        ttk.Checkbutton(top, text="Hide content", variable=self.hidden,
                        command=self._on_hidden).pack(side="right", padx=(10, 10))
        self.search = ttk.Entry(top, textvariable=self.vars["text"])
        self.search.pack(side="left", fill="x", expand=True, padx=(4, 0))

        filters = ttk.Frame(root, padding=(6, 2, 6, 4))
        filters.pack(side="top", fill="x")
        self.combos: dict[str, ttk.Combobox] = {}
        for name, label, values, width in (
            ("model", "Model", ["any"], 14), ("status", "Status", list(STATUS_CHOICES), 7),
            ("tag", "Tag", ["any"], 12), ("time_range", "Time", list(TIME_PRESETS), 16),
        ):
            ttk.Label(filters, text=label).pack(side="left", padx=(0, 3))
            combo = ttk.Combobox(filters, textvariable=self.vars[name], values=values, width=width)
            combo.pack(side="left", padx=(0, 12))
            self.combos[name] = combo
        self.combos["model"].configure(postcommand=lambda: self._offer("model", self.source.models))
        self.combos["tag"].configure(postcommand=lambda: self._offer("tag", self.source.tags))
        ttk.Label(filters, text="Show newest").pack(side="left", padx=(0, 3))
        ttk.Spinbox(filters, textvariable=self.vars["limit"], from_=0, to=1_000_000, increment=100,
                    width=7).pack(side="left")
        ttk.Label(filters, text="(0: all)").pack(side="left", padx=(3, 0))

        ttk.Label(root, textvariable=self.status, anchor="w", padding=(6, 2)).pack(side="bottom", fill="x")
        panes = ttk.PanedWindow(root, orient="vertical")
        panes.pack(side="top", fill="both", expand=True, padx=6)
        panes.add(self._build_list(panes), weight=3)
        self.detail = DetailPane(panes, proxy_url, notify=lambda text: self._note("action", text))
        panes.add(self.detail, weight=2)
        self.detail.show(None, False)

    def _build_list(self, master: tk.Misc) -> ttk.Frame:
        frame = ttk.Frame(master)
        self.tree = ttk.Treeview(frame, columns=[c.key for c in COLUMNS], show="headings",
                                 selectmode="browse", height=12)
        for c in COLUMNS:
            self.tree.heading(c.key, text=c.title, command=lambda key=c.key: self._sort_by(key))
            self.tree.column(c.key, width=c.width, anchor=c.anchor, stretch=c.key == "prompt")
        self.tree.tag_configure("failed", **FAILED_COLOURS)
        bar = ttk.Scrollbar(frame, orient="vertical", command=self.tree.yview)
        self.tree.configure(yscrollcommand=bar.set)
        bar.pack(side="right", fill="y")
        self.tree.pack(side="left", fill="both", expand=True)
        self.tree.bind("<<TreeviewSelect>>", lambda _: self._show_selected())
        return frame

    def _bind_keys(self) -> None:
        root = self.root
        for key in ("<Control-f>", "<Control-F>"):
            root.bind_all(key, lambda _: self.focus_search())
        root.bind_all("<Control-e>", lambda _: self.export())
        root.bind_all("<Control-H>", lambda _: self.toggle_hidden())  # Ctrl+Shift+H
        for key in ("<Control-q>", "<Control-w>"):
            root.bind_all(key, lambda _: self.close())
        self.search.bind("<Escape>", lambda _: self._escape_search())
        self.search.bind("<Return>", lambda _: self._search_now())
        self.search.bind("<Down>", lambda _: self.focus_list())
        self.tree.bind("<Return>", lambda _: self.detail.conversation.focus_set())
        for text in (self.detail.conversation, self.detail.meta, self.detail.raw):
            text.bind("<Escape>", lambda _: self.focus_list())

    # -- keyboard --------------------------------------------------------------------------------
    def focus_search(self) -> str:
        self.search.focus_set()
        self.search.select_range(0, "end")
        return "break"

    def focus_list(self) -> str:
        self.tree.focus_set()
        children = self.tree.get_children()
        current = self.tree.selection() or children[:1]
        if current:
            self.tree.selection_set(current[0])
            self.tree.focus(current[0])
            self.tree.see(current[0])
        return "break"

    def toggle_hidden(self) -> None:
        """Hide or show prompt and response texts (for screen sharing)."""
        self.hidden.set(not self.hidden.get())
        self._on_hidden()

    def _escape_search(self) -> str:
        if self.vars["text"].get():
            self.vars["text"].set("")
        return self.focus_list()

    def _search_now(self) -> str:
        self.reload()
        return self.focus_list()

    # -- data ------------------------------------------------------------------------------------
    def reload(self) -> None:
        """Run the find bar's query afresh (after a change to it)."""
        self._jobs.pop("reload", None)
        try:
            self.query = self._filter().query(datetime.now(timezone.utc))
            self.listing.limit = self._limit()
        except FilterError as exc:
            self.query = None
            self._note("problem", str(exc))
            return
        self.notes.pop("problem", None)
        result = self._read(self.source.rows, self.query, self.listing.limit)
        if result is not None:
            rows, self.last_seq = result
            self.listing.replace(rows)
            self._render()
            self._open_pending()

    def _poll(self) -> None:
        """Every second: the log reader's outcome, then rows newer than the last seen."""
        self._schedule("poll", self.POLL_MS, self._poll)
        self._check_ingest()
        if self.query is None:
            return
        result = self._read(self.source.rows, self.query, self.listing.limit, self.last_seq)
        if result is None:
            return
        rows, self.last_seq = result
        if rows:
            self._render(added=self.listing.merge(rows))
        self._open_pending()

    def _check_ingest(self) -> None:
        outcome = self.ingest.poll() if self.ingest else None
        if outcome is None:
            return
        name = outcome.path.name
        self._note("ingest", f"Could not read {name}: {outcome.error}" if outcome.error
                   else f"Finished reading {name}")

    def _open_pending(self) -> None:
        """Show the request asked for with --request, once it is stored."""
        request_id = self.pending_request
        if not request_id:
            return
        if self.tree.exists(request_id):
            self.pending_request = None
            self.tree.selection_set(request_id)
            self.tree.focus(request_id)
            self.tree.see(request_id)
            return
        record = self._read(self.source.record, request_id)
        if record is not None:
            self.pending_request = None
            self.detail.show(record, self.hidden.get())
            self._write_probe()
        elif not (self.ingest and self.ingest.running()) and self.source.ready:
            self.pending_request = None
            self._note("problem", f"Request {request_id} is not in the store.")

    def _read(self, action: Callable[..., T], *args: Any) -> T | None:
        """Run a store query; a store that cannot be read is reported, and the window stays."""
        try:
            return action(*args)
        except sqlite3.Error as exc:
            self._note("problem", f"Cannot read the store {self.source.path}: {exc}")
            return None

    def _filter(self) -> Filter:
        values = {name: var.get() for name, var in self.vars.items() if name != "limit"}
        return Filter(**values)

    def _limit(self) -> int:
        value = self.vars["limit"].get().strip() or str(DEFAULT_LIMIT)
        if not value.isdigit():
            raise FilterError(f"show {value!r}: a number of requests (0 for all)")
        return int(value)

    def _offer(self, name: str, values: Callable[[], list[str]]) -> None:
        found = self._read(values)
        self.combos[name].configure(values=["any", *(found or [])])

    # -- list ------------------------------------------------------------------------------------
    def _render(self, added: list[Row] | None = None) -> None:
        """Redraw the list; with `added` (a live poll), insert only those rows in their place."""
        tree, hidden = self.tree, self.hidden.get()
        order = self.listing.rows()
        if added is None:
            selected, focused = tree.selection(), tree.focus()
            tree.delete(*tree.get_children())
            for row in order:
                tree.insert("", "end", iid=row.id, values=cells(row, hidden), tags=self._tags(row))
            keep = [iid for iid in selected if tree.exists(iid)]
            if keep:
                tree.selection_set(keep)
            if focused and tree.exists(focused):  # arrow keys go on from where they were
                tree.focus(focused)
                tree.see(focused)
        else:
            held = {row.id for row in order}
            stale = [iid for iid in tree.get_children() if iid not in held]
            if stale:
                tree.delete(*stale)
            new = {row.id for row in added}
            for index, row in enumerate(order):
                if row.id in new:
                    tree.insert("", index, iid=row.id, values=cells(row, hidden), tags=self._tags(row))
        self._headings()
        self._count()
        self._write_probe()

    @staticmethod
    def _tags(row: Row) -> tuple[str, ...]:
        return ("failed",) if row.failed else ()

    def _headings(self) -> None:
        arrow = " ▼" if self.listing.descending else " ▲"
        for c in COLUMNS:
            self.tree.heading(c.key, text=c.title + (arrow if c.key == self.listing.sort else ""))

    def _count(self) -> None:
        if not self.source.ready:
            self._note("count", f"No store yet at {self.source.path}; waiting for requests")
            return
        stored = self._read(self.source.count) or 0
        shown = len(self.listing)
        scope = "matching" if self._filter().narrows else "newest"
        self._note("count", f"{shown:,} {scope} of {stored:,} stored requests · following live")

    def _sort_by(self, key: str) -> None:
        self.listing.sort_by(key)
        self._render()

    def _show_selected(self) -> None:
        selection = self.tree.selection()
        record = self._read(self.source.record, selection[0]) if selection else None
        note = "This request is no longer stored." if selection and record is None else ""
        self.detail.show(record, self.hidden.get(), note)
        self._write_probe()

    def _on_hidden(self) -> None:
        self._render()
        self._show_selected()

    # -- actions ---------------------------------------------------------------------------------
    def export(self) -> None:
        """Write the listed requests, in list order, as JSON Lines or CSV (by the name's suffix)."""
        name = filedialog.asksaveasfilename(
            parent=self.root, title="Export the listed requests", initialfile="litellm-requests.jsonl",
            defaultextension=".jsonl",
            filetypes=[("JSON Lines", "*.jsonl"), ("CSV", "*.csv"), ("All files", "*")],
        )
        if not name:
            return
        records = self._read(self.source.records, [row.id for row in self.listing.rows()])
        try:
            count = export(Path(name), records or [])
        except OSError as exc:
            self._note("action", f"Could not export to {name}: {exc}")
            return
        self._note("action", f"Exported {count:,} requests to {name} (readable by you only)")

    def close(self) -> None:
        for job in self._jobs.values():
            self.root.after_cancel(job)
        self._jobs.clear()
        if self.ingest is not None:
            self.ingest.join(timeout=1.0)
        self.source.close()
        self.root.destroy()

    # -- plumbing --------------------------------------------------------------------------------
    def _schedule(self, name: str, delay_ms: int, action: Callable[[], None]) -> None:
        """Run `action` once after `delay_ms`, replacing an earlier call of the same name."""
        if name in self._jobs:
            self.root.after_cancel(self._jobs[name])
        self._jobs[name] = self.root.after(delay_ms, action)

    def _note(self, kind: str, text: str) -> None:
        """Set one part of the status line: count, ingest, action or problem (actions fade)."""
        self.notes[kind] = text
        if kind == "action" and text:
            self._schedule("fade", self.ACTION_NOTE_MS, lambda: self._note("action", ""))
        order = ("problem", "action", "ingest", "count")
        self.status.set("  ·  ".join(self.notes[k] for k in order if self.notes.get(k)))
        self._write_probe()

    def _write_probe(self) -> None:
        if self.probe is None:
            return
        tree = self.tree
        children = tree.get_children()
        self.probe.write({
            "title": self.root.title(),
            "ids": list(children),
            "rows": [[str(value) for value in tree.item(iid, "values")] for iid in children],
            "failed": [iid for iid in children if "failed" in tree.item(iid, "tags")],
            "selected": list(tree.selection()),
            "detail": self.detail.conversation_text(),
            "raw": self.detail.raw.get("1.0", "end-1c"),
            "status": self.status.get(),
            "hidden": bool(self.hidden.get()),
            "buttons": {label: [button.winfo_rootx() + button.winfo_width() // 2,
                                button.winfo_rooty() + button.winfo_height() // 2]
                        for label, button in self.detail.buttons.items()},
        })
