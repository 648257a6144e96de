"""The slash commands, and syncing them to Discord only when their definitions changed."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import discord
from discord import app_commands

from adapters.discord.byo import install as install_byo
from adapters.discord.handlers import FAILED, Handlers
from adapters.discord.plan_commands import install_plan
from adapters.discord.progress_commands import install_progress
from bot.bank import Bank
from bot.commands import BOARD_SCOPES, CHARTS, MAX_QUIZ, MIN_QUIZ, PERIODS, SCOPES

log = logging.getLogger(__name__)

GLOBAL_SCOPE = "global"
STALE_COMMAND = "That command changed since Discord last loaded it; please try again in a minute."


class QuizTree(app_commands.CommandTree[discord.Client]):
    """The command tree: every interaction passes the handlers' gate (closed while shutting down)."""

    def __init__(self, client: discord.Client, handlers: Handlers) -> None:
        super().__init__(client)
        self.handlers = handlers

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """Refuse politely while the bot shuts down."""
        return await self.handlers.admit(interaction)

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError, /) -> None:
        """Errors before a handler runs (a stale command, a value Discord let through): one polite sentence."""
        if isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
            log.warning("a member used an outdated command definition: %s", error)
            sentence = STALE_COMMAND
        elif isinstance(error, app_commands.TransformerError):
            log.warning("refused option value %r: %s", error.value, error)
            sentence = f"`{error.value}` is not a valid value for this option."
        else:
            log.error("command %s failed", interaction.command and interaction.command.qualified_name, exc_info=error)
            sentence = FAILED
        if not interaction.response.is_done() and interaction.type is discord.InteractionType.application_command:
            with contextlib.suppress(discord.HTTPException):
                await interaction.response.send_message(sentence, ephemeral=True)


