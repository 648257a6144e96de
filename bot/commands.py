"""The one command grammar shared by every text front door: `command [positional] [name:value …]`."""

from __future__ import annotations

import difflib
import re
import shlex
from dataclasses import dataclass, field
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.bank import Bank

MIN_QUIZ, MAX_QUIZ, DEFAULT_QUIZ, QUICK_QUIZ = 1, 65, 10, 5
SCOPES = ("channel", "server")
BOARD_SCOPES = (*SCOPES, "global")  # the global board lists only members who opted in
PERIODS = ("all", "week", "month", "season")  # in the order bot.periods.period_keys returns them
CHARTS = ("domains", "progress")
_OPTION = re.compile(r"^([A-Za-z][\w-]*)[:=](.*)$", re.DOTALL)
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class CommandError(ValueError):
    """Input a member typed that cannot be run; the message says what to type instead."""


@dataclass(frozen=True)
class CommandSpec:
    """A command's name, what it takes and one line of help."""

    name: str
    usage: str
    summary: str
    options: frozenset[str] = frozenset()
    max_args: int = 0
    admin: bool = False


COMMANDS: dict[str, CommandSpec] = {
    spec.name: spec
    for spec in (
        CommandSpec("help", "help", "List every command with its arguments."),
        CommandSpec("qotd", "qotd", "Show today's question of the day; answer it once, privately."),
        CommandSpec(
            "quiz",
            "quiz [N|quick] [domain:D] [task:T] [seed:S]",
            f"A solo quiz of N questions ({MIN_QUIZ}-{MAX_QUIZ}, default {DEFAULT_QUIZ}; quick = {QUICK_QUIZ}).",
            frozenset({"domain", "task", "seed", "count"}),
            max_args=1,
        ),
        CommandSpec("stop", "stop", "End your running quiz (or, as its starter or an admin, this channel's round)."),
        CommandSpec(
            "stats",
            "stats [member|group] [scope:channel|server] [chart:domains|progress]",
            "Accuracy per domain and task, trend, streaks and a readiness estimate; `group` for the channel.",
            frozenset({"scope", "chart"}),
            max_args=1,
        ),
        CommandSpec(
            "leaderboard",
            "leaderboard [scope:channel|server|global] [period:all|week|month|season] [page:N]",
            "Top 10 by points, with accuracy and answered counts, and your own rank.",
            frozenset({"scope", "period", "page"}),
        ),
        CommandSpec(
            "review",
            "review [N]",
            "Spaced repetition: your due cards first, then new questions from your weakest tasks.",
            max_args=1,
        ),
        CommandSpec("drill", "drill weak [N]", "A solo quiz from your weakest task statements.", max_args=2),
        CommandSpec("optin", "optin global", "Show up on the global leaderboard across servers.", max_args=1),
        CommandSpec("optout", "optout global", "Leave the global leaderboard.", max_args=1),
        CommandSpec(
            "exam",
            "exam [short|resume|history]",
            "A timed practice exam drawn by the domain weights, scored at the end; `short` is the shorter one.",
            frozenset({"seed"}),
            max_args=2,
        ),
        CommandSpec("reveal", "reveal", "Reveal today's question of the day now.", admin=True),
        CommandSpec(
            "settings",
            "settings [timezone:Area/City] [reveal:HH:MM]",
            "Show or change this channel's timezone and question-of-the-day reveal time.",
            frozenset({"timezone", "reveal"}),
            admin=True,
        ),
        CommandSpec(
            "schedule",
            "schedule add qotd|drill at:HH:MM [tz:Area/City] [days:mon-fri] [reveal:HH:MM|Nh] [count:N] "
            "[domain:D] [task:T] [focus:weak] [mention:@role] | list | next [ID] | pause|resume|delete ID | edit ID …",
            "Post a question of the day or a drill on a schedule in this channel.",
            frozenset(
                {"at", "tz", "timezone", "days", "cron", "reveal", "count", "domain", "task", "focus", "mention"}
            ),
            max_args=2,
            admin=True,
        ),
        CommandSpec(
            "plan",
            "plan start weeks:6|8 exam-date:YYYY-MM-DD [ready:75] [comfortable:80] | show | me | recap | "
            "edit task:T week:N | stop",
            "A study plan toward the exam date: weekly focus tasks, recaps, a final-week countdown.",
            frozenset({"weeks", "exam-date", "ready", "comfortable", "task", "week"}),
            max_args=1,
        ),
        CommandSpec("answer", "answer", "The next question of this channel's open drill you have not answered."),
        # Duels and group rounds (bot.duels, bot.group_rounds).
        CommandSpec(
            "duel",
            "duel @member [count:5] [domain:D] [task:T] [seconds:60] | duel play | duel leave",
            "Challenge a member: the same questions privately, timed; the result and ratings go to the channel.",
            frozenset({"count", "domain", "task", "seconds", "seed"}),
            max_args=1,
        ),
        CommandSpec("accept", "accept", "Accept the duel you were challenged to; your first question comes privately."),
        CommandSpec("decline", "decline", "Decline the duel you were challenged to (or withdraw your challenge)."),
        CommandSpec("ratings", "ratings", "Duel ratings in this server (Elo; provisional for the first 10 games)."),
        CommandSpec(
            "round",
            "round [count:10] [domain:D] [task:T] [seconds:30] [speed:on|off]",
            "A group round in this channel: a short join window, then timed questions with a reveal after each.",
            frozenset({"count", "domain", "task", "seconds", "speed", "seed"}),
            max_args=1,
        ),
        CommandSpec("join", "join", "Join the group round running in this channel."),
        # Bring your own questions (bot.server_banks, bot.question_reports, bot.health).
        CommandSpec(
            "report",
            'report QUESTION-ID reason:wrong-key|unclear|outdated|typo [comment:"…"]',
            "Tell the admins a question is wrong, unclear, outdated or has a typo.",
            frozenset({"reason", "comment"}),
            max_args=1,
        ),
        CommandSpec("reports", "reports", "Reported questions, with counts, and ones flagged by health.", admin=True),
        CommandSpec("hide", "hide QUESTION-ID", "Hide a question on this server until fixed.", max_args=1, admin=True),
        CommandSpec("unhide", "unhide QUESTION-ID", "Show a hidden question again.", max_args=1, admin=True),
        CommandSpec(
            "bank",
            "bank list | use own|shipped|both | disable|enable ID | export [format:yaml|gift|csv|anki] | import PATH",
            "This server's own questions: upload (attach a file), list, choose the bank, disable, export.",
            frozenset({"format", "task"}),
            max_args=2,
            admin=True,
        ),
    )
}
ALIASES = {"lb": "leaderboard", "top": "leaderboard", "q": "quiz", "?": "help", "end": "stop"}


