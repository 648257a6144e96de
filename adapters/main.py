"""Composition root and CLI: `quizbot run | console | validate | bank report | bank schema`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import getpass
import json
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from pydantic import TypeAdapter

from adapters import byo_cli, db_cli, ops
from adapters.console.app import ConsoleDoor
from adapters.door import FrontDoor, serve_until_stopped
from bot.bank import Bank, BankError, default_bank_dir, load_bank, validate_paths
from bot.clock import SystemClock
from bot.leader import LeaderGate, finish, lead_schedules
from bot.models import Question
from bot.report import build_report, render_text
from bot.scheduling import ApScheduler
from bot.service import Defaults, QuizService
from bot.settings import Settings
from bot.storage.factory import open_repository
from bot.storage.postgres import PostgresRepository

log = logging.getLogger("quizbot")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `quizbot` command."""
    args = _parser().parse_args(argv)
    if not getattr(args, "func", None):
        _parser().print_help()
        return 2
    code: int = args.func(args)
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="quizbot", description="A study-group quiz bot for AWS certifications.")
    sub = parser.add_subparsers(metavar="COMMAND")
    for name, text in (
        ("run", "start the front doors the settings enable (the console when no token is set)"),
        ("console", "play in this terminal (no token needed)"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("--user", default=_os_user(), help="your name in the console (default: your OS user)")
        p.add_argument("--channel", default="console", help="the console's channel name (default: console)")
        p.set_defaults(func=_cmd_run, command=name)
    p = sub.add_parser("validate", help="check question files; every problem as file:line: id: message")
    p.add_argument("paths", nargs="*", type=Path, help="bank folders or files (default: the configured bank)")
    p.set_defaults(func=_cmd_validate)
    bank = sub.add_parser("bank", help="bank tools").add_subparsers(metavar="TOOL")
    p = bank.add_parser("report", help="counts per domain/task against the targets, and the bank rules")
    p.add_argument("path", nargs="?", type=Path, help="bank folder (default: the configured bank)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--strict", action="store_true", help="also exit 1 when a target is missed")
    p.set_defaults(func=_cmd_report)
    p = bank.add_parser("schema", help="write the JSON Schema of a question file (for editors)")
    p.add_argument("--out", type=Path, help="file to write (default: print)")
    p.set_defaults(func=_cmd_schema)
    byo_cli.add_commands(sub, bank)  # import, export, bank health, reports export
    db_cli.add_commands(sub)  # migrate, db copy
    return parser


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "me"


def _bank_dir(settings: Settings) -> Path:
    return settings.bank_dir or default_bank_dir()


def _load_bank_or_report(settings: Settings) -> Bank | None:
    try:
        return load_bank(_bank_dir(settings))
    except BankError as exc:
        print(f"The question bank has {len(exc.problems)} problem(s); fix them and start again:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return None


def _cmd_validate(args: argparse.Namespace) -> int:
    paths = args.paths or [_bank_dir(Settings())]
    problems = validate_paths(paths)
    for problem in problems:
        print(problem)
    print(f"{len(problems)} problem(s) in {', '.join(str(p) for p in paths)}", file=sys.stderr)
    return 1 if problems else 0


def _cmd_report(args: argparse.Namespace) -> int:
    try:
        bank = load_bank(args.path or _bank_dir(Settings()))
    except BankError as exc:
        print(exc, file=sys.stderr)
        return 1
    report = build_report(bank)
    print(json.dumps(report.as_dict(), indent=2) if args.json else render_text(report))
    return report.exit_code(args.strict)


def _cmd_schema(args: argparse.Namespace) -> int:
    text = schema_text()
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def schema_text() -> str:
    """JSON Schema of a question file (a list of questions), as committed in questions/schema.json."""
    schema = TypeAdapter(list[Question]).json_schema()
    schema["title"] = "quizbot question file"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def _cmd_run(args: argparse.Namespace) -> int:
    settings = Settings()
    console = args.command == "console" or not enabled_front_doors(settings)
    # In the terminal, log lines would land between questions: only warnings, unless a level was asked for.
    level = "WARNING" if console and "log_level" not in settings.model_fields_set else settings.log_level
    ops.configure_logging(level, settings.log_format)  # QUIZBOT_LOG_FORMAT=json for collectors
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    bank = _load_bank_or_report(settings)
    if bank is None:
        return 2
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(settings, bank, args.user, args.channel, console))
    return 0


def enabled_front_doors(settings: Settings) -> list[str]:
    """The chat front doors whose tokens are set."""
    doors = []
    if settings.discord_token is not None:
        doors.append("discord")
    if settings.slack_bot_token is not None or settings.slack_app_token is not None or settings.slack_client_id:
        doors.append("slack")
    return doors


async def _serve(settings: Settings, bank: Bank, user: str, channel: str, console: bool) -> None:
    repo = await open_repository(settings)  # PostgreSQL when QUIZBOT_DATABASE_URL names one, else the SQLite file
    scheduler = ApScheduler()
    # Several processes on PostgreSQL: only the holder of the leader lock posts schedules (bot.leader).
    gate = LeaderGate(scheduler) if isinstance(repo, PostgresRepository) else None
    defaults = Defaults(settings.timezone, settings.reveal_time, settings.schedule_grace)
    service = QuizService(bank, repo, gate or scheduler, SystemClock(), defaults)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    doors: list[FrontDoor] = []
    cleanups: list[Callable[[], Awaitable[None]]] = []
    try:
        if console:
            doors.append(ConsoleDoor(service, user, channel, stop, charts_dir=settings.data_dir / "charts"))
        else:
            try:
                doors += [_front_door(name, settings, service) for name in enabled_front_doors(settings)]
            except ValueError as exc:  # settings that cannot work: the sentence names the variable; no traceback
                raise SystemExit(f"quizbot cannot start: {exc}") from None
        for door in doors:
            service.add_port(door.port)
        if settings.ops_port:  # /healthz and /metrics (adapters.ops)
            cleanups.append((await ops.start_ops(repo, lambda: doors, settings.ops_host, settings.ops_port)).cleanup)
        scheduler.start()
        await service.start()
        if isinstance(repo, PostgresRepository) and gate is not None:
            leader = asyncio.create_task(lead_schedules(repo.try_lead, gate, service.schedules.start, stop))
            cleanups.append(lambda: finish(leader, stop))
        # What is built by now (the bank, the libraries, the doors) lives as long as the process. Frozen, it is left
        # out of full garbage collections, which would otherwise pause the event loop for milliseconds in a burst.
        gc.freeze()
        await serve_until_stopped(doors, stop)
    finally:
        for cleanup in reversed(cleanups):
            await cleanup()
        scheduler.shutdown()
        await repo.close()


def _front_door(name: str, settings: Settings, service: QuizService) -> FrontDoor:
    # Imported here so a console-only run never loads the chat libraries.
    if name == "discord":
        from adapters.discord.door import DiscordDoor

        return DiscordDoor(settings, service)
    from adapters.slack.door import SlackDoor

    return SlackDoor(settings, service)


if __name__ == "__main__":
    sys.exit(main())
