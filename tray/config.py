"""Typed settings: defaults, the app's TOML file, and where LiteLLM's own files live.

Precedence, lowest first: built-in defaults, the TOML config file, environment variables,
command-line options. The master key is never a command-line option (it would show in `ps`).
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import platformdirs

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

APP_NAME = "litellm-tray"
MiB = 1024 * 1024

DEFAULT_LOG = Path("~/.backlog-toolkit/services/logs/litellm.log")
DEFAULT_PROXY = "http://localhost:8000"
DEFAULT_LITELLM_CONFIG = Path("~/.config/litellm/config.yaml")
DEFAULT_ENV_FILE = Path("~/.backlog-toolkit-env")


class ConfigError(Exception):
    """A config file that cannot be used; the message names the file, the line and the fault."""


@dataclass(frozen=True)
class Budget:
    """A spending limit the app watches: scope ``global``, ``model:NAME`` or ``tag:NAME``."""

    scope: str
    limit: float
    period: str = "monthly"   # daily / weekly / monthly or a LiteLLM duration such as "30d"
    origin: str = "app"       # "app" (our config) or "litellm" (LiteLLM's config.yaml)
    timezone: str | None = None  # where periods begin; None: this computer's local time


# --- Notifications (notify.*) --------------------------------------------------------------
#: Ways of showing a notification (tray.desktop.notify); "auto" picks per platform.
NOTIFY_BACKENDS = ("plyer", "notify-send", "osascript", "pystray", "null")


@dataclass(frozen=True)
class NotifySettings:
    """When the app notifies, and how often at most. Defaults follow LiteLLM's own alerting.

    Each rule has a switch and a threshold, so a rule that is noisy for one setup can be
    turned down instead of notifications being turned off altogether.
    """

    enabled: bool = True
    backend: str = "auto"                 # auto | plyer | notify-send | osascript | pystray | null
    failed: bool = True                   # 5xx and upstream errors, plus the 4xx codes below
    failed_4xx: tuple[int, ...] = (401, 403, 429)
    outage: bool = True
    outage_minor: int = 5                 # errors within the window (4xx other than 408 not counted)
    outage_major: int = 10
    outage_seconds: float = 60.0
    slow: bool = True
    slow_seconds: float = 120.0
    hanging: bool = True
    hanging_seconds: float = 300.0
    budget: bool = True                   # at `Settings.thresholds`, once each per period
    budget_hysteresis: float = 0.02       # fraction below a line before it can fire again
    proxy: bool = True
    proxy_down_polls: int = 3             # consecutive failed polls before "proxy down"
    source_lost: bool = True
    group_seconds: float = 60.0           # more of one kind within this become one summary
    cap: int = 5                          # notifications per cap window, then one summary
    cap_seconds: float = 600.0
    quiet_hours: str = ""                 # "22:00-07:00" in local time; empty: off
    max_age_seconds: float = 600.0        # older records (by their own time) never notify


def _strict_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(value)
    return value


def _positive(convert: Any) -> Any:
    def check(value: Any) -> Any:
        result = convert(value)
        if isinstance(value, bool) or result <= 0:
            raise ValueError(value)
        return result
    return check


def _quiet_hours(value: Any) -> str:
    from tray.alerts.schedule import QuietHours   # late: the alerts package imports this module

    QuietHours.parse(str(value))   # raises ValueError when malformed
    return str(value).strip()


def _codes_4xx(value: Any) -> tuple[int, ...]:
    codes = tuple(int(code) for code in value)
    if isinstance(value, str) or not all(400 <= code < 500 for code in codes):
        raise ValueError(value)
    return codes


def _backend(value: Any) -> str:
    text = str(value).strip().lower()
    if text not in ("auto", *NOTIFY_BACKENDS):
        raise ValueError(value)
    return text


# TOML key in [notify] -> converter; the NotifySettings field has the same name.
_NOTIFY_KEYS: dict[str, Any] = {
    "enabled": _strict_bool,
    "backend": _backend,
    "failed": _strict_bool,
    "failed_4xx": _codes_4xx,
    "outage": _strict_bool,
    "outage_minor": _positive(int),
    "outage_major": _positive(int),
    "outage_seconds": _positive(float),
    "slow": _strict_bool,
    "slow_seconds": _positive(float),
    "hanging": _strict_bool,
    "hanging_seconds": _positive(float),
    "budget": _strict_bool,
    "budget_hysteresis": lambda v: max(0.0, float(v) / 100),   # percentage points, like thresholds
    "proxy": _strict_bool,
    "proxy_down_polls": _positive(int),
    "source_lost": _strict_bool,
    "group_seconds": _positive(float),
    "cap": _positive(int),
    "cap_seconds": _positive(float),
    "quiet_hours": _quiet_hours,
    "max_age_seconds": _positive(float),
}


def _notify(path: Path, text: str, values: Any) -> NotifySettings:
    if not isinstance(values, dict):
        raise ConfigError(f"{path}:{_line_of(text, 'notify')}: 'notify' must be a [table]")
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key not in _NOTIFY_KEYS:
            raise ConfigError(f"{path}:{_line_of(text, key)}: unknown setting 'notify.{key}'")
        try:
            changes[key] = _NOTIFY_KEYS[key](value)
        except (TypeError, ValueError):
            raise ConfigError(
                f"{path}:{_line_of(text, key)}: 'notify.{key}' has an invalid value {value!r}"
            ) from None
    return NotifySettings(**changes)
# --- end of notifications ------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """Everything the app can be told. Paths are expanded; defaults follow DESIGN.md."""

    log_path: Path = DEFAULT_LOG
    proxy_url: str = DEFAULT_PROXY
    litellm_config: Path = DEFAULT_LITELLM_CONFIG
    env_file: Path = DEFAULT_ENV_FILE
    config_path: Path | None = None
    data_dir: Path = field(default_factory=lambda: Path(platformdirs.user_data_dir(APP_NAME)))
    log_dir: Path = field(default_factory=lambda: Path(platformdirs.user_log_dir(APP_NAME)))
    retention: int = 10_000
    max_line_bytes: int = 16 * MiB
    follow_poll_seconds: float = 0.25
    poll_seconds: float = 10.0
    request_timeout: float = 5.0
    max_response_bytes: int = 16 * MiB
    budgets: tuple[Budget, ...] = ()
    thresholds: tuple[float, ...] = (0.5, 0.8, 1.0)
    notify: NotifySettings = field(default_factory=NotifySettings)

    @property
    def store_path(self) -> Path:
        return self.data_dir / "litellm-tray.sqlite3"

    def with_overrides(self, **changes: Any) -> "Settings":
        """A copy with the non-None `changes` applied (how the CLI layers its options)."""
        return replace(self, **{key: value for key, value in changes.items() if value is not None})


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


# TOML table.key -> (Settings field, converter)
_TOML_KEYS: dict[str, tuple[str, Any]] = {
    "log.path": ("log_path", Path),
    "log.max_line_mb": ("max_line_bytes", lambda v: int(float(v) * MiB)),
    "log.poll_seconds": ("follow_poll_seconds", float),
    "proxy.url": ("proxy_url", str),
    "proxy.poll_seconds": ("poll_seconds", float),
    "proxy.timeout_seconds": ("request_timeout", float),
    "proxy.max_response_mb": ("max_response_bytes", lambda v: int(float(v) * MiB)),
    "litellm.config": ("litellm_config", Path),
    "litellm.env_file": ("env_file", Path),
    "store.dir": ("data_dir", Path),
    "store.retention": ("retention", int),
    "budgets.thresholds": ("thresholds", lambda v: tuple(float(x) / 100 for x in v)),
}


def load_settings(config_path: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Defaults, then the TOML file (explicit path, or the default one when it exists), then env."""
    environ = dict(os.environ if environ is None else environ)
    explicit = config_path is not None
    path = Path(config_path).expanduser() if explicit else default_config_path()
    settings = Settings()
    if path.exists():
        settings = _apply_toml(settings, path)
    elif explicit:
        raise ConfigError(f"{path}: no such config file")
    settings = replace(settings, config_path=path)
    if environ.get("LITELLM_TRAY_DATA_DIR"):
        settings = replace(settings, data_dir=Path(environ["LITELLM_TRAY_DATA_DIR"]))
    if environ.get("LITELLM_TRAY_LOG"):
        settings = replace(settings, log_path=Path(environ["LITELLM_TRAY_LOG"]))
    if environ.get("LITELLM_TRAY_PROXY"):
        settings = replace(settings, proxy_url=environ["LITELLM_TRAY_PROXY"])
    return expand(settings)