def install(tree: QuizTree, handlers: Handlers, bank: Bank) -> None:
    """Define every slash command; each one hands its decoded options to one handler."""

    @tree.command(name="help", description="List quizbot's commands.")
    async def help_(interaction: discord.Interaction) -> None:
        await handlers.help(interaction)

    @tree.command(name="qotd", description="Show today's question of the day; answer it once, privately.")
    async def qotd(interaction: discord.Interaction) -> None:
        await handlers.qotd(interaction)

    @tree.command(name="quiz", description="A private quiz, one question at a time, with explanations.")
    @app_commands.describe(
        count=f"How many questions ({MIN_QUIZ}-{MAX_QUIZ}, default 10)",
        domain="Only questions of this exam domain",
        task="Only questions of this task statement",
    )
    @app_commands.choices(
        domain=[app_commands.Choice(name=f"{d.id} {d.name}"[:100], value=d.id) for d in bank.exam.domains]
    )
    async def quiz(
        interaction: discord.Interaction,
        count: app_commands.Range[int, MIN_QUIZ, MAX_QUIZ] | None = None,
        domain: str | None = None,
        task: str | None = None,
    ) -> None:
        await handlers.quiz(interaction, count, domain, task)

    @quiz.autocomplete("task")
    async def quiz_task(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return handlers.task_choices(interaction, current)

    @tree.command(name="stop", description="End your running quiz and see its summary.")
    async def stop(interaction: discord.Interaction) -> None:
        await handlers.stop(interaction)

    @tree.command(name="stats", description="Accuracy per domain and task, trend, streaks and a readiness estimate.")
    @app_commands.describe(
        member="Whose stats to show (default: yours)",
        group="The whole channel (or server, with scope) instead of one member",
        scope="For group stats: this channel (default) or the whole server",
        chart="A chart instead of text: accuracy by domain, or progress over time",
    )
    @app_commands.choices(
        scope=[app_commands.Choice(name=n, value=n) for n in SCOPES],
        chart=[app_commands.Choice(name=n, value=n) for n in CHARTS],
    )
    async def stats(
        interaction: discord.Interaction,
        member: discord.Member | discord.User | None = None,
        group: bool = False,
        scope: str = "channel",
        chart: str | None = None,
    ) -> None:
        await handlers.stats(interaction, member, group=group, scope=scope, chart=chart)

    @tree.command(name="leaderboard", description="Top 10 by points, with accuracy, answered counts and your rank.")
    @app_commands.describe(
        scope="This channel (default), the whole server, or global (opted-in members)",
        period="All time (default), this week, month or season",
        page="Page number (10 members a page)",
    )
    @app_commands.choices(
        scope=[app_commands.Choice(name=n, value=n) for n in BOARD_SCOPES],
        period=[app_commands.Choice(name=n, value=n) for n in PERIODS],
    )
    async def leaderboard(
        interaction: discord.Interaction,
        scope: str = "channel",
        period: str = "all",
        page: app_commands.Range[int, 1, 1000] = 1,
    ) -> None:
        await handlers.leaderboard(interaction, scope, period, page)

    install_progress(tree, handlers)

    admin = app_commands.Group(
        name="quizadmin",
        description="Admin commands (Manage Server).",
        default_permissions=discord.Permissions(manage_guild=True),
        guild_only=True,
    )

    @admin.command(name="reveal", description="Reveal today's question of the day now.")
    async def reveal(interaction: discord.Interaction) -> None:
        await handlers.reveal(interaction)

    @admin.command(name="settings", description="Show or change this channel's timezone and reveal time.")
    @app_commands.describe(timezone="IANA name, e.g. Europe/Berlin or UTC", reveal="Reveal time of day, HH:MM")
    async def settings(
        interaction: discord.Interaction, timezone: str | None = None, reveal: str | None = None
    ) -> None:
        await handlers.settings(interaction, timezone, reveal)

    install_schedule(admin, handlers, bank)
    install_byo(admin, handlers)
    install_plan(tree, admin, handlers)  # /plan and /quizadmin plan (bot.study_plans)
    tree.add_command(admin)


def install_schedule(admin: app_commands.Group, handlers: Handlers, bank: Bank) -> None:
    """`/quizadmin schedule add|list|next|pause|resume|edit|delete`: the core's `schedule` command, option by option."""
    group = app_commands.Group(name="schedule", description="Scheduled questions of the day and drills.", parent=admin)
    domains = [app_commands.Choice(name=f"{d.id} {d.name}"[:100], value=d.id) for d in bank.exam.domains]
    rule_help = {
        "at": "Time of day to post, HH:MM",
        "timezone": "IANA name, e.g. Europe/Berlin (default: the channel's)",
        "days": "mon-fri, mon,wed,fri, daily …",
        "reveal": "A time (18:00) or a delay (8h, 90m)",
        "count": "Questions per drill (1-10)",
        "domain": "Only questions of this domain",
        "task": "Only questions of this task statement (1.2 or 1.2-lambda)",
        "focus": "weak: the group's weakest tasks first",
        "mention": "A role to mention with each post",
    }

    def options(**given: object) -> dict[str, str]:
        found = {k: str(v) for k, v in given.items() if v is not None and k != "mention"}
        if "timezone" in found:
            found["tz"] = found.pop("timezone")
        role = given.get("mention")
        if isinstance(role, discord.Role):
            found["mention"] = role.mention
        return found

    @group.command(name="add", description="Schedule a question of the day or a drill in this channel.")
    @app_commands.describe(kind="What to post", **rule_help)
    @app_commands.choices(
        kind=[app_commands.Choice(name=n, value=v) for n, v in (("question of the day", "qotd"), ("drill", "drill"))],
        domain=domains,
        focus=[app_commands.Choice(name=n, value=v) for n, v in (("weakest tasks first", "weak"), ("all", "all"))],
    )
    async def add(
        interaction: discord.Interaction,
        kind: str,
        at: str,
        timezone: str | None = None,
        days: str | None = None,
        reveal: str | None = None,
        count: app_commands.Range[int, 1, 10] | None = None,
        domain: str | None = None,
        task: str | None = None,
        focus: str | None = None,
        mention: discord.Role | None = None,
    ) -> None:
        given = options(
            at=at, timezone=timezone, days=days, reveal=reveal, count=count, domain=domain, task=task, focus=focus,
            mention=mention,
        )
        await handlers.schedule(interaction, ["add", kind], given)

    @group.command(name="edit", description="Change a schedule of this channel.")
    @app_commands.describe(id="The schedule's number (see list)", **rule_help)
    @app_commands.choices(domain=domains)
    async def edit(
        interaction: discord.Interaction,
        id: int,
        at: str | None = None,
        timezone: str | None = None,
        days: str | None = None,
        reveal: str | None = None,
        count: app_commands.Range[int, 1, 10] | None = None,
        domain: str | None = None,
        task: str | None = None,
        focus: str | None = None,
        mention: discord.Role | None = None,
    ) -> None:
        given = options(
            at=at, timezone=timezone, days=days, reveal=reveal, count=count, domain=domain, task=task, focus=focus,
            mention=mention,
        )
        await handlers.schedule(interaction, ["edit", str(id)], given)

    @group.command(name="list", description="This channel's schedules and their next posts.")
    async def list_(interaction: discord.Interaction) -> None:
        await handlers.schedule(interaction, ["list"], {})

    @group.command(name="next", description="The next five posts in this channel (or of one schedule).")
    @app_commands.describe(id="Only this schedule")
    async def next_(interaction: discord.Interaction, id: int | None = None) -> None:
        await handlers.schedule(interaction, ["next"] + ([str(id)] if id is not None else []), {})

    def by_id(action: str, text: str) -> None:
        @group.command(name=action, description=f"{text} a schedule of this channel.")
        @app_commands.describe(id="The schedule's number (see list)")
        async def change(interaction: discord.Interaction, id: int) -> None:
            await handlers.schedule(interaction, [action, str(id)], {})

    for action, text in (("pause", "Pause"), ("resume", "Resume"), ("delete", "Delete")):
        by_id(action, text)


# ---- syncing -----------------------------------------------------------------------------------------------------


def definitions(tree: app_commands.CommandTree[Any]) -> list[dict[str, Any]]:
    """The command definitions exactly as a sync would send them."""
    return [command.to_dict(tree) for command in tree.get_commands()]


def fingerprint(payload: Sequence[dict[str, Any]]) -> str:
    """A stable hash of command definitions."""
    text = json.dumps(sorted(payload, key=lambda c: str(c.get("name"))), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class SyncState:
    """What was last synced where (`{application id: {scope: hash}}`), kept in a small JSON file in the data dir."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self, application_id: int) -> dict[str, str]:
        """The hashes synced for one application."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable %s (%s); the commands will be synced again", self.path, exc)
            return {}
        scopes = data.get(str(application_id), {}) if isinstance(data, dict) else {}
        return {str(k): str(v) for k, v in scopes.items()} if isinstance(scopes, dict) else {}

    def save(self, application_id: int, scopes: dict[str, str]) -> None:
        """Remember what is synced now (written atomically)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                data = {}
        except (OSError, ValueError):
            data = {}
        data[str(application_id)] = scopes
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        temporary.replace(self.path)


async def sync_if_changed(
    tree: app_commands.CommandTree[Any], application_id: int, guild_ids: Sequence[int], state: SyncState
) -> list[str]:
    """Sync the commands to each scope whose stored hash differs, and clear scopes no longer used; returns them.

    A scope that fails (e.g. 403: the bot was invited without the applications.commands scope) is logged and left
    unrecorded, so the next start tries it again; the other scopes still sync.
    """
    digest = fingerprint(definitions(tree))
    wanted = {f"guild:{g}": digest for g in guild_ids} if guild_ids else {GLOBAL_SCOPE: digest}
    stored = state.load(application_id)
    touched = []
    for scope in [*wanted, *(s for s in stored if s not in wanted)]:
        if scope in wanted and stored.get(scope) == wanted[scope]:
            continue
        try:
            await _sync_scope(tree, application_id, scope, clear=scope not in wanted)
        except discord.HTTPException as exc:
            log.error(
                "syncing the slash commands to %s failed: %s; members there may see outdated commands", scope, exc
            )
            continue
        if scope in wanted:
            stored[scope] = wanted[scope]
        else:
            del stored[scope]
        state.save(application_id, stored)
        touched.append(scope)
    return touched


async def _sync_scope(tree: app_commands.CommandTree[Any], application_id: int, scope: str, clear: bool) -> None:
    guild = None if scope == GLOBAL_SCOPE else discord.Object(int(scope.split(":", 1)[1]))
    if clear:
        # Commands left in a scope no longer configured would show twice (e.g. global and per server).
        if guild is None:
            await tree.client.http.bulk_upsert_global_commands(application_id, [])
        else:
            await tree.client.http.bulk_upsert_guild_commands(application_id, guild.id, [])
    elif guild is None:
        await tree.sync()
    else:
        tree.copy_global_to(guild=guild)
        try:
            await tree.sync(guild=guild)
        finally:
            tree.clear_commands(guild=guild)  # dispatch falls back to the global definitions
