"""What the app takes from LiteLLM's own config.yaml: budgets, the master key, the budget timezone.

Users write budgets in more shapes than LiteLLM documents: `model_max_budget` under
`litellm_settings`, under `general_settings` or at the top level, as `{model: number}` or
`{model: {budget_limit, time_period}}`. All are read. A plain number, and `max_budget`,
reset every `budget_duration` when one is set, and never otherwise ("lifetime").
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import yaml

from tray.config import Budget, ConfigError, Settings, master_key, read_env_file

ENV_PREFIX = "os.environ/"
LIFETIME = "lifetime"


@dataclass(frozen=True)
class LiteLLMConfig:
    """The parts of LiteLLM's config.yaml the app uses."""

    path: Path
    budgets: tuple[Budget, ...] = ()
    master_key: str | None = None
    timezone: str = "UTC"


def read_litellm_config(path: Path, environ: Mapping[str, str] | None = None,
                        env_file: Path | None = None) -> LiteLLMConfig | None:
    """The config at `path`, or None when there is no such file. ConfigError when unreadable."""
    path = Path(path).expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror or exc}") from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    litellm = _table(data, "litellm_settings")
    general = _table(data, "general_settings")
    timezone = str(litellm.get("timezone") or "UTC")
    key = _resolve(general.get("master_key"), environ, env_file)
    return LiteLLMConfig(path=path, budgets=_budgets(path, data, litellm, general, timezone),
                         master_key=key, timezone=timezone)


def _table(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name)
    return value if isinstance(value, dict) else {}


def _resolve(value: Any, environ: Mapping[str, str] | None, env_file: Path | None) -> str | None:
    """A literal, or `os.environ/NAME` looked up in the environment, then LiteLLM's env file."""
    if value is None or value == "":
        return None
    text = str(value)
    if not text.startswith(ENV_PREFIX):
        return text
    name = text[len(ENV_PREFIX):]
    env = os.environ if environ is None else environ
    found = env.get(name) or (read_env_file(env_file).get(name) if env_file else None)
    return found or None


def _number(path: Path, what: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ConfigError(f"{path}: {what} must be a number, not {value!r}")
    try:
        return float(value)
    except ValueError:
        raise ConfigError(f"{path}: {what} must be a number, not {value!r}") from None


def _budgets(path: Path, data: dict[str, Any], litellm: dict[str, Any], general: dict[str, Any],
             timezone: str) -> tuple[Budget, ...]:
    duration = str(litellm.get("budget_duration") or LIFETIME)
    found: list[Budget] = []
    if litellm.get("max_budget") is not None:
        limit = _number(path, "litellm_settings.max_budget", litellm["max_budget"])
        found.append(Budget("global", limit, duration, origin="litellm", timezone=timezone))
    for where in (litellm, general, data):
        models = where.get("model_max_budget")
        if not isinstance(models, dict):
            continue
        for model, spec in models.items():
            scope = f"model:{model}"
            if isinstance(spec, dict):
                limit = _number(path, f"model_max_budget.{model}.budget_limit", spec.get("budget_limit"))
                period = str(spec.get("time_period") or LIFETIME)
            else:
                limit, period = _number(path, f"model_max_budget.{model}", spec), duration
            if all(b.scope != scope for b in found):
                found.append(Budget(scope, limit, period, origin="litellm", timezone=timezone))
    return tuple(found)


def find_master_key(settings: Settings, config: LiteLLMConfig | None = None,
                    environ: Mapping[str, str] | None = None) -> str | None:
    """LITELLM_MASTER_KEY (environment or env file), else `general_settings.master_key`."""
    key = master_key(settings, dict(environ) if environ is not None else None)
    if key:
        return key
    if config is None:
        try:
            config = read_litellm_config(settings.litellm_config, environ, settings.env_file)
        except ConfigError:
            return None
    return config.master_key if config else None