def expand(settings: Settings) -> Settings:
    """Expand `~` in every path field."""
    changes = {
        f.name: getattr(settings, f.name).expanduser()
        for f in fields(settings)
        if isinstance(getattr(settings, f.name), Path)
    }
    return replace(settings, **changes)


def _apply_toml(settings: Settings, path: Path) -> Settings:
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    changes: dict[str, Any] = {}
    for table, values in data.items():
        if table == "budget":
            changes["budgets"] = tuple(_budget(path, text, item) for item in _as_list(values))
            continue
        if table == "notify":
            changes["notify"] = _notify(path, text, values)
            continue
        if not isinstance(values, dict):
            raise ConfigError(f"{path}:{_line_of(text, table)}: '{table}' must be a [table]")
        for key, value in values.items():
            dotted = f"{table}.{key}"
            if dotted not in _TOML_KEYS:
                raise ConfigError(f"{path}:{_line_of(text, key)}: unknown setting '{dotted}'")
            name, convert = _TOML_KEYS[dotted]
            try:
                changes[name] = convert(value)
            except (TypeError, ValueError):
                raise ConfigError(
                    f"{path}:{_line_of(text, key)}: '{dotted}' has an invalid value {value!r}"
                ) from None
    return replace(settings, **changes)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _budget(path: Path, text: str, item: Any) -> Budget:
    line = _line_of(text, "scope")
    if not isinstance(item, dict) or "limit" not in item:
        raise ConfigError(f"{path}:{line}: each [[budget]] needs 'limit' (and 'scope', 'period')")
    scope = str(item.get("scope", "global"))
    if not (scope == "global" or scope.startswith(("model:", "tag:"))):
        raise ConfigError(f"{path}:{line}: budget scope must be global, model:NAME or tag:NAME")
    try:
        limit = float(item["limit"])
    except (TypeError, ValueError):
        raise ConfigError(f"{path}:{_line_of(text, 'limit')}: budget limit must be a number") from None
    zone = item.get("timezone")
    return Budget(scope=scope, limit=limit, period=str(item.get("period", "monthly")),
                  timezone=str(zone) if zone else None)


def _line_of(text: str, key: str) -> int:
    """The 1-based line where `key` is first written, for error messages."""
    match = re.search(rf"^\s*\[*\s*{re.escape(key)}\b", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def read_env_file(path: Path) -> dict[str, str]:
    """Parse a shell env file (``export NAME=value`` lines), as users `source` it."""
    result: dict[str, str] = {}
    try:
        lines = path.expanduser().read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return result
    for line in lines:
        match = re.match(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$", line)
        if match:
            value = match.group(2).strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            result[match.group(1)] = value
    return result


def master_key(settings: Settings, environ: dict[str, str] | None = None) -> str | None:
    """The proxy's master key: LITELLM_MASTER_KEY, else the LiteLLM env file. Never logged."""
    environ = os.environ if environ is None else environ
    return environ.get("LITELLM_MASTER_KEY") or read_env_file(settings.env_file).get(
        "LITELLM_MASTER_KEY"
    ) or None
