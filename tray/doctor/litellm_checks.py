"""Checks on what the app reads from LiteLLM's own files: config.yaml, budgets, the master key.

The key itself is never printed: only where it was found.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

from tray.config import Budget, ConfigError, Settings, read_env_file
from tray.doctor.finding import FAIL, OK, WARN, Finding
from tray.proxy.litellm_config import LiteLLMConfig, read_litellm_config

CHECK_CONFIG, CHECK_BUDGETS, CHECK_KEY = "LiteLLM config", "budgets", "master key"
KEY_VAR = "LITELLM_MASTER_KEY"


def load_litellm_config(settings: Settings, environ: Mapping[str, str] | None
                        ) -> tuple[Finding, LiteLLMConfig | None]:
    """LiteLLM's config.yaml: found and readable, or why not."""
    path = Path(settings.litellm_config).expanduser()
    try:
        config = read_litellm_config(path, environ, settings.env_file)
    except ConfigError as exc:
        return Finding(CHECK_CONFIG, FAIL, f"cannot use it: {exc}",
                       "fix the file (LiteLLM would refuse it too), or point at another with "
                       "`config` under [litellm] in config.toml"), None
    if config is None:
        return Finding(CHECK_CONFIG, WARN, f"no file at {path}: its budgets and master key are not read",
                       "point at LiteLLM's config.yaml: `config` under [litellm] in config.toml"), None
    return Finding(CHECK_CONFIG, OK, f"{path}"), config


def check_budgets(app_budgets: Sequence[Budget], config: LiteLLMConfig | None) -> Finding:
    """Which budgets will be watched, from LiteLLM's config and from the app's own."""
    budgets = list(config.budgets if config else ()) + list(app_budgets)
    if not budgets:
        return Finding(CHECK_BUDGETS, OK, "none set: spend is shown, no budget alerts",
                       "to watch one, set litellm_settings.max_budget and budget_duration (or "
                       "model_max_budget) in LiteLLM's config.yaml, or add a [[budget]] to config.toml")
    shown = ", ".join(f"{b.scope} ${b.limit:,.2f} per {b.period} ({'LiteLLM' if b.origin == 'litellm' else 'app'})"
                      for b in budgets)
    return Finding(CHECK_BUDGETS, OK, f"{len(budgets)} found: {shown}")


def key_source(settings: Settings, config: LiteLLMConfig | None,
               environ: Mapping[str, str]) -> str | None:
    """Where the master key comes from (the same order the app uses), or None. Never the key."""
    if environ.get(KEY_VAR):
        return f"the environment ({KEY_VAR})"
    if read_env_file(settings.env_file).get(KEY_VAR):
        return f"{KEY_VAR} in {settings.env_file}"
    if config is not None and config.master_key:
        return f"general_settings.master_key in {config.path}"
    return None


def check_master_key(source: str | None) -> Finding:
    if source is None:
        return Finding(CHECK_KEY, WARN, "not found: /metrics and /spend may refuse the app",
                       f"export {KEY_VAR}=sk-... where the tray starts, or put `export {KEY_VAR}=...` "
                       "in LiteLLM's env file (never on the command line)")
    return Finding(CHECK_KEY, OK, f"found in {source} (not shown)")
