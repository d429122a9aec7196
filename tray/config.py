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
from typing import Any, Callable

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
            raise ConfigError(f"{path}:{_line_of(text, key, 'notify')}: unknown setting 'notify.{key}'"
                              f"{_did_you_mean('notify.' + key)}")
        try:
            changes[key] = _NOTIFY_KEYS[key](value)
        except (TypeError, ValueError):
            raise ConfigError(
                f"{path}:{_line_of(text, key, 'notify')}: 'notify.{key}' has an invalid value {value!r}"
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


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(value)
    return float(value)


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(value)
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    return value


def _path(value: Any) -> Path:
    return Path(_text(value))


def _url(value: Any) -> str:
    text = _text(value).strip()
    if not re.match(r"https?://[^/\s]+", text):
        raise ValueError(value)
    return text


def _thresholds(value: Any) -> tuple[float, ...]:
    if not isinstance(value, list) or not value:
        raise TypeError(value)
    return tuple(_number(x) / 100 for x in value)


def _mib(value: float) -> float:
    """Bytes shown as MiB, as the file writes them (16, not 16.0)."""
    mib = value / MiB
    return int(mib) if float(mib).is_integer() else mib


@dataclass(frozen=True)
class _Key:
    """One `table.key` of the TOML file: the Settings field it sets, how, and what users read."""

    field: str
    convert: Callable[[Any], Any]   # TOML value -> Settings value; TypeError/ValueError if wrong
    expects: str                    # what a valid value is, for error messages
    doc: str                        # the comment `config --init` writes above it
    show: Callable[[Any], Any] = lambda value: value   # Settings value -> TOML value


# TOML table.key -> what it sets. `render_default_toml` writes the file from this table too.
_TOML_KEYS: dict[str, _Key] = {
    "log.path": _Key("log_path", _path, "a path", "LiteLLM's log file (its stdout and stderr)", str),
    "log.max_line_mb": _Key("max_line_bytes", lambda v: int(_number(v) * MiB), "a number of MiB",
                            "longer lines are skipped and counted, never loaded whole", _mib),
    "log.poll_seconds": _Key("follow_poll_seconds", _positive(_number), "a number of seconds",
                             "how often the log is checked when file events are missed"),
    "proxy.url": _Key("proxy_url", _url, "an http:// or https:// URL", "the LiteLLM proxy's base URL"),
    "proxy.poll_seconds": _Key("poll_seconds", _positive(_number), "a number of seconds",
                               "how often /metrics, /spend and /health/liveliness are polled"),
    "proxy.timeout_seconds": _Key("request_timeout", _positive(_number), "a number of seconds",
                                  "deadline for one request to the proxy, body included"),
    "proxy.max_response_mb": _Key("max_response_bytes", lambda v: int(_number(v) * MiB), "a number of MiB",
                                  "larger answers are cut off there", _mib),
    "litellm.config": _Key("litellm_config", _path, "a path",
                           "LiteLLM's config.yaml: budgets and general_settings.master_key", str),
    "litellm.env_file": _Key("env_file", _path, "a path",
                             "a shell env file that may export LITELLM_MASTER_KEY", str),
    "store.dir": _Key("data_dir", _path, "a path",
                      "where the SQLite store lives (default: the platform's user data dir)", str),
    "store.retention": _Key("retention", _positive(_integer), "a whole number above 0",
                            "requests kept in the local store"),
    "budgets.thresholds": _Key("thresholds", _thresholds, "a list of percentages, such as [50, 80, 100]",
                               "notify when a budget passes these percentages",
                               lambda v: [_mib(x * 100 * MiB) for x in v]),
}

# Comments for [notify], in the order the file lists them; the converters are _NOTIFY_KEYS.
_NOTIFY_DOCS: dict[str, str] = {
    "enabled": "false turns every notification off",
    "backend": f"auto, or one of {', '.join(NOTIFY_BACKENDS)} (or a comma-separated order)",
    "failed": "failed requests: 5xx and upstream errors, plus the 4xx codes below",
    "failed_4xx": "4xx codes that count as failures",
    "outage": "many errors in a short time",
    "outage_minor": "errors within outage_seconds for a minor outage (4xx other than 408 not counted)",
    "outage_major": "errors within outage_seconds for a major outage",
    "outage_seconds": "the outage window",
    "slow": "requests slower than slow_seconds",
    "slow_seconds": "",
    "hanging": "requests with no answer after hanging_seconds",
    "hanging_seconds": "",
    "budget": "budgets passing [budgets] thresholds, once each per period",
    "budget_hysteresis": "percentage points below a threshold before it can fire again",
    "proxy": "proxy down and back up",
    "proxy_down_polls": "consecutive failed polls before the proxy counts as down",
    "source_lost": "the log or the proxy can no longer be read",
    "group_seconds": "more of one kind within this many seconds become one summary",
    "cap": "at most this many notifications per cap_seconds, then one summary",
    "cap_seconds": "",
    "quiet_hours": 'no notifications then, local time, such as "22:00-07:00"; empty: off',
    "max_age_seconds": "records older than this (by their own time) never notify",
}


def _toml_value(value: Any) -> str:
    """A TOML literal for a default: str, bool, number, or a list/tuple of those."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, (int, float)):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _commented(line: str, doc: str) -> str:
    return f"# {doc}\n{line}" if doc else line


def render_default_toml() -> str:
    """The config file with every setting at its default, each with a comment (`config --init`).

    Written from `_TOML_KEYS`, `_NOTIFY_KEYS` and the dataclass defaults, so a new setting
    shows up here without a second list to keep in step.
    """
    defaults, notify = Settings(), NotifySettings()
    lines = ["# litellm-tray settings. Every setting is shown with its default; all are optional.",
             "# Environment variables (LITELLM_TRAY_LOG, LITELLM_TRAY_PROXY) and command-line",
             "# options override this file. The master key is never read from here: use",
             "# LITELLM_MASTER_KEY, LiteLLM's env file or general_settings.master_key."]
    table = ""
    for dotted, key in _TOML_KEYS.items():
        name, attr = dotted.split(".", 1)
        if name != table:
            table = name
            lines += ["", f"[{table}]"]
        line = f"{attr} = {_toml_value(key.show(getattr(defaults, key.field)))}"
        if dotted == "store.dir":   # platform-dependent: shown, not pinned
            line = "# " + line
        lines.append(_commented(line, key.doc))
    lines += ["", "# Budgets the app watches besides those in LiteLLM's config.yaml (none by default):",
              "# [[budget]]",
              '# scope = "global"            # or "model:NAME", "tag:NAME"',
              "# limit = 1000                # US dollars, as LiteLLM counts spend",
              '# period = "monthly"          # daily, weekly, monthly or a LiteLLM duration such as "30d"',
              '# timezone = "Europe/Berlin"  # where periods begin; default: this computer\'s time zone']
    lines += ["", "[notify]"]
    for attr in _NOTIFY_KEYS:
        value = getattr(notify, attr)
        if attr == "budget_hysteresis":
            value = _mib(value * 100 * MiB)
        lines.append(_commented(f"{attr} = {_toml_value(value)}", _NOTIFY_DOCS.get(attr, "")))
    return "\n".join(lines) + "\n"


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
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_syntax_error(path, exc)) from None
    changes: dict[str, Any] = {}
    for table, values in data.items():
        if table == "budget":
            items = _as_list(values)
            changes["budgets"] = tuple(_budget(path, text, item, n) for n, item in enumerate(items))
            continue
        if table == "notify":
            changes["notify"] = _notify(path, text, values)
            continue
        if not isinstance(values, dict):
            raise ConfigError(f"{path}:{_line_of(text, table)}: '{table}' must be a [table]")
        for key, value in values.items():
            dotted = f"{table}.{key}"
            line = _line_of(text, key, table)
            if dotted not in _TOML_KEYS:
                raise ConfigError(f"{path}:{line}: unknown setting '{dotted}'{_did_you_mean(dotted)}")
            spec = _TOML_KEYS[dotted]
            try:
                changes[spec.field] = spec.convert(value)
            except (TypeError, ValueError):
                raise ConfigError(
                    f"{path}:{line}: '{dotted}' has an invalid value {value!r} (expected {spec.expects})"
                ) from None
    return replace(settings, **changes)


def _syntax_error(path: Path, exc: Exception) -> str:
    """`path:line:column: not valid TOML: what` from tomllib's "... (at line L, column C)"."""
    message = str(exc)
    where = re.search(r"\s*\(at line (\d+), column (\d+)\)\s*$", message)
    if where is None:
        return f"{path}: not valid TOML: {message}"
    return f"{path}:{where.group(1)}:{where.group(2)}: not valid TOML: {message[: where.start()]}"


def _did_you_mean(dotted: str) -> str:
    """A hint for a misspelt key: the closest known key of the same table, if one is close."""
    import difflib

    table, _, key = dotted.partition(".")
    known = [*_TOML_KEYS, *(f"notify.{name}" for name in _NOTIFY_KEYS)]
    names = [name.partition(".")[2] for name in known if name.startswith(table + ".")]
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.75)
    return f" (did you mean '{table}.{close[0]}'?)" if close else ""


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


