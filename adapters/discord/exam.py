"""Practice exams on Discord: `/exam`, the exam's controls and its messages, all in a direct message with the member.

An interaction token lasts 15 minutes and an exam up to 130, so the exam lives in a normal DM message: each click is
a new interaction that edits it, and at the deadline the bot edits it through the REST API (DiscordChat.show_exam).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Protocol, cast

import discord
from discord import app_commands

from adapters.discord import render
from adapters.discord.render import Message, cut
from adapters.discord.replies import DM_WORKSPACE, PLATFORM, invoker, message_ref, target
from bot.commands import Command
from bot.exam import (
    ANSWER,
    CONFIRM,
    FLAG,
    GOTO,
    NEXT,
    PAGE,
    PREV,
    REVIEW,
    SUBMIT,
    ExamHistoryCard,
    ExamQuestionCard,
    ExamReply,
    ExamReport,
    ExamReviewCard,
    decode_control,
    encode_control,
    format_duration,
    format_numbers,
)
from bot.models import Target
from bot.service import QuizError

if TYPE_CHECKING:  # handlers imports nothing from here; the import is for types only
    from adapters.discord.handlers import Handlers

MODES = ("full", "short", "resume", "history")
MENU_LIMIT = 25  # options in one Discord select menu
NOT_OURS = "That control is not one of quizbot's exam controls."
NO_DM = (
    "I couldn't send you a direct message. Allow direct messages from this server's members "
    "(Privacy Settings), then use `/exam action:resume`."
)
_NUMBER = {2: "two", 3: "three", 4: "four", 5: "five"}
_EXAM_COLOR = discord.Colour(0x5865F2)


def _name(short: bool) -> str:
    return "Short practice exam" if short else "Practice exam"


def _time(seconds: int, deadline: Any) -> str:
    return f"Time left: **{format_duration(seconds)}** (ends <t:{int(deadline.timestamp())}:R>)"


# ---- rendering (pure) --------------------------------------------------------------------------------------------


def question_message(card: ExamQuestionCard) -> Message:
    """One exam question: options in the embed; letter buttons (or a menu), navigation and a jump menu below."""
    lines = [f"*{card.notice}*", ""] if card.notice else []
    lines += [_time(card.remaining_seconds, card.deadline), "", card.stem, ""]
    lines += [f"**{o.letter.upper()}** · {o.text}" for o in card.options]
    lines.append("")
    if card.choice:
        lines.append(f"Your answer: **{', '.join(card.choice.upper())}** (pick again to change it).")
    elif card.choose > 1:
        lines.append(f"Choose {_NUMBER.get(card.choose, card.choose)}: pick {card.choose} letters in the menu.")
    flag = " · 🚩 flagged" if card.flagged else ""
    embed = render._embed(
        title=f"{_name(card.short)} · question {card.question_no} of {card.total}{flag}",
        description="\n".join(lines),
        footer=f"{card.answered} answered · {card.flagged_count} flagged · task {card.task} {card.task_name}",
        colour=_EXAM_COLOR,
    )
    return Message(embeds=[embed], view=_question_view(card))


def _question_view(card: ExamQuestionCard) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    rid, no = card.round_id, card.question_no
    letters = "".join(o.letter for o in card.options)
    if card.choose > 1:
        menu: discord.ui.Select[Any] = discord.ui.Select(
            custom_id=encode_control(rid, ANSWER, no),
            placeholder=f"Choose {card.choose} letters",
            min_values=card.choose,
            max_values=card.choose,
            options=[
                discord.SelectOption(label=x.upper(), value=x, default=bool(card.choice and x in card.choice))
                for x in letters
            ],
            row=0,
        )
        view.add_item(ExamItem(menu))
    else:
        for i, x in enumerate(letters):
            style = discord.ButtonStyle.success if card.choice == x else discord.ButtonStyle.primary
            view.add_item(_button(x.upper(), encode_control(rid, ANSWER, no, x), style, i // 5))
    grey = discord.ButtonStyle.secondary
    view.add_item(_button("Prev", encode_control(rid, PREV, no), grey, 2))
    view.add_item(_button("Next", encode_control(rid, NEXT, no), grey, 2))
    view.add_item(_button("Unflag" if card.flagged else "Flag", encode_control(rid, FLAG, no), grey, 2))
    view.add_item(_button("Review", encode_control(rid, REVIEW, no), grey, 2))
    view.add_item(_button("Submit", encode_control(rid, SUBMIT, no), discord.ButtonStyle.danger, 2))
    # A menu holds 25 options: the questions around this one.
    start = max(1, min(no - MENU_LIMIT // 2, card.total - MENU_LIMIT + 1))
    slots = card.slots[start - 1 : start - 1 + MENU_LIMIT]
    view.add_item(_jump_menu(rid, [(s.number, _slot_label(s.number, s.answered, s.flagged)) for s in slots], 3))
    return view


def _slot_label(number: int, answered: bool, flagged: bool) -> str:
    state = "answered" if answered else "unanswered"
    return f"Question {number} · {state}{' · flagged' if flagged else ''}"


def _jump_menu(round_id: int, choices: list[tuple[int, str]], row: int) -> ExamItem:
    menu: discord.ui.Select[Any] = discord.ui.Select(
        custom_id=encode_control(round_id, GOTO),
        placeholder="Jump to a question…",
        options=[discord.SelectOption(label=cut(label, 100), value=str(n)) for n, label in choices[:MENU_LIMIT]],
        row=row,
    )
    return ExamItem(menu)


def _button(label: str, custom_id: str, style: discord.ButtonStyle, row: int) -> ExamItem:
    return ExamItem(discord.ui.Button(label=label, custom_id=custom_id, style=style, row=row))


def review_message(card: ExamReviewCard) -> Message:
    """The review screen: unanswered and flagged questions, a jump menu, back and submit."""
    lines = [f"*{card.notice}*", ""] if card.notice else []
    lines += [
        _time(card.remaining_seconds, card.deadline),
        f"**{card.answered} of {card.total}** answered.",
        f"Unanswered: {format_numbers(card.unanswered)}",
        f"Flagged: {format_numbers(card.flagged)}",
    ]
    if card.confirming:
        lines += ["", "Submit now? Nothing can be changed afterwards."]
    embed = render._embed(title=f"{_name(card.short)} · review", description="\n".join(lines), colour=_EXAM_COLOR)
    view = discord.ui.View(timeout=None)
    rid = card.round_id
    view.add_item(
        _button(
            f"Back to question {card.position}",
            encode_control(rid, GOTO, card.position),
            discord.ButtonStyle.secondary,
            0,
        )
    )
    if card.confirming:
        view.add_item(_button("Submit now", encode_control(rid, CONFIRM, card.position), discord.ButtonStyle.danger, 0))
    else:
        view.add_item(_button("Submit", encode_control(rid, SUBMIT, card.position), discord.ButtonStyle.danger, 0))
    open_ones = sorted(set(card.unanswered) | set(card.flagged))
    if open_ones:
        flagged = set(card.flagged)
        choices = [(n, _slot_label(n, n not in card.unanswered, n in flagged)) for n in open_ones]
        view.add_item(_jump_menu(rid, choices, 1))
    return Message(embeds=[embed], view=view)


def report_page(report: ExamReport, page: int) -> Message:
    """Page 0: the scaled estimate, per-domain results and time used; page N: question N with every explanation."""
    page = max(0, min(page, report.total))
    rid = report.round_id
    view = discord.ui.View(timeout=None)
    grey = discord.ButtonStyle.secondary
    if page == 0:
        state = "Time is up: the exam submitted itself." if report.timed_out else "Exam submitted."
        text = (
            f"{state}\n\n**Estimated score: {report.score}** on the {report.score_min}-{report.score_max} scale · "
            f"pass mark {report.pass_mark} · **{'PASS' if report.passed else 'FAIL'}**\n"
            f"An estimate from this bank (100 + 900 x weighted accuracy), not AWS's scaling.\n\n"
            f"{report.correct} of {report.total} correct · {report.answered} answered · time used "
            f"{format_duration(report.seconds_used)} of {report.minutes_allowed} min"
        )
        fields = [
            (f"{d.id} · {d.name}", f"{d.correct}/{d.total} · {d.percent:.0f}% · {d.verdict}") for d in report.domains
        ]
        embed = render._embed(
            title=f"{_name(report.short)} · report", description=text, fields=fields, colour=render.REVEAL_COLOR
        )
        view.add_item(_button("Walk through the answers", encode_control(rid, PAGE, 1), discord.ButtonStyle.primary, 0))
        return Message(embeds=[embed], view=view)
    item = report.items[page - 1]
    given = ", ".join(item.choice.upper()) if item.choice else "no answer"
    text = f"{item.stem}\n\nYour answer: **{given}** · key: **{', '.join(item.key.upper())}**"
    fields = []
    for o in item.options:
        mark = "✅" if o.correct else "❌"
        mine = " · your answer" if item.choice and o.letter in item.choice else ""
        fields.append((f"{mark} {o.letter.upper()}{mine}", f"{o.text}\n> {o.explanation}"))
    flag = " · flagged" if item.flagged else ""
    embed = render._embed(
        title=f"{'✅' if item.correct else '❌'} Question {item.question_no} of {report.total}{flag}",
        description=text,
        fields=fields,
        footer=f"Task {item.task} · {item.question_id}",
        colour=render.CORRECT_COLOR if item.correct else render.WRONG_COLOR,
    )
    view.add_item(_button("Prev", encode_control(rid, PAGE, page - 1), grey, 0))
    if page < report.total:
        view.add_item(_button("Next", encode_control(rid, PAGE, page + 1), grey, 0))
    if page > 1:
        view.add_item(_button("Summary", encode_control(rid, PAGE, 0), grey, 0))
    return Message(embeds=[embed], view=view)


def history_message(card: ExamHistoryCard) -> Message:
    """Past attempts with scores, newest first."""
    if not card.lines:
        return render.notice("No practice exams yet: start one with `/exam` (or `/exam action:short`).")
    lines = []
    for h in card.lines:
        kind = "short" if h.short else "full"
        when = f"<t:{int(h.opened_at.timestamp())}:d>"
        if h.score is None:
            lines.append(f"{when} · {kind} · in progress")
        else:
            late = " · timed out" if h.timed_out else ""
            lines.append(
                f"{when} · {kind} · **{h.score}** {'pass' if h.passed else 'fail'} · {h.correct}/{h.total} correct · "
                f"{format_duration(h.seconds_used or 0)}{late}"
            )
    embed = render._embed(
        title=f"Practice exams of {card.user_name}",
        description="\n".join(lines),
        footer=f"Pass mark {card.pass_mark} · scores are estimates",
        colour=render.NEUTRAL_COLOR,
    )
    return Message(embeds=[embed])


def message_for(reply: ExamReply, page: int = 0) -> Message:
    """Any exam card as a message."""
    match reply:
        case ExamQuestionCard():
            return question_message(reply)
        case ExamReviewCard():
            return review_message(reply)
        case ExamReport():
            return report_page(reply, page)
        case ExamHistoryCard():
            return history_message(reply)


# ---- controls ----------------------------------------------------------------------------------------------------


class ExamClickHandler(Protocol):
    """Where an exam click goes (the client's exam handlers)."""

    async def exam_clicked(self, interaction: discord.Interaction, custom_id: str, values: str) -> None:
        """A member used an exam control."""


class _Client(Protocol):
    exam_handlers: ExamClickHandler
    handlers: Any


class ExamItem(discord.ui.DynamicItem[discord.ui.Button[Any] | discord.ui.Select[Any]], template=r"exam:[^\s]{0,95}"):
    """Any exam control; the id carries the exam, the action and the question, so it works after a restart."""

    def __init__(self, item: discord.ui.Button[Any] | discord.ui.Select[Any]) -> None:
        super().__init__(item)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ExamItem:
        """Rebuild the control from the clicked message."""
        if not isinstance(item, discord.ui.Button | discord.ui.Select):
            raise TypeError(f"unexpected component {item!r}")
        return cls(item)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Not while shutting down."""
        admitted: bool = await cast("_Client", interaction.client).handlers.admit(interaction)
        return admitted

    async def callback(self, interaction: discord.Interaction) -> None:
        """Hand the click (and a menu's values) to the exam handlers."""
        values = "".join(self.item.values) if isinstance(self.item, discord.ui.Select) else ""
        await cast("_Client", interaction.client).exam_handlers.exam_clicked(interaction, self.custom_id, values)


# ---- handlers ----------------------------------------------------------------------------------------------------


class ExamHandlers:
    """`/exam` and the exam's controls; uses the main handlers' replies, refusals and shutdown gate."""

    def __init__(self, handlers: Handlers) -> None:
        self.base = handlers
        self.service = handlers.service

    async def exam(self, interaction: discord.Interaction, action: str | None) -> None:
        """/exam [action]: start (full or short) or resume in the member's DM; history privately here."""
        reply = self.base._reply(interaction, ephemeral=True)
        async with self.base._guard(reply):
            user = invoker(interaction, self.base.admin_ids)
            mode = (action or "full").lower()
            if mode == "history":
                card = await reply.call(self.service.execute(user, target(interaction), Command("exam", ["history"])))
                await reply.send(message_for(cast("ExamReply", card)))
                return
            if mode not in MODES:
                raise QuizError(f"Unknown exam action `{mode}`; use full, short, resume or history.")
            link = await reply.call(self._start_in_dm(interaction, mode))
            await reply.send(render.notice(f"Your exam is in your direct messages with me: {link}"))

    async def _start_in_dm(self, interaction: discord.Interaction, mode: str) -> str:
        user = invoker(interaction, self.base.admin_ids)
        dm = await interaction.user.create_dm()
        where = Target(platform=PLATFORM, workspace=DM_WORKSPACE, channel=str(dm.id))
        card = await self.service.execute(user, where, Command("exam", [mode]))
        message = message_for(cast("ExamReply", card))
        try:
            sent = await dm.send(embeds=message.embeds, view=message.view or discord.utils.MISSING)
        except discord.HTTPException:
            raise QuizError(NO_DM) from None
        finally:
            if message.view is not None:
                message.view.stop()  # the controls are registered DynamicItems; nothing to keep in memory
        if isinstance(card, ExamQuestionCard | ExamReviewCard | ExamReport):
            await self.service.attach_message(card.round_id, message_ref(dm.id, sent.id))
        return sent.jump_url

    async def exam_clicked(self, interaction: discord.Interaction, custom_id: str, values: str) -> None:
        """An exam control: the DM message it sits on becomes the next screen."""
        reply = self.base._reply(interaction, ephemeral=True, update=True)
        async with self.base._guard(reply):
            decoded = decode_control(custom_id)
            if decoded is None:
                raise QuizError(NOT_OURS)
            user = invoker(interaction, self.base.admin_ids)
            where = target(interaction)
            number, letters = decoded.number, decoded.letters
            if decoded.action == GOTO and values:
                number = int(values) if values.isdigit() else None
            elif decoded.action == ANSWER and values:
                letters = values
            if decoded.action == PAGE:
                report = await reply.call(self.service.exam_report(user, where, decoded.round_id))
                await reply.replace(report_page(report, number or 0))
                return
            result = await reply.call(
                self.service.exam_action(user, where, decoded.round_id, decoded.action, number, letters)
            )
            await reply.replace(message_for(result))


def install_exam(tree: app_commands.CommandTree[Any], handlers: ExamHandlers) -> None:
    """Define `/exam`."""

    @tree.command(name="exam", description="A timed practice exam in your DMs, scored at the end.")
    @app_commands.describe(action="full (default), short, resume or history")
    @app_commands.choices(action=[app_commands.Choice(name=m, value=m) for m in MODES])
    async def exam(interaction: discord.Interaction, action: str | None = None) -> None:
        await handlers.exam(interaction, action)
