"""The detail pane: one request's conversation, metadata and raw JSON, with copy buttons.

Thin Tk: the texts come from `conversation`, the curl command from `curl`; this only lays
them out, colours them by role, and puts what a button names on the clipboard.
"""

from __future__ import annotations

import tkinter as tk
from tkinter import ttk
from typing import Callable

from tray.desktop.viewer.conversation import (
    Block, block_copy_text, blocks, metadata, raw_json, request_json,
)
from tray.desktop.viewer.curl import curl_command
from tray.model import RequestRecord

ROLE_COLOURS = {
    "system": "#6b6b6b", "user": "#1f5fbf", "assistant": "#1d7a35", "tool": "#7a3fa0",
    "function": "#7a3fa0", "response": "#1d7a35", "error": "#b00020",
}

PLACEHOLDER = ("Select a request to see it here.\n\n"
               "Keys: ↑ ↓ move · Enter read the detail · Esc back to the list · Ctrl+F find · "
               "Ctrl+E export · Ctrl+Shift+H hide content · Ctrl+W close")


def _scrolled_text(master: tk.Misc, **options: object) -> tk.Text:
    """A read-only Text with a vertical scrollbar, packed into its own frame in `master`."""
    frame = ttk.Frame(master)
    text = tk.Text(frame, wrap="word", borderwidth=0, padx=8, pady=6, undo=False, height=10,
                   **options)
    bar = ttk.Scrollbar(frame, orient="vertical", command=text.yview)
    text.configure(yscrollcommand=bar.set, state="disabled")
    bar.pack(side="right", fill="y")
    text.pack(side="left", fill="both", expand=True)
    return text


class DetailPane(ttk.Frame):
    """Shows one record; `notify` reports what was copied (for the status bar)."""

    def __init__(self, master: tk.Misc, proxy_url: str, notify: Callable[[str], None]):
        super().__init__(master)
        self.proxy_url = proxy_url
        self.notify = notify
        self.record: RequestRecord | None = None
        self._blocks: list[Block] = []
        self._clicked: Block | None = None

        bar = ttk.Frame(self)
        bar.pack(side="top", fill="x", pady=(2, 2))
        self.buttons: dict[str, ttk.Button] = {}
        for label, action in (("Copy message", self.copy_message), ("Copy response", self.copy_response),
                              ("Copy as JSON", self.copy_json), ("Copy as curl", self.copy_curl)):
            self.buttons[label] = ttk.Button(bar, text=label, command=action)
            self.buttons[label].pack(side="left", padx=(0, 4))
        self.notebook = ttk.Notebook(self)
        self.notebook.pack(side="top", fill="both", expand=True)
        self.conversation = _scrolled_text(self.notebook, font="TkTextFont")
        self.meta = _scrolled_text(self.notebook, font="TkTextFont")
        self.raw = _scrolled_text(self.notebook, font="TkFixedFont")
        for text, title in ((self.conversation, "Conversation"), (self.meta, "Metadata"),
                            (self.raw, "Raw JSON")):
            self.notebook.add(text.master, text=title)
        for kind, colour in ROLE_COLOURS.items():
            self.conversation.tag_configure(f"head-{kind}", foreground=colour, font="TkHeadingFont",
                                            spacing1=10, spacing3=2)
        self.conversation.tag_configure("body", lmargin1=12, lmargin2=12)
        self.conversation.tag_configure("code", font="TkFixedFont")
        self.meta.tag_configure("label", font="TkHeadingFont")
        self._menu = tk.Menu(self, tearoff=False)
        self._menu.add_command(label="Copy this message", command=self.copy_message)
        self._menu.add_command(label="Copy selection", command=self._copy_selection)
        self.conversation.bind("<Button-1>", self._remember_block, add=True)
        self.conversation.bind("<Button-3>", self._context_menu)

    # -- showing ---------------------------------------------------------------------------------
    def show(self, record: RequestRecord | None, hidden: bool, note: str = "") -> None:
        self.record, self._clicked = record, None
        self._blocks = blocks(record, hidden) if record else []
        with _editing(self.conversation) as text:
            if record is None:
                text.insert("end", note or PLACEHOLDER)
            for number, block in enumerate(self._blocks):
                tag = f"block{number}"
                kind = block.kind if block.kind in ROLE_COLOURS else "tool"
                text.insert("end", block.title + "\n", (f"head-{kind}", tag))
                body = ("body", "code", tag) if block.kind == "error" else ("body", tag)
                text.insert("end", (block.text or "(empty)") + "\n", body)
        with _editing(self.meta) as text:
            for label, value in metadata(record) if record else []:
                text.insert("end", f"{label}: ", "label")
                text.insert("end", value + "\n")
        with _editing(self.raw) as text:
            text.insert("end", raw_json(record, hidden) if record else "")

    def conversation_text(self) -> str:
        return self.conversation.get("1.0", "end-1c")

    # -- copying ---------------------------------------------------------------------------------
    def _remember_block(self, event: tk.Event) -> None:
        index = self.conversation.index(f"@{event.x},{event.y}")
        numbers = [int(tag[5:]) for tag in self.conversation.tag_names(index) if tag.startswith("block")]
        self._clicked = self._blocks[numbers[0]] if numbers else None

    def _context_menu(self, event: tk.Event) -> None:
        self._remember_block(event)
        self._menu.tk_popup(event.x_root, event.y_root)

    def copy_message(self) -> None:
        """The clicked message, else the last user message."""
        if self.record is None:
            return
        block = self._clicked or next(
            (b for b in reversed(self._blocks) if b.kind == "user"), None)
        if block is not None:
            self._copy(block_copy_text(self.record, block), f"Copied the {block.title} message.")

    def copy_response(self) -> None:
        block = next((b for b in self._blocks if b.kind == "response"), None)
        if self.record is not None and block is not None:
            self._copy(block_copy_text(self.record, block), "Copied the response.")

    def copy_json(self) -> None:
        if self.record is not None:
            self._copy(request_json(self.record), "Copied the request as JSON.")

    def copy_curl(self) -> None:
        if self.record is not None:
            self._copy(curl_command(self.record, self.proxy_url),
                       "Copied a curl command (the key is read from $LITELLM_MASTER_KEY).")

    def _copy_selection(self) -> None:
        try:
            self._copy(self.conversation.get("sel.first", "sel.last"), "Copied the selection.")
        except tk.TclError:  # nothing selected
            pass

    def _copy(self, text: str, message: str) -> None:
        self.clipboard_clear()
        self.clipboard_append(text)
        self.notify(message)


class _editing:
    """Make a read-only Text writable for one replacement of its content."""

    def __init__(self, text: tk.Text):
        self.text = text

    def __enter__(self) -> tk.Text:
        self.text.configure(state="normal")
        self.text.delete("1.0", "end")
        return self.text

    def __exit__(self, *exc: object) -> None:
        self.text.configure(state="disabled")
        self.text.yview_moveto(0)
