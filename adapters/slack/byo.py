"""Bring your own questions on Slack: the Report button's modal, the bank upload modal, and their rendering.

* Report (under reveals and feedback) opens a modal: a reason menu and a comment; the core stores the report.
* `/quiz bank import` opens a modal with a file input (plus format and task); the uploaded file is downloaded with
  the bot token and handed to the core, whose validation report comes back privately in the channel.
* `/quiz bank …`, `/quiz reports`, `/quiz hide ID` are plain core commands; their cards render here.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.models.blocks import Block, MarkdownTextObject, SectionBlock
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.acks import AckFirst
from adapters.slack.blocks import Message, escape, notice
from adapters.slack.members import Members, target
from adapters.slack.report_block import REPORT_ACTION
from bot.bank_cards import BankListCard, ExportCard, ImportCard, NoticeCard, ReportsCard
from bot.formats import IMPORTERS
from bot.formats.common import MAX_BYTES
from bot.question_reports import REASON_LABELS, REASONS
from bot.service import QuizError, QuizService

log = logging.getLogger(__name__)

REPORT_FORM = "qreport_form"
UPLOAD_FORM = "bank_upload"
SORRY = "Sorry, something went wrong on my side; please try again in a moment."
ByoCard = NoticeCard | ImportCard | BankListCard | ExportCard | ReportsCard


def is_bank_import(line: str) -> bool:
    """Whether a typed command asks to upload a bank file (Slack takes it through a modal)."""
    words = line.lower().split()
    return words[:2] == ["bank", "import"]


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


def report_modal(question_id: str, team: str, channel: str) -> dict[str, Any]:
    """The report form: reason and comment; where it came from travels in private_metadata."""
    return {
        "type": "modal",
        "callback_id": REPORT_FORM,
        "private_metadata": json.dumps({"q": question_id, "team": team, "channel": channel}),
        "title": {"type": "plain_text", "text": "Report a question"},
        "submit": {"type": "plain_text", "text": "Send"},
        "blocks": [
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"Question `{escape(question_id)}`"}]},
            {
                "type": "input",
                "block_id": "reason",
                "label": {"type": "plain_text", "text": "What is wrong?"},
                "element": {
                    "type": "static_select",
                    "action_id": "reason",
                    "options": [_option(REASON_LABELS[r], r) for r in REASONS],
                },
            },
            {
                "type": "input",
                "block_id": "comment",
                "optional": True,
                "label": {"type": "plain_text", "text": "Comment"},
                "element": {"type": "plain_text_input", "action_id": "comment", "multiline": True, "max_length": 1000},
            },
        ],
    }


def upload_modal(team: str, channel: str) -> dict[str, Any]:
    """The bank upload form: a file, its format (optional: from the name) and a default task (optional)."""
    return {
        "type": "modal",
        "callback_id": UPLOAD_FORM,
        "private_metadata": json.dumps({"team": team, "channel": channel}),
        "title": {"type": "plain_text", "text": "Upload questions"},
        "submit": {"type": "plain_text", "text": "Import"},
        "blocks": [
            {
                "type": "input",
                "block_id": "file",
                "label": {"type": "plain_text", "text": "Question file"},
                "element": {"type": "file_input", "action_id": "file", "max_files": 1},
            },
            {
                "type": "input",
                "block_id": "format",
                "optional": True,
                "label": {"type": "plain_text", "text": "Format (default: from the file name)"},
                "element": {
                    "type": "static_select",
                    "action_id": "format",
                    "options": [_option(name, name) for name in sorted(IMPORTERS)],
                },
            },
            {
                "type": "input",
                "block_id": "task",
                "optional": True,
                "label": {"type": "plain_text", "text": "Task for unmapped categories, e.g. 1.2"},
                "element": {"type": "plain_text_input", "action_id": "task"},
            },
        ],
    }


def render(card: ByoCard) -> Message:
    """Any of the cards as a Slack message (mrkdwn sections; reports in a code block)."""
    match card:
        case NoticeCard():
            return notice(card.text)
        case ImportCard():
            return _text_message(_import_text(card))
        case BankListCard():
            lines = [f"Quizzes use *{card.mode}* · shipped {card.shipped} · own {card.own}"]
            lines += [
                f"`{i.id}` {escape(i.name)} · {i.format} · {i.questions} questions · "
                f"{'enabled' if i.enabled else 'disabled'}"
                for i in card.imports
            ] or ["No uploads yet: `/quiz bank import`."]
            if card.hidden:
                lines.append(f"Hidden here: {', '.join(card.hidden)}")
            return _text_message("\n".join(lines))
        case ExportCard():
            return _text_message(f"{card.count} question(s) exported ({card.filename}):\n```{escape(card.text)}```")
        case ReportsCard():
            return _text_message(_reports_text(card))


def _import_text(card: ImportCard) -> str:
    if not card.ok:
        head = f"Nothing imported from {escape(card.file)}: fix the error(s) and upload it again."
    elif card.repeated:
        head = f"{escape(card.file)} was already imported (import {card.import_id}); nothing changed."
    else:
        head = f"Imported {card.imported} question(s) from {escape(card.file)} as import {card.import_id}."
    report = escape("\n".join(card.lines))
    return f"{head}\n```{report}```" if report else head


def _reports_text(card: ReportsCard) -> str:
    lines = ["*Reported questions*" if card.groups else "No reports."]
    for g in card.groups:
        reasons = ", ".join(f"{REASON_LABELS.get(r, r)} x{n}" for r, n in g.reasons.items())
        lines.append(f"`{g.question_id}`{' (hidden)' if g.hidden else ''} · {g.count} report(s): {reasons}")
        lines += [f">{escape(c)}" for c in g.comments]
    if card.flagged:
        lines.append("*Flagged by their answers*")
        lines += [f"`{h.question_id}` n={h.answered} p={h.p_value:.2f}: {'; '.join(h.flags)}" for h in card.flagged]
    return "\n".join(lines)


def _text_message(text: str) -> Message:
    # A section holds 3000 characters; longer reports go as several sections.
    chunks = [text[i : i + 2900] for i in range(0, len(text), 2900)] or [""]
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=chunk)) for chunk in chunks[:40]]
    return Message(text=text[:3000], blocks=blocks)


class ByoSlack:
    """Listeners for the Report button, the report modal and the upload modal."""

    def __init__(self, service: QuizService, members: Members) -> None:
        self.service = service
        self.members = members

    def register(self, app: AckFirst) -> None:
        """Attach the listeners."""
        app.action(REPORT_ACTION)(self.on_report_click)
        app.view(REPORT_FORM)(self.on_report_submit)
        app.view(UPLOAD_FORM)(self.on_upload_submit)

    async def on_report_click(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """Report: open the form (the core checks the question id when it is submitted)."""
        await ack()
        team = (body.get("team") or {}).get("id") or body["user"].get("team_id", "")
        channel = (body.get("container") or {}).get("channel_id") or (body.get("channel") or {}).get("id", "")
        try:
            await client.views_open(
                trigger_id=body["trigger_id"], view=report_modal(str(action.get("value", "")), team, channel)
            )
        except Exception:
            log.exception("opening the report form failed")

    async def open_upload(self, client: AsyncWebClient, trigger_id: str, team: str, channel: str) -> None:
        """`/quiz bank import`: open the upload form."""
        await client.views_open(trigger_id=trigger_id, view=upload_modal(team, channel))

    async def on_report_submit(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """The report form: close it, store the report, thank the member privately."""
        await ack()
        meta = json.loads(view.get("private_metadata") or "{}")
        values = (view.get("state") or {}).get("values") or {}
        reason = (((values.get("reason") or {}).get("reason") or {}).get("selected_option") or {}).get("value", "")
        comment = ((values.get("comment") or {}).get("comment") or {}).get("value") or ""
        user_id = body["user"]["id"]
        try:
            user = await self.members.user(client, meta.get("team", ""), user_id, body["user"].get("name", ""))
            card = await self.service.report_question(
                user, target(meta["team"], meta["channel"]), meta.get("q", ""), reason, comment
            )
            text = card.text
        except QuizError as exc:
            text = str(exc)
        except Exception:
            log.exception("storing a report failed")
            text = SORRY
        await self._tell(client, meta.get("channel", ""), user_id, notice(text))

    async def on_upload_submit(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """The upload form: close it, fetch the file with the bot token, import, report privately."""
        await ack()
        meta = json.loads(view.get("private_metadata") or "{}")
        values = (view.get("state") or {}).get("values") or {}
        files = ((values.get("file") or {}).get("file") or {}).get("files") or []
        fmt = (((values.get("format") or {}).get("format") or {}).get("selected_option") or {}).get("value")
        task = ((values.get("task") or {}).get("task") or {}).get("value") or None
        user_id = body["user"]["id"]
        try:
            if not files:
                raise QuizError("Attach a question file to upload.")
            info = files[0]
            if int(info.get("size") or 0) > MAX_BYTES:
                raise QuizError(f"{info.get('name')} has {int(info['size']):,} bytes; the limit is {MAX_BYTES:,}.")
            data = await self._download(client, str(info.get("url_private_download") or info.get("url_private") or ""))
            user = await self.members.user(client, meta.get("team", ""), user_id, body["user"].get("name", ""))
            card = await self.service.import_bank(
                user, target(meta["team"], meta["channel"]), data, str(info.get("name") or "upload"), fmt, task
            )
            message = render(card)
        except QuizError as exc:
            message = notice(str(exc))
        except Exception:
            log.exception("a bank upload failed")
            message = notice(SORRY)
        await self._tell(client, meta.get("channel", ""), user_id, message)

    async def _download(self, client: AsyncWebClient, url: str) -> bytes:
        # Private file URLs need the bot token; read one byte past the limit so the core can refuse a huge file.
        headers = {"Authorization": f"Bearer {client.token}"} if client.token else {}
        async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as response:
            if response.status != 200:
                raise QuizError("Slack did not hand over the file; please upload it again.")
            return await response.content.read(MAX_BYTES + 1)

    async def _tell(self, client: AsyncWebClient, channel: str, user: str, message: Message) -> None:
        try:
            await client.chat_postEphemeral(channel=channel, user=user, **message.kwargs())
        except Exception:
            log.exception("could not tell %s the outcome", user)
