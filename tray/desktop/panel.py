"""The panel: the tray menu as a small Tk window, where the tray backend has no menu.

Run as ``python -m tray.desktop.panel MENU.json`` by `panel_process.Panel`. It reads the menu
the app built (and deletes the file: it holds the first words of prompts), shows the same
lines and commands, and answers a click by printing the entry's action as one JSON line on
stdout, then closes, as a menu does. It never does the work itself: the app has one place
that maps actions to what they do. Escape or the window's close button close it silently.
"""

from __future__ import annotations

import json
import sys
import tkinter as tk
from pathlib import Path
from typing import Any, Callable, Sequence

from tray.desktop.menu import Action, Entry, from_json

TITLE = "litellm-tray panel"
_ROW = {"anchor": "w", "padx": 8, "pady": 1}


def read_menu(path: Path) -> list[Entry]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    finally:
        path.unlink(missing_ok=True)
    return from_json(data.get("entries") or [])


class PanelWindow:
    """One window listing `entries`: info lines as labels, commands as buttons, submenus as
    drop-down buttons. `choose(action)` is called once, for the first command clicked."""

    def __init__(self, root: tk.Tk, entries: Sequence[Entry], choose: Callable[[Action], None]) -> None:
        self.root = root
        self.choose = choose
        root.title(TITLE)
        root.resizable(False, False)
        root.configure(padx=4, pady=4)
        root.bind("<Escape>", lambda _: root.destroy())
        for entry in entries:
            self._row(entry)

    def _row(self, entry: Entry) -> None:
        if entry.text is None:
            tk.Frame(self.root, height=1, bg="#b0b0b0").pack(fill="x", padx=4, pady=3)
        elif entry.children:
            text = entry.text + ("  ✓" if entry.checked else "") + "  ▸"
            button = tk.Menubutton(self.root, text=text, relief="flat", anchor="w", padx=6, pady=2)
            button["menu"] = self._submenu(button, entry.children)
            button.pack(fill="x", **_ROW)
        elif entry.action is not None and entry.enabled:
            font = ("TkDefaultFont", 10, "bold") if entry.default else None
            tk.Button(self.root, text=entry.text, relief="flat", anchor="w", padx=6, pady=2, font=font,
                      command=self._clicked(entry.action)).pack(fill="x", **_ROW)
        else:
            tk.Label(self.root, text=entry.text, anchor="w", padx=6, fg="#303030").pack(fill="x", **_ROW)

    def _submenu(self, parent: tk.Widget, entries: Sequence[Entry]) -> tk.Menu:
        menu = tk.Menu(parent, tearoff=0)
        for entry in entries:
            if entry.text is None:
                menu.add_separator()
            elif entry.children:
                menu.add_cascade(label=entry.text, menu=self._submenu(menu, entry.children))
            elif entry.action is not None and entry.enabled:
                menu.add_command(label=entry.text, command=self._clicked(entry.action))
            else:
                menu.add_command(label=entry.text, state="disabled")
        return menu

    def _clicked(self, action: Action) -> Callable[[], None]:
        def run() -> None:
            self.choose(action)
            self.root.destroy()
        return run

    def place_near_pointer(self) -> None:
        """Open where the click was (the tray icon), kept on the screen."""
        root = self.root
        root.update_idletasks()
        width, height = root.winfo_reqwidth(), root.winfo_reqheight()
        x, y = root.winfo_pointerxy()
        screen_w, screen_h = root.winfo_screenwidth(), root.winfo_screenheight()
        left = max(0, min(x - width // 2, screen_w - width))
        top = y + 12 if y < screen_h // 2 else y - height - 12
        root.geometry(f"+{left}+{max(0, min(top, screen_h - height))}")


def _print_action(action: Action) -> None:
    print(json.dumps(list(action)), flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m tray.desktop.panel MENU.json", file=sys.stderr)
        return 2
    try:
        entries = read_menu(Path(args[0]))
    except (OSError, ValueError) as exc:
        print(f"litellm-tray panel: cannot read the menu: {exc}", file=sys.stderr)
        return 2
    root: Any = tk.Tk(className="litellm-tray-panel")
    window = PanelWindow(root, entries, _print_action)
    window.place_near_pointer()
    root.focus_force()
    root.mainloop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