@dataclass(frozen=True)
class Command:
    """A parsed command line."""

    name: str
    args: list[str] = field(default_factory=list)
    options: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class QuizRequest:
    """A checked request for a solo quiz."""

    count: int = DEFAULT_QUIZ
    domain: str | None = None
    task: str | None = None
    seed: int | None = None


@dataclass(frozen=True)
class SettingsChange:
    """A checked settings change; None leaves a value as it is."""

    timezone: str | None = None
    reveal: time | None = None


def parse(line: str) -> Command:
    """Split and check one command line against the known commands."""
    try:
        tokens = shlex.split(line.strip())
    except ValueError as exc:
        raise CommandError(f"Could not read that line ({exc}); check your quotes.") from None
    if not tokens:
        raise CommandError("Type a command; `help` lists them.")
    name = tokens[0].lower()
    name = ALIASES.get(name, name)
    spec = COMMANDS.get(name)
    if spec is None:
        hint = difflib.get_close_matches(name, COMMANDS, n=1)
        suggestion = f" Did you mean `{hint[0]}`?" if hint else ""
        raise CommandError(f"Unknown command `{tokens[0]}`.{suggestion} Type `help` for the list.")
    args: list[str] = []
    options: dict[str, str] = {}
    for token in tokens[1:]:
        match = _OPTION.match(token)
        if match:
            key, value = match.group(1).lower(), match.group(2)
            if key not in spec.options:
                known = ", ".join(f"{o}:" for o in sorted(spec.options)) or "no options"
                raise CommandError(f"`{name}` has no option `{key}`; it takes {known}. Usage: {spec.usage}")
            options[key] = value
        else:
            args.append(token)
    if len(args) > spec.max_args:
        raise CommandError(f"Too many arguments for `{name}`. Usage: {spec.usage}")
    return Command(name, args, options)


def quiz_request(command: Command, bank: Bank) -> QuizRequest:
    """The quiz a `quiz` command asks for, with count, domain and task checked against the bank."""
    raw_count = command.options.get("count", command.args[0] if command.args else None)
    return build_quiz_request(
        bank, raw_count, command.options.get("domain"), command.options.get("task"), command.options.get("seed")
    )


def build_quiz_request(
    bank: Bank, count: str | int | None, domain: str | None, task: str | None, seed: str | int | None = None
) -> QuizRequest:
    """Check quiz arguments however they arrived (typed text or a slash command's options)."""
    size = DEFAULT_QUIZ
    if isinstance(count, str) and count.lower() == "quick":
        size = QUICK_QUIZ
    elif count is not None:
        size = _int(count, "The number of questions")
        if not MIN_QUIZ <= size <= MAX_QUIZ:
            raise CommandError(f"A quiz has {MIN_QUIZ} to {MAX_QUIZ} questions; you asked for {size}.")
    domain_id = task_id = None
    if domain:
        found = bank.resolve_domain(domain)
        if found is None:
            names = ", ".join(f"{d.id} ({d.slug})" for d in bank.exam.domains)
            raise CommandError(f"Unknown domain `{domain}`. Choose one of: {names}.")
        domain_id = found.id
    if task:
        found_task = bank.resolve_task(task)
        if found_task is None:
            raise CommandError(f"Unknown task `{task}`. Use an id such as 1.2 or a slug such as 1.2-lambda.")
        if domain_id and found_task.domain_id != domain_id:
            raise CommandError(f"Task {found_task.id} is not in domain {domain_id}.")
        task_id = found_task.id
    seed_value = None if seed is None else _int(seed, "The seed")
    return QuizRequest(size, domain_id, task_id, seed_value)


