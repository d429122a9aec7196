"""The prompt viewer: the last N requests in a Tk window of its own process, read from the store.

Everything but `window.py` and `detail_pane.py` is pure and testable without a display.
"""
