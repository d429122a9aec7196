"""The `litellm-tray` command: parses options, loads settings, hands off to one module per command.

Exit codes: 0 ran (even when the proxy is down), 2 usage or config error; `doctor` exits 1
when a check failed, `autostart status` 1 when no login item is installed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable, Sequence

from tray import __version__
from tray.config import ConfigError, Settings, load_settings

EXIT_OK = 0
EXIT_USAGE = 2


def _global_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    # On subcommands the default is SUPPRESS so an option given before the subcommand survives.
    default = None if top else argparse.SUPPRESS
    parser.add_argument("--config", type=Path, default=default, metavar="PATH",
                        help="the app's TOML config file")
    parser.add_argument("--log", type=Path, default=default, metavar="PATH",
                        help="LiteLLM's log file (default ~/.backlog-toolkit/services/logs/litellm.log)")
    parser.add_argument("--proxy", default=default, metavar="URL",
                        help="the LiteLLM proxy's base URL (default http://localhost:8000)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="litellm-tray",
        description="A tray monitor for a LiteLLM proxy: requests, failures, spend, recent prompts.",
        epilog="The master key is read from LITELLM_MASTER_KEY or LiteLLM's env file, never from a flag.",
    )
    parser.add_argument("--version", action="version", version=f"litellm-tray {__version__}")
    _global_options(parser, top=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    prompts = commands.add_parser("prompts", help="print the last N requests from a log or the store")
    _global_options(prompts, top=False)
    prompts.add_argument("--limit", "-n", type=int, default=20, metavar="N",
                         help="how many requests, newest last (0: all; default 20)")
    prompts.add_argument("--json", action="store_true", help="one JSON object per line")

    status = commands.add_parser("status", help="poll the proxy and the log once and print a summary")
    _global_options(status, top=False)
    status.add_argument("--json", action="store_true", help="print one JSON object")

    viewer = commands.add_parser("viewer", help="open the prompt viewer window")
    _global_options(viewer, top=False)
    viewer.add_argument("--request", metavar="ID", help="open on this request")

    notify_test = commands.add_parser("notify-test", help="send one test notification")
    _global_options(notify_test, top=False)

    run = commands.add_parser("run", help="show the tray icon (the default command)")
    _global_options(run, top=False)

    demo = commands.add_parser("demo", help="the tray app against a built-in demo proxy with live traffic")
    _global_options(demo, top=False)
    demo.add_argument("--real", action="store_true", help="use a real LiteLLM proxy (needs LiteLLM installed)")

    doctor = commands.add_parser(
        "doctor", help="check the log, LiteLLM's config, the proxy and the desktop, and say what to fix",
        description="One line per check (ok, warn, fail, or skip when an earlier check failed), "
                    "with advice below it. Exit status: 1 when any check failed, 0 otherwise "
                    "(warnings do not fail).")
    _global_options(doctor, top=False)
    doctor.add_argument("--notify", action="store_true", help="also send a test notification")

    login = commands.add_parser(
        "autostart", help="start the tray at login: on, off, or status",
        description="Installs or removes the login item for this platform (Linux: XDG autostart "
                    "entry; macOS: LaunchAgent; Windows: Startup folder). `status` exits 1 when off.")
    _global_options(login, top=False)
    login.add_argument("action", choices=("on", "off", "status"))

    config = commands.add_parser(
        "config", help="write a commented config file (--init), or check the current one",
        description="Without --init: load the config file and report it valid, or exit 2 with "
                    "the file, line and fault.")
    _global_options(config, top=False)
    config.add_argument("--init", action="store_true",
                        help="write every setting with its default to --config PATH or the default path")
    config.add_argument("--force", action="store_true", help="with --init: replace an existing file")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings(getattr(args, "config", None))
    return settings.with_overrides(
        log_path=args.log.expanduser() if getattr(args, "log", None) else None,
        proxy_url=getattr(args, "proxy", None),
    )


def _run_prompts(args: argparse.Namespace, settings: Settings) -> int:
    from tray.commands.prompts import run_prompts

    log_given = getattr(args, "log", None) is not None
    return run_prompts(settings, limit=args.limit, as_json=args.json, from_log=log_given)


def _run_status(args: argparse.Namespace, settings: Settings) -> int:
    from tray.commands.status import run_status

    return run_status(settings, as_json=args.json, log_given=getattr(args, "log", None) is not None)


def _run_viewer(args: argparse.Namespace, settings: Settings) -> int:
    from tray.commands.viewer import run_viewer

    return run_viewer(settings, log_given=getattr(args, "log", None) is not None,
                      request_id=args.request)


def _run_notify_test(args: argparse.Namespace, settings: Settings) -> int:
    from tray.commands.notify_test import run_notify_test

    return run_notify_test(settings)


def _run_run(args: argparse.Namespace, settings: Settings) -> int:
    from tray.commands.run import run_app

    return run_app(settings)


def _run_demo(args: argparse.Namespace, settings: Settings) -> int:
    from tray.commands.demo import run_demo

    return run_demo(settings, real=args.real)


def _run_doctor(args: argparse.Namespace, settings: Settings) -> int:
    from tray.commands.doctor import run_doctor

    return run_doctor(settings, notify=args.notify)


def _run_autostart(args: argparse.Namespace, settings: Settings | None) -> int:
    from tray.commands.autostart import run_autostart

    return run_autostart(args.action, {name: getattr(args, name, None) for name in ("config", "log", "proxy")})


def _run_config(args: argparse.Namespace, settings: Settings | None) -> int:
    from tray.commands.config_cmd import run_config

    return run_config(getattr(args, "config", None), init=args.init, force=args.force)


# Commands that must work while the config file is broken (to replace it, or to stop autostart).
WITHOUT_SETTINGS: dict[str, Callable[[argparse.Namespace, Settings | None], int]] = {
    "autostart": _run_autostart,
    "config": _run_config,
}

COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "prompts": _run_prompts,
    "status": _run_status,
    "viewer": _run_viewer,
    "notify-test": _run_notify_test,
    "run": _run_run,
    "demo": _run_demo,
    "doctor": _run_doctor,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args.command = "run"
    if args.command in WITHOUT_SETTINGS:
        return WITHOUT_SETTINGS[args.command](args, None)
    try:
        settings = _settings(args)
    except ConfigError as exc:
        print(f"litellm-tray: config error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        return COMMANDS[args.command](args, settings)
    except BrokenPipeError:  # `litellm-tray prompts | head` is fine
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