_BUDGET_KEYS = ("scope", "limit", "period", "timezone")


def _budget(path: Path, text: str, item: Any, nth: int = 0) -> Budget:
    def line(key: str = "") -> int:
        return _line_of(text, key, "budget", nth) if key else _line_of(text, "budget", nth=nth)

    if not isinstance(item, dict) or "limit" not in item:
        raise ConfigError(f"{path}:{line()}: each [[budget]] needs 'limit' (and 'scope', 'period')")
    for key in item:
        if key not in _BUDGET_KEYS:
            raise ConfigError(f"{path}:{line(key)}: unknown setting 'budget.{key}' "
                              f"(a [[budget]] takes {', '.join(_BUDGET_KEYS)})")
    scope = item.get("scope", "global")
    if not isinstance(scope, str) or not (
            scope == "global" or (scope.startswith(("model:", "tag:")) and scope.split(":", 1)[1])):
        raise ConfigError(f"{path}:{line('scope')}: budget scope must be global, model:NAME or tag:NAME, "
                          f"not {scope!r}")
    try:
        limit = _number(item["limit"])
    except TypeError:
        raise ConfigError(f"{path}:{line('limit')}: budget limit must be a number, "
                          f"not {item['limit']!r}") from None
    period, zone = item.get("period", "monthly"), item.get("timezone")
    for key, value in (("period", period), ("timezone", zone)):
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"{path}:{line(key)}: budget {key} must be a string, not {value!r}")
    return Budget(scope=scope, limit=limit, period=period, timezone=zone or None)


def _line_of(text: str, key: str, table: str | None = None, nth: int = 0) -> int:
    """The 1-based line where `key` is first written (within the `nth` [table] or [[table]]
    when one is given), for error messages."""
    start = 0
    if table is not None:
        headers = list(re.finditer(rf"^\s*\[\[?\s*{re.escape(table)}\s*\]", text, re.MULTILINE))
        if nth < len(headers):
            start = headers[nth].end()
    match = re.compile(rf"^\s*\[*\s*{re.escape(key)}\b", re.MULTILINE).search(text, start)
    if match is None and start:
        return text.count("\n", 0, start) + 1
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
