"""Bring your own questions on Discord: the Report button and form, bank uploads and the admin commands.

* Every reveal and quiz feedback carries a Report button (`qreport:{question id}`, persistent) that opens a form:
  a reason menu and a comment; the core stores the report.
* `/quizadmin bank-import file:<attachment> [format] [task]` uploads a file; `/quizadmin bank action:…`,
  `/quizadmin reports`, `/quizadmin hide` and `/quizadmin unhide` run the core's commands.
"""

from __future__ import annotations

import io
from typing import Any

import discord
from discord import app_commands

from adapters.discord.render import NEUTRAL_COLOR, Message, _embed, cut, notice
from adapters.discord.replies import target
from bot.bank_cards import BankListCard, ExportCard, ImportCard, NoticeCard, ReportsCard
from bot.commands import Command
from bot.formats import IMPORTERS
from bot.formats.common import MAX_BYTES
from bot.question_reports import REASON_LABELS, REASONS

FORM_PREFIX = "qreportform"
REASON_ID, COMMENT_ID = "reason", "comment"
BANK_ACTIONS = ("list", "use", "disable", "enable", "export")


# ---- components ----------------------------------------------------------------------------------------------------


class ReportForm(discord.ui.Modal):
    """Reason (menu) and comment (text) for a report on one question."""

    def __init__(self, question_id: str, submit: Any) -> None:
        super().__init__(title=cut(f"Report {question_id}", 45), custom_id=f"{FORM_PREFIX}:{question_id}"[:100])
        self.question_id = question_id
        self._submit = submit
        self.reason: discord.ui.Select[Any] = discord.ui.Select(
            custom_id=REASON_ID,
            min_values=1,
            max_values=1,
            options=[discord.SelectOption(label=REASON_LABELS[r], value=r) for r in REASONS],
        )
        self.comment: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id=COMMENT_ID, style=discord.TextStyle.paragraph, required=False, max_length=1000
        )
        self.add_item(discord.ui.Label(text="What is wrong?", component=self.reason))
        self.add_item(discord.ui.Label(text="Comment (optional)", component=self.comment))

    async def on_submit(self, interaction: discord.Interaction, /) -> None:
        """Hand the form to the handlers."""
        reason = self.reason.values[0] if self.reason.values else ""
        await self._submit(interaction, self.question_id, reason, self.comment.value or "")


# ---- rendering -----------------------------------------------------------------------------------------------------


def render(card: NoticeCard | ImportCard | BankListCard | ExportCard | ReportsCard) -> Message:
    """Any of the cards as a Discord message."""
    match card:
        case NoticeCard():
            return notice(card.text)
        case ImportCard():
            return import_report(card)
        case BankListCard():
            return bank_list(card)
        case ExportCard():
            file = discord.File(io.BytesIO(card.text.encode()), filename=card.filename)
            return Message(content=f"{card.count} question(s) exported.", files=[file])
        case ReportsCard():
            return reports(card)


def import_report(card: ImportCard) -> Message:
    """The validation report (as `quizbot validate` prints it) and the outcome."""
    if not card.ok:
        head = f"Nothing imported from {card.file}: fix the error(s) and upload it again."
    elif card.repeated:
        head = f"{card.file} was already imported (import {card.import_id}); nothing changed."
    else:
        head = f"Imported {card.imported} question(s) from {card.file} as import {card.import_id}."
    body = "\n".join(card.lines)
    text = head if not body else f"{head}\n```\n{cut(body, 3900 - len(head))}\n```"
    return Message(embeds=[_embed(title=f"Bank upload · {card.format}", description=text, colour=NEUTRAL_COLOR)])


def bank_list(card: BankListCard) -> Message:
    """The bank in use and the uploads."""
    lines = [f"Quizzes use **{card.mode}** · shipped {card.shipped} · own {card.own}"]
    lines += [
        f"`{i.id}` {i.name} · {i.format} · {i.questions} questions · {'enabled' if i.enabled else 'disabled'}"
        for i in card.imports
    ] or ["No uploads yet: `/quizadmin bank-import`."]
    if card.hidden:
        lines.append(f"Hidden here: {', '.join(card.hidden)}")
    return Message(embeds=[_embed(title="This server's bank", description="\n".join(lines), colour=NEUTRAL_COLOR)])


def reports(card: ReportsCard) -> Message:
    """Reports grouped by question, and questions flagged by their answers."""
    fields = []
    for g in card.groups:
        reasons = ", ".join(f"{REASON_LABELS.get(r, r)} x{n}" for r, n in g.reasons.items())
        comments = "\n".join(f"> {c}" for c in g.comments)
        name = f"{g.question_id}{' (hidden)' if g.hidden else ''} · {g.count} report(s)"
        fields.append((name, f"{reasons}\n{comments}".strip()))
    for h in card.flagged:
        r = f"{h.discrimination:+.2f}" if h.discrimination is not None else "n/a"
        fields.append((f"⚠ {h.question_id} · n={h.answered} p={h.p_value:.2f} r={r}", "\n".join(h.flags)))
    text = "No reports and no flagged questions." if not fields else "`/quizadmin hide` takes one out of quizzes."
    return Message(embeds=[_embed(title="Review queue", description=text, fields=fields, colour=NEUTRAL_COLOR)])


