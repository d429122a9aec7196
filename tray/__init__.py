"""litellm-tray: a desktop tray monitor for a LiteLLM proxy."""

__version__ = "0.1.0"
