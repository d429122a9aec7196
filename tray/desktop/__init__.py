"""The desktop shell: tray icon, menu, notifications and the prompt viewer window."""