# ---- handlers ------------------------------------------------------------------------------------------------------


class ByoHandlers:
    """Mixed into Handlers: uses its service, `_reply`, `_guard` and `_user`."""

    service: Any

    async def report_clicked(self, interaction: discord.Interaction, question_id: str) -> None:
        """The Report button: open the form (the core checks the id when it is submitted)."""
        await interaction.response.send_modal(ReportForm(question_id, self.report_submitted))

    async def report_submitted(
        self, interaction: discord.Interaction, question_id: str, reason: str, comment: str
    ) -> None:
        """The form: one core call, a private thank-you."""
        reply = self._reply(interaction, ephemeral=True)  # type: ignore[attr-defined]
        async with self._guard(reply):  # type: ignore[attr-defined]
            card = await reply.call(
                self.service.report_question(
                    self._user(interaction), _target(interaction), question_id, reason, comment
                )  # type: ignore[attr-defined]
            )
            await reply.send(notice(card.text))

    async def bank_import(
        self, interaction: discord.Interaction, file: discord.Attachment, fmt: str | None, task: str | None
    ) -> None:
        """/quizadmin bank-import: download the attachment (size checked first) and hand it to the core."""
        reply = self._reply(interaction, ephemeral=True)  # type: ignore[attr-defined]
        async with self._guard(reply):  # type: ignore[attr-defined]
            if file.size > MAX_BYTES:
                await reply.send(notice(f"{file.filename} has {file.size:,} bytes; the limit is {MAX_BYTES:,}."))
                return
            data = await file.read()
            user = self._user(interaction)  # type: ignore[attr-defined]
            card = await reply.call(
                self.service.import_bank(user, _target(interaction), data, file.filename, fmt, task)
            )
            await reply.send(render(card))

    async def byo_command(
        self, interaction: discord.Interaction, name: str, args: list[str], options: dict[str, str]
    ) -> None:
        """/quizadmin bank | reports | hide | unhide: the core's commands of the same names."""
        reply = self._reply(interaction, ephemeral=True)  # type: ignore[attr-defined]
        async with self._guard(reply):  # type: ignore[attr-defined]
            user = self._user(interaction)  # type: ignore[attr-defined]
            card = await reply.call(self.service.execute(user, _target(interaction), Command(name, args, options)))
            await reply.send(render(card))


def _target(interaction: discord.Interaction) -> Any:
    return target(interaction)


# ---- slash commands ------------------------------------------------------------------------------------------------


def install(admin: app_commands.Group, handlers: Any) -> None:
    """Add the bank and review-queue commands to `/quizadmin`."""

    @admin.command(name="bank-import", description="Upload questions (GIFT, Moodle XML, CSV, Markdown, OpenTDB, YAML).")
    @app_commands.describe(
        file="The question file",
        format="The file's format (default: from its name)",
        task="Task for questions with no mapped category, e.g. 1.2",
    )
    @app_commands.choices(format=[app_commands.Choice(name=n, value=n) for n in sorted(IMPORTERS)])
    async def bank_import(
        interaction: discord.Interaction, file: discord.Attachment, format: str | None = None, task: str | None = None
    ) -> None:
        await handlers.bank_import(interaction, file, format, task)

    @admin.command(name="bank", description="This server's bank: list, use own|shipped|both, disable/enable, export.")
    @app_commands.describe(
        action="What to do",
        value="own|shipped|both for use; the import number for disable/enable",
        format="Export format",
    )
    @app_commands.choices(
        action=[app_commands.Choice(name=n, value=n) for n in BANK_ACTIONS],
        format=[app_commands.Choice(name=n, value=n) for n in ("yaml", "gift", "csv", "anki")],
    )
    async def bank(
        interaction: discord.Interaction, action: str = "list", value: str | None = None, format: str | None = None
    ) -> None:
        args = [action, *([value] if value else [])]
        await handlers.byo_command(interaction, "bank", args, {"format": format} if format else {})

    @admin.command(
        name="reports", description="Reported questions with counts, and questions flagged by their answers."
    )
    async def reports_(interaction: discord.Interaction) -> None:
        await handlers.byo_command(interaction, "reports", [], {})

    @admin.command(name="hide", description="Hide a question on this server until it is fixed.")
    @app_commands.describe(question="The question id (at the foot of each card)")
    async def hide(interaction: discord.Interaction, question: str) -> None:
        await handlers.byo_command(interaction, "hide", [question], {})

    @admin.command(name="unhide", description="Show a hidden question again.")
    @app_commands.describe(question="The question id")
    async def unhide(interaction: discord.Interaction, question: str) -> None:
        await handlers.byo_command(interaction, "unhide", [question], {})

    del bank_import, bank, reports_, hide, unhide  # registered on the group by the decorators
