"""ChatPort for Slack: debounced answer-count edits (chat.update) and reveals of posted question cards."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.card_edits import CardEdits
from adapters.slack import blocks
from adapters.slack.members import PLATFORM
from bot.cards import ChartCard, QuestionCard, RevealCard
from bot.exam import ExamReport
from bot.models import Target
from bot.play_cards import DuelCard, RoundCard, StandingsCard
from bot.ports import PostError

log = logging.getLogger(__name__)

# chat.update is a Tier 3 method (about 50 calls a minute per workspace): a burst of answers becomes one edit.
EDIT_INTERVAL = 2.0

ClientFor = Callable[[str], Awaitable[AsyncWebClient | None]]
SLOT_EVENT = "quizbot_post"  # message metadata type of scheduled cards; its payload names the slot
HISTORY_DEPTH = 200  # recent messages searched for a slot's card before a retry
# Errors after which posting to the channel cannot work until someone acts (invite the bot, reinstall …).
_PERMANENT = {
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "restricted_action",
    "missing_scope",
    "invalid_auth",
    "account_inactive",
    "token_revoked",
    "not_authed",
}


def _error(exc: SlackApiError) -> str:
    return str(exc.response.get("error") or "unknown_error")


def _post_error(exc: SlackApiError) -> PostError:
    error = _error(exc)
    return PostError(f"Slack answered {error}", permanent=error in _PERMANENT)


def message_ref(channel_id: str, ts: str) -> str:
    """How a posted card is remembered in the database."""
    return f"{channel_id}:{ts}"


def parse_ref(ref: str) -> tuple[str, str] | None:
    """(channel id, message ts) of a stored card reference, or None when it is not one of ours."""
    channel, _, ts = ref.partition(":")
    return (channel, ts) if channel and ts else None


class SlackChat(CardEdits):
    """Edits posted cards through the Web API with the bot token of the card's workspace."""

    platform = PLATFORM

    def __init__(self, client_for: ClientFor, edit_interval: float = EDIT_INTERVAL) -> None:
        super().__init__(edit_interval)
        self._client_for = client_for

    # ---- ChatPort ----------------------------------------------------------------------------------------------

    async def update_question(self, target: Target, message_ref: str, card: QuestionCard) -> None:
        """Show a new answer count on a posted card, coalescing bursts into one edit per interval."""
        self._queue_count_edit(target, message_ref, card)

    async def reveal(self, target: Target, message_refs: Sequence[str], card: RevealCard) -> None:
        """Edit every posted card into the reveal (controls removed), or post the reveal when there is none."""
        message = blocks.reveal_message(card)
        shown = False
        for ref in message_refs:
            self._revealed.add(ref)
            self._latest.pop(ref, None)
            timer = self._timers.pop(ref, None)
            if timer is not None:
                timer.cancel()
            async with self._lock(ref):  # waits for a count edit in flight, so the reveal is the last edit
                shown = await self._edit(target, ref, message, "reveal") or shown
        if not shown:
            await self._post(target, message)

    async def post_question(self, target: Target, card: QuestionCard, slot: str, mention: str | None = None) -> str:
        """Post a card unprompted; its message metadata carries the slot, so a retry can find it in the history."""
        client = await self._posting_client(target)
        message = blocks.question_message(card)
        if mention:
            message = blocks.Message(f"{mention} {message.text}", [blocks.mention_block(mention), *message.blocks])
        try:
            posted = await client.chat_postMessage(
                channel=target.channel,
                metadata={"event_type": SLOT_EVENT, "event_payload": {"slot": slot}},
                **message.kwargs(),
            )
        except SlackApiError as exc:
            raise _post_error(exc) from None
        return message_ref(str(posted["channel"]), str(posted["ts"]))

    async def find_post(self, target: Target, slot: str) -> str | None:
        """The card posted for `slot`, looked up in the channel's recent history by its metadata."""
        client = await self._posting_client(target)
        try:
            history = await client.conversations_history(
                channel=target.channel, limit=HISTORY_DEPTH, include_all_metadata=True
            )
        except SlackApiError as exc:
            # Unable to look: assume it went out rather than risk a second card (the slot is lost, never doubled).
            log.warning("cannot read the history of %s (%s); not re-posting %s", target.channel, _error(exc), slot)
            return message_ref(target.channel, "unknown")
        for item in history.get("messages") or []:
            metadata = item.get("metadata") or {}
            if metadata.get("event_type") == SLOT_EVENT and (metadata.get("event_payload") or {}).get("slot") == slot:
                return message_ref(target.channel, str(item["ts"]))
        return None

    async def post_notice(self, target: Target, text: str) -> None:
        """Post a one-sentence notice in a channel."""
        client = await self._posting_client(target)
        try:
            await client.chat_postMessage(channel=target.channel, **blocks.notice(text).kwargs())
        except SlackApiError as exc:
            raise _post_error(exc) from None

    async def post_chart(self, target: Target, chart: ChartCard) -> None:
        """Upload a chart into the channel (files_upload_v2) with its caption as the comment."""
        client = await self._posting_client(target)
        try:
            await client.files_upload_v2(
                channel=target.channel, content=chart.png, filename=chart.filename, title=chart.title,
                initial_comment=chart.caption,
            )
        except SlackApiError as exc:
            raise _post_error(exc) from None

    async def _posting_client(self, target: Target) -> AsyncWebClient:
        client = await self._client_for(target.workspace)
        if client is None:
            raise PostError(f"the app is no longer installed in workspace {target.workspace}", permanent=True)
        return client

    async def show_exam(self, target: Target, message_ref: str | None, report: ExamReport) -> None:
        """An exam timed out: its DM message becomes the report's first page (posted anew when it cannot be edited)."""
        from adapters.slack.exam import report_page  # the exam module imports this one for message_ref

        message = report_page(report, 0)
        if message_ref is not None and await self._edit(target, message_ref, message, "show a report in"):
            return
        client = await self._client_for(target.workspace)
        if client is None:
            log.warning("cannot show the report of exam %s: the app is not installed there", report.round_id)
            return
        try:
            await client.chat_postMessage(channel=target.channel, **message.kwargs())
        except SlackApiError as exc:
            log.warning("cannot post the report of exam %s: %s", report.round_id, exc.response.get("error"))

    async def show_play(self, target: Target, message_refs: Sequence[str], card: DuelCard | RoundCard) -> None:
        """Edit a duel's or round's posted card into its new state (posted anew when it cannot be edited)."""
        from adapters.slack.play import duel_message, round_message  # the play module imports this one

        message = duel_message(card) if isinstance(card, DuelCard) else round_message(card)
        edited = False
        for ref in message_refs:
            edited = await self._edit(target, ref, message, "update the duel or round card") or edited
        if not edited:
            await self._post(target, message)

    async def post_play(self, target: Target, card: DuelCard | StandingsCard) -> None:
        """Post a duel's result or a round's standings in the channel."""
        from adapters.slack.play import duel_result_message, standings_message

        await self._post(target, duel_result_message(card) if isinstance(card, DuelCard) else standings_message(card))

    # ---- lifecycle ---------------------------------------------------------------------------------------------

    async def flush(self) -> None:
        """Send the pending count edits now (at shutdown, and in tests instead of waiting for the interval)."""
        for ref, timer in list(self._timers.items()):
            timer.cancel()
            self._timers.pop(ref, None)
        await asyncio.gather(*(self._edit_now(ref) for ref in list(self._latest)))

    async def close(self, grace: float = 5.0) -> None:
        """Flush pending edits and wait (bounded) for edits in flight."""
        await self.flush()
        running = [t for t in self._tasks if not t.done()]
        if running:
            _, late = await asyncio.wait(running, timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    # ---- edits -------------------------------------------------------------------------------------------------

    async def _edit_count(self, target: Target, ref: str, card: QuestionCard) -> None:
        await self._edit(target, ref, blocks.question_message(card), "update the answer count of")

    async def _edit(self, target: Target, ref: str, message: blocks.Message, what: str) -> bool:
        ids = parse_ref(ref)
        client = await self._client_for(target.workspace)
        if ids is None or client is None:
            log.warning("cannot %s card %r in workspace %s: no message or no installation", what, ref, target.workspace)
            return False
        channel, ts = ids
        try:
            await client.chat_update(channel=channel, ts=ts, **message.kwargs())
        except SlackApiError as exc:
            log.warning("cannot %s message %s in channel %s: %s", what, ts, channel, exc.response.get("error"))
            return False
        return True

    async def _post(self, target: Target, message: blocks.Message) -> None:
        client = await self._client_for(target.workspace)
        if client is None:
            log.warning("cannot post the reveal in workspace %s: the app is not installed there", target.workspace)
            return
        try:
            await client.chat_postMessage(channel=target.channel, **message.kwargs())
        except SlackApiError as exc:
            log.warning("cannot post the reveal in channel %s: %s", target.channel, exc.response.get("error"))
