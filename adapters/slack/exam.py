"""Practice exams on Slack: they run in the app's DM (conversations.open), each click edits the exam message there.

A response_url lasts 30 minutes and an exam up to 130, so the exam message is posted with chat.postMessage and
edited with chat.update; at the deadline SlackChat.show_exam edits it into the report the same way.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    Option,
    PlainTextObject,
    StaticSelectElement,
)
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import blocks
from adapters.slack.acks import AckFirst
from adapters.slack.blocks import CORRECT, OTHER, WRONG, Message, clip, escape, letters
from adapters.slack.chat import message_ref
from adapters.slack.members import Members, target
from bot import commands
from bot.exam import (
    ANSWER,
    CONFIRM,
    EXAM_PREFIX,
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
from bot.models import UserRef
from bot.service import QuizError, QuizService

log = logging.getLogger(__name__)

NOT_OURS = "That button is not one of my exam controls; use `/quiz exam resume` to get your exam back."
SELECT_LIMIT = 100  # options in one static select
_NUMBER = {2: "two", 3: "three", 4: "four", 5: "five"}


def _name(short: bool) -> str:
    return "Short practice exam" if short else "Practice exam"


def _button(text: str, action_id: str, style: str | None = None) -> ButtonElement:
    return ButtonElement(text=clip(text, blocks.BUTTON_LIMIT), action_id=action_id, value=action_id, style=style)


def _time(seconds: int) -> str:
    return f"Time left: *{format_duration(seconds)}*"


def _jump(round_id: int, choices: list[tuple[int, str]]) -> StaticSelectElement:
    return StaticSelectElement(
        placeholder="Jump to a question",
        action_id=encode_control(round_id, GOTO),
        options=[
            Option(value=str(n), text=PlainTextObject(text=clip(label, 75))) for n, label in choices[:SELECT_LIMIT]
        ],
    )


def _slot_label(number: int, answered: bool, flagged: bool) -> str:
    return f"Question {number} · {'answered' if answered else 'unanswered'}{' · flagged' if flagged else ''}"


# ---- rendering (pure) --------------------------------------------------------------------------------------------


def question_message(card: ExamQuestionCard) -> Message:
    """One exam question with the draft, the flag and the time left; letter buttons (or boxes), navigation, jump."""
    flag = " · flagged" if card.flagged else ""
    title = f"{_name(card.short)} · question {card.question_no} of {card.total}{flag}"
    out: list[Block] = [blocks._header(title)]
    if card.notice:
        out.append(blocks._context(f"_{escape(card.notice)}_"))
    out.append(
        blocks._context(
            f"{_time(card.remaining_seconds)} · {card.answered} answered · {card.flagged_count} flagged · "
            f"task {card.task} {escape(card.task_name)}"
        )
    )
    out.append(blocks._section(escape(card.stem)))
    out += [blocks._section(f"*{o.letter.upper()}.* {escape(o.text)}") for o in card.options]
    rid, no = card.round_id, card.question_no
    if card.choose > 1:
        out.append(
            ActionsBlock(
                block_id=blocks.CHOICES_BLOCK,
                elements=[
                    CheckboxesElement(
                        action_id=blocks.PICK_ACTION,
                        options=[
                            Option(value=o.letter, text=PlainTextObject(text=clip(f"{o.letter.upper()}. {o.text}", 75)))
                            for o in card.options
                        ],
                    )
                ],
            )
        )
        need = _NUMBER.get(card.choose, str(card.choose))
        out.append(ActionsBlock(elements=[_button(f"Save these {need}", encode_control(rid, ANSWER, no), "primary")]))
    else:
        out.append(
            ActionsBlock(
                block_id=blocks.ANSWER_BLOCK,
                elements=[
                    _button(
                        o.letter.upper(),
                        encode_control(rid, ANSWER, no, o.letter),
                        "primary" if card.choice == o.letter else None,
                    )
                    for o in card.options
                ],
            )
        )
    slots = [(s.number, _slot_label(s.number, s.answered, s.flagged)) for s in card.slots]
    out.append(
        ActionsBlock(
            elements=[
                _button("Prev", encode_control(rid, PREV, no)),
                _button("Next", encode_control(rid, NEXT, no)),
                _button("Unflag" if card.flagged else "Flag", encode_control(rid, FLAG, no)),
                _button("Review", encode_control(rid, REVIEW, no)),
                _button("Submit", encode_control(rid, SUBMIT, no), "danger"),
                _jump(rid, slots),
            ]
        )
    )
    if card.choice:
        footer = f"Your answer: {letters(card.choice)} (pick again to change it)"
    elif card.choose > 1:
        footer = f"Choose {_NUMBER.get(card.choose, card.choose)}: tick the boxes, then save"
    else:
        footer = "Pick one answer; no feedback until you submit"
    out.append(blocks._context(footer))
    return Message(blocks._fallback(f"{title}: {card.stem}"), out)


def review_message(card: ExamReviewCard) -> Message:
    """The review screen: unanswered and flagged questions, a jump menu, back and submit."""
    rid = card.round_id
    text = (
        f"{_time(card.remaining_seconds)}\n*{card.answered} of {card.total}* answered.\n"
        f"Unanswered: {format_numbers(card.unanswered)}\nFlagged: {format_numbers(card.flagged)}"
    )
    if card.confirming:
        text += "\n\n*Submit now?* Nothing can be changed afterwards."
    out: list[Block] = [blocks._header(f"{_name(card.short)} · review")]
    if card.notice:
        out.append(blocks._context(f"_{escape(card.notice)}_"))
    out.append(blocks._section(text))
    elements: list[Any] = [_button(f"Back to question {card.position}", encode_control(rid, GOTO, card.position))]
    if card.confirming:
        elements.append(_button("Submit now", encode_control(rid, CONFIRM, card.position), "danger"))
    else:
        elements.append(_button("Submit", encode_control(rid, SUBMIT, card.position), "danger"))
    open_ones = sorted(set(card.unanswered) | set(card.flagged))
    if open_ones:
        flagged = set(card.flagged)
        elements.append(_jump(rid, [(n, _slot_label(n, n not in card.unanswered, n in flagged)) for n in open_ones]))
    out.append(ActionsBlock(elements=elements))
    return Message(blocks._fallback(f"Review: {card.answered} of {card.total} answered."), out)


def report_page(report: ExamReport, page: int) -> Message:
    """Page 0: the scaled estimate, per-domain results and time used; page N: question N with every explanation."""
    page = max(0, min(page, report.total))
    rid = report.round_id
    if page == 0:
        state = "Time is up: the exam submitted itself." if report.timed_out else "Exam submitted."
        verdict = "PASS" if report.passed else "FAIL"
        line = (
            f"Estimated score {report.score} on the {report.score_min}-{report.score_max} scale, "
            f"pass mark {report.pass_mark}: {verdict}"
        )
        domains = "\n".join(
            f"*{d.id}* {escape(d.name)}: {d.correct}/{d.total} ({d.percent:.0f}%) · {d.verdict}" for d in report.domains
        )
        out: list[Block] = [
            blocks._header(f"{_name(report.short)} · report"),
            blocks._section(
                f"{state}\n*{line}*\nAn estimate from this bank (100 + 900 x weighted accuracy), not AWS's scaling."
            ),
            blocks._section(
                f"{report.correct} of {report.total} correct · {report.answered} answered · time used "
                f"{format_duration(report.seconds_used)} of {report.minutes_allowed} min"
            ),
            blocks._section("*By domain*\n" + domains),
            ActionsBlock(elements=[_button("Walk through the answers", encode_control(rid, PAGE, 1), "primary")]),
        ]
        return Message(blocks._fallback(f"{state} {line}."), out)
    item = report.items[page - 1]
    given = letters(item.choice) if item.choice else "no answer"
    mark = CORRECT if item.correct else WRONG
    flag = " · flagged" if item.flagged else ""
    out = [
        blocks._section(f"{mark} *Question {item.question_no} of {report.total}*{flag}"),
        blocks._section(escape(item.stem)),
        blocks._context(f"Your answer: {given} · key: {letters(item.key)} · task {item.task} · {item.question_id}"),
    ]
    for o in item.options:
        picked = bool(item.choice and o.letter in item.choice)
        sign = CORRECT if o.correct else (WRONG if picked else OTHER)
        mine = " · _your answer_" if picked else ""
        out.append(blocks._option_reveal(o, f"{sign} *{o.letter.upper()}.* {clip(escape(o.text), 1500)}{mine}"))
    nav = [_button("Prev", encode_control(rid, PAGE, page - 1))]
    if page < report.total:
        nav.append(_button("Next", encode_control(rid, PAGE, page + 1)))
    if page > 1:
        nav.append(_button("Summary", encode_control(rid, PAGE, 0)))
    out.append(ActionsBlock(elements=nav))
    return Message(blocks._fallback(f"Question {item.question_no}: your answer {given}, key {letters(item.key)}."), out)


def history_message(card: ExamHistoryCard) -> Message:
    """Past attempts with scores, newest first."""
    if not card.lines:
        return blocks.notice("No practice exams yet: start one with `/quiz exam` or `/quiz exam short`.")
    rows = []
    for h in card.lines:
        kind = "short" if h.short else "full"
        when = f"{h.opened_at:%Y-%m-%d %H:%M} UTC"
        if h.score is None:
            rows.append(f"{when} · {kind} · in progress")
            continue
        late = " · timed out" if h.timed_out else ""
        rows.append(
            f"{when} · {kind} · *{h.score}* {'pass' if h.passed else 'fail'} · {h.correct}/{h.total} correct · "
            f"{format_duration(h.seconds_used or 0)}{late}"
        )
    title = f"Practice exams of {card.user_name}"
    out: list[Block] = [
        blocks._header(title),
        blocks._section("\n".join(rows)),
        blocks._context(f"Pass mark {card.pass_mark}; scores are estimates."),
    ]
    return Message(blocks._fallback(title, *rows), out)


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


# ---- listeners ---------------------------------------------------------------------------------------------------


def runs_in_dm(line: str) -> bool:
    """Whether a typed command is an exam command that belongs in the DM (everything but `exam history`)."""
    try:
        parsed = commands.parse(line)
    except commands.CommandError:
        return False
    return parsed.name == "exam" and (not parsed.args or parsed.args[0].lower() != "history")


class SlackExams:
    """The exam's listeners and the move of exam commands into the app's DM."""

    def __init__(self, service: QuizService, members: Members) -> None:
        self.service = service
        self.members = members

    def register(self, app: AckFirst) -> None:
        """Exam controls carry `exam:…` ids (regex, so old messages keep working after a restart)."""
        app.action(re.compile(rf"^{EXAM_PREFIX}:"))(self.on_control)

    async def run_in_dm(self, client: AsyncWebClient, user: UserRef, team: str, user_id: str, line: str) -> str:
        """Run an exam command in the member's DM with the app and post its card there; the sentence to answer."""
        dm = (await client.conversations_open(users=user_id))["channel"]["id"]
        reply = await self.service.run(user, target(team, dm), line)
        if not isinstance(reply, ExamQuestionCard | ExamReviewCard | ExamReport | ExamHistoryCard):
            raise QuizError("That is not an exam command.")  # pragma: no cover - runs_in_dm() checked the line
        message = message_for(reply)
        posted = await client.chat_postMessage(channel=dm, **message.kwargs())
        if isinstance(reply, ExamQuestionCard | ExamReviewCard | ExamReport):
            await self.service.attach_message(reply.round_id, message_ref(posted["channel"], posted["ts"]))
        return "Your exam is in your direct messages with me (the Messages tab of the quizbot app)."

    async def on_control(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        """An exam control: the exam message is edited in place (chat.update); refusals come privately."""
        await ack()
        container = body.get("container") or {}
        channel, ts = container.get("channel_id"), container.get("message_ts")
        try:
            await self._control(body, action, client, channel, ts)
        except QuizError as exc:
            await _tell(respond, str(exc))
        except Exception:
            log.exception("an exam control failed after its ack")
            await _tell(respond, "Sorry, something went wrong on my side; please try again in a moment.")

    async def _control(
        self, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, channel: str | None, ts: str | None
    ) -> None:
        decoded = decode_control(str(action.get("action_id") or ""))
        team = (body.get("team") or {}).get("id") or body["user"].get("team_id")
        if decoded is None or not channel or not ts or not team:
            raise QuizError(NOT_OURS)
        user = await self.members.user(client, team, body["user"]["id"], body["user"].get("name", ""))
        where = target(team, channel)
        number, picked = decoded.number, decoded.letters
        selected = (action.get("selected_option") or {}).get("value")
        if decoded.action == GOTO and selected:
            number = int(selected) if str(selected).isdigit() else None
        elif decoded.action == ANSWER and not picked:
            picked = _ticked(body)
        if decoded.action == PAGE:
            report = await self.service.exam_report(user, where, decoded.round_id)
            message = report_page(report, number or 0)
        else:
            reply = await self.service.exam_action(user, where, decoded.round_id, decoded.action, number, picked)
            message = message_for(reply)
        await client.chat_update(channel=channel, ts=ts, **message.kwargs())


def _ticked(body: dict[str, Any]) -> str:
    """The letters ticked in the exam message's boxes (untrusted: the core checks them)."""
    values = ((body.get("state") or {}).get("values")) or {}
    found = [(actions or {}).get(blocks.PICK_ACTION) for actions in values.values()]
    return "".join(str(o.get("value", "")) for state in found if state for o in state.get("selected_options") or [])


async def _tell(respond: AsyncRespond, text: str) -> None:
    try:
        await respond(text=text, response_type="ephemeral", replace_original=False)
    except Exception:
        log.exception("could not tell the member what happened")