def leaderboard_options(command: Command) -> tuple[str, str]:
    """The (scope, period) a `leaderboard` command asks for, checked."""
    scope = command.options.get("scope", "channel").lower()
    scope = "server" if scope == "workspace" else scope
    period = command.options.get("period", "all").lower()
    if scope not in SCOPES:
        raise CommandError(f"Unknown scope `{scope}`; use channel or server.")
    if period not in PERIODS:
        raise CommandError(f"Unknown period `{period}`; use all, week or month.")
    return scope, period


@dataclass(frozen=True)
class StatsRequest:
    """Whose stats (a member id, the group, or the caller) and whether as a chart."""

    member: str | None = None
    group: bool = False
    scope: str = "channel"
    chart: str | None = None


_MENTION = re.compile(r"^<?@?([\w.-]+)(?:\|[^>]*)?>?$")


def stats_request(command: Command) -> StatsRequest:
    """The stats a `stats` command asks for: `group`, a member (`alice`, `<@U123>`), options checked."""
    scope = command.options.get("scope", "channel").lower()
    scope = "server" if scope == "workspace" else scope
    if scope not in SCOPES:
        raise CommandError(f"Unknown scope `{scope}`; use channel or server.")
    chart = command.options.get("chart")
    if chart is not None and chart.lower() not in CHARTS:
        raise CommandError(f"Unknown chart `{chart}`; use {' or '.join(CHARTS)}.")
    who = command.args[0] if command.args else None
    if who is not None and who.lower() == "group":
        return StatsRequest(group=True, scope=scope, chart=chart and chart.lower())
    member = None
    if who is not None:
        match = _MENTION.match(who.strip())
        if not match:
            raise CommandError(f"`{who}` is not a member; use a name, a mention or `group`.")
        member = match.group(1)
    return StatsRequest(member=member, scope=scope, chart=chart and chart.lower())


def board_options(command: Command) -> tuple[str, str, int]:
    """The (scope, period, page) a `leaderboard` command asks for, checked."""
    scope = command.options.get("scope", "channel").lower()
    scope = "server" if scope == "workspace" else scope
    period = command.options.get("period", "all").lower()
    if scope not in BOARD_SCOPES:
        raise CommandError(f"Unknown scope `{scope}`; use channel, server or global.")
    if period not in PERIODS:
        raise CommandError(f"Unknown period `{period}`; use all, week, month or season.")
    page = _int(command.options.get("page", "1"), "The page")
    if page < 1:
        raise CommandError("Pages start at 1.")
    return scope, period, page


def count_arg(command: Command, index: int) -> int:
    """An optional question count among the arguments (0 when absent), checked like a quiz size."""
    if len(command.args) <= index:
        return 0
    size = _int(command.args[index], "The number of questions")
    if not MIN_QUIZ <= size <= MAX_QUIZ:
        raise CommandError(f"A session has {MIN_QUIZ} to {MAX_QUIZ} questions; you asked for {size}.")
    return size


def drill_count(command: Command) -> int:
    """The size of a `drill weak [N]` (default 10); only weak-task drills exist as a command."""
    if not command.args or command.args[0].lower() != "weak":
        raise CommandError("Type `drill weak` (optionally with a number) for a quiz from your weakest tasks.")
    return count_arg(command, 1) or DEFAULT_QUIZ


def global_arg(command: Command) -> None:
    """`optin`/`optout` take the word `global` (the only board that needs consent)."""
    if [a.lower() for a in command.args] != ["global"]:
        raise CommandError(f"Type `{command.name} global`.")


def settings_change(command: Command) -> SettingsChange:
    """The settings a `settings` command changes, each value checked."""
    zone = command.options.get("timezone")
    if zone is not None:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise CommandError(f"Unknown timezone `{zone}`; use an IANA name such as Europe/Berlin or UTC.") from None
    reveal = command.options.get("reveal")
    return SettingsChange(zone, parse_time_of_day(reveal) if reveal is not None else None)


def parse_time_of_day(text: str) -> time:
    """`18:00` as a time, or CommandError."""
    match = _TIME.match(text.strip())
    if not match:
        raise CommandError(f"`{text}` is not a time of day; use HH:MM, for example 18:00.")
    return time(int(match.group(1)), int(match.group(2)))


def _int(value: str | int, what: str) -> int:
    if isinstance(value, int):
        return value
    try:
        return int(value)
    except ValueError:
        raise CommandError(f"{what} must be a whole number, not `{value}`.") from None
