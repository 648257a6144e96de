"""ChatPort for Discord: debounced answer-count edits and reveals of posted question cards."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Sequence
from typing import Any

import discord

from adapters.card_edits import CardEdits
from adapters.discord import render
from adapters.discord.exam import report_page
from adapters.discord.play import duel_message, duel_result_message, round_message, standings_message
from adapters.discord.progress_render import chart_file
from adapters.discord.replies import PLATFORM, message_ref, parse_ref
from bot.cards import ChartCard, QuestionCard, RevealCard
from bot.exam import ExamReport
from bot.models import Target
from bot.play_cards import DuelCard, RoundCard, StandingsCard
from bot.ports import PostError

log = logging.getLogger(__name__)

# At most one edit of a card per interval: Discord allows about 5 message edits per 5 s in a channel.
EDIT_INTERVAL = 2.0
WAITING, LIVE, CLOSING, CLOSED = "waiting", "live", "closing", "closed"
LOGIN_WAIT = 60.0  # how long a scheduled post waits for the client to log in before it is retried later


def _why(exc: discord.HTTPException) -> str:
    if isinstance(exc, discord.Forbidden):
        return "missing access to the channel (403); check the bot's permissions there"
    return "the channel no longer exists (404)"


class DiscordChat(CardEdits):
    """Edits posted cards through Discord's REST API; calls before login are kept and run once the client is up."""

    platform = PLATFORM

    def __init__(self, client: discord.Client, edit_interval: float = EDIT_INTERVAL) -> None:
        super().__init__(edit_interval)
        self._client = client
        self._state = WAITING
        self._backlog: list[tuple[Target, list[str], RevealCard]] = []
        self._live = asyncio.Event()  # scheduled posts wait for the login (bot.posting runs jobs from the start)

    # ---- ChatPort ----------------------------------------------------------------------------------------------

    async def update_question(self, target: Target, message_ref: str, card: QuestionCard) -> None:
        """Show a new answer count on a posted card, coalescing bursts into one edit per interval."""
        self._queue_count_edit(target, message_ref, card, start_timer=self._state == LIVE)

    async def reveal(self, target: Target, message_refs: Sequence[str], card: RevealCard) -> None:
        """Edit every posted card into the reveal (controls removed), or post the reveal when there is none."""
        if self._state == WAITING:  # e.g. rounds closed by QuizService.start() before the client logged in
            self._backlog.append((target, list(message_refs), card))
        elif self._state == CLOSED:
            log.warning("the reveal of round %s is not shown: the Discord client has stopped", card.round_id)
        else:
            await self._reveal(target, message_refs, card)

    async def post_question(self, target: Target, card: QuestionCard, slot: str, mention: str | None = None) -> str:
        """Post a card unprompted with the slot as nonce: discord.py sends `enforce_nonce`, so Discord answers a
        repeated slot (within its nonce window of a few minutes) with the message it already created."""
        channel = await self._channel_for_post(target)
        message = render.question(card)
        try:
            sent = await channel.send(
                content=mention,
                embeds=message.embeds,
                view=message.view,
                nonce=slot,
                allowed_mentions=discord.AllowedMentions(everyone=True, roles=True, users=True),
            )
        except (discord.Forbidden, discord.NotFound) as exc:
            raise PostError(_why(exc), permanent=True) from None
        except discord.HTTPException as exc:
            raise PostError(f"Discord answered {exc.status}") from None
        finally:
            if message.view is not None:
                message.view.stop()
        return message_ref(target.channel, sent.id)

    async def find_post(self, target: Target, slot: str) -> str | None:
        """Discord cannot be searched by nonce without reading history; the re-post carries the same nonce instead."""
        return None

    async def post_notice(self, target: Target, text: str) -> None:
        """Post a one-sentence notice in a channel."""
        channel = await self._channel_for_post(target)
        try:
            await channel.send(content=render.cut(text, render.CONTENT_LIMIT))
        except (discord.Forbidden, discord.NotFound) as exc:
            raise PostError(_why(exc), permanent=True) from None
        except discord.HTTPException as exc:
            raise PostError(f"Discord answered {exc.status}") from None

    async def post_chart(self, target: Target, chart: ChartCard) -> None:
        """Post a chart as a PNG attachment with its caption."""
        channel = await self._channel_for_post(target)
        try:
            await channel.send(content=render.cut(chart.caption, render.CONTENT_LIMIT), file=chart_file(chart))
        except (discord.Forbidden, discord.NotFound) as exc:
            raise PostError(_why(exc), permanent=True) from None
        except discord.HTTPException as exc:
            raise PostError(f"Discord answered {exc.status}") from None

    async def _channel_for_post(self, target: Target) -> discord.PartialMessageable:
        if not target.channel.isdigit():
            raise PostError(f"{target.channel!r} is not a Discord channel id", permanent=True)
        if self._state == WAITING:
            try:
                await asyncio.wait_for(self._live.wait(), LOGIN_WAIT)
            except TimeoutError:
                raise PostError("the Discord client is not logged in yet") from None
        if self._state != LIVE:
            raise PostError("the Discord client is stopping")
        return self._client.get_partial_messageable(int(target.channel))

    async def show_exam(self, target: Target, message_ref: str | None, report: ExamReport) -> None:
        """An exam timed out: its DM message becomes the report's first page (posted anew when it cannot be edited)."""
        try:
            channel = await self._channel_for_post(target)
        except PostError as exc:
            log.warning("cannot show the report of exam %s: %s", report.round_id, exc)
            return
        if message_ref is not None and await self._edit(target, message_ref, report_page(report, 0), "show in"):
            return
        message = report_page(report, 0)
        try:
            await channel.send(embeds=message.embeds, view=message.view or discord.utils.MISSING)
        except discord.HTTPException as exc:
            log.warning("cannot post the report of exam %s in %s: %s", report.round_id, target.channel, exc)
        finally:
            if message.view is not None:
                message.view.stop()

    async def show_play(self, target: Target, message_refs: Sequence[str], card: DuelCard | RoundCard) -> None:
        """Edit a duel's or round's posted card into its new state (posted anew when it cannot be edited)."""
        if self._state == WAITING:  # e.g. a challenge expired by QuizService.start() before the client logged in
            self._spawn(self._once_live(self.show_play(target, message_refs, card)))
            return
        message = duel_message(card) if isinstance(card, DuelCard) else round_message(card)
        edited = False
        for ref in message_refs:
            edited = await self._edit(target, ref, message, "update the duel or round card") or edited
        if not edited:
            await self._post(target, message)

    async def post_play(self, target: Target, card: DuelCard | StandingsCard) -> None:
        """Post a duel's result or a round's standings in the channel."""
        if self._state == WAITING:
            self._spawn(self._once_live(self.post_play(target, card)))
            return
        await self._post(target, duel_result_message(card) if isinstance(card, DuelCard) else standings_message(card))

    async def _once_live(self, work: Coroutine[Any, Any, None]) -> None:
        await self._live.wait()
        await work

    # ---- lifecycle ---------------------------------------------------------------------------------------------

    def start(self) -> None:
        """The client is logged in: run what was asked before, and start the pending count edits."""
        self._state = LIVE
        self._live.set()
        backlog, self._backlog = self._backlog, []
        for target, refs, card in backlog:
            self._spawn(self._reveal(target, refs, card))
        for ref in self._latest:
            if ref not in self._timers:
                self._timers[ref] = self._spawn(self._edit_later(ref))

    async def close(self, grace: float = 5.0) -> None:
        """Send pending reveals and count edits now, wait (bounded) for them, then drop what is left."""
        self._state = CLOSING
        backlog, self._backlog = self._backlog, []
        for target, refs, card in backlog:
            self._spawn(self._reveal(target, refs, card))
        for ref, timer in list(self._timers.items()):
            timer.cancel()
            self._timers.pop(ref, None)
        for ref in list(self._latest):
            self._spawn(self._edit_now(ref))
        running = [t for t in self._tasks if not t.done()]
        if running:
            await asyncio.wait(running, timeout=grace)
        await self.abort()

    async def abort(self) -> None:
        """Drop whatever is still pending (the client is closing or already gone)."""
        self._state = CLOSED
        self._timers.clear()
        self._latest.clear()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # ---- edits -------------------------------------------------------------------------------------------------

    async def _edit_count(self, target: Target, ref: str, card: QuestionCard) -> None:
        await self._edit(target, ref, render.question(card), "update the answer count of")

    async def _reveal(self, target: Target, refs: Sequence[str], card: RevealCard) -> None:
        posted = False
        for ref in refs:
            self._revealed.add(ref)
            self._latest.pop(ref, None)
            timer = self._timers.pop(ref, None)
            if timer is not None:
                timer.cancel()
            async with self._lock(ref):  # waits for a count edit in flight, so the reveal is the last edit
                posted = await self._edit(target, ref, render.reveal(card), "reveal") or posted
        if not posted:
            await self._post(target, render.reveal(card))

    async def _edit(self, target: Target, ref: str, message: render.Message, what: str) -> bool:
        ids = parse_ref(ref)
        if ids is None:
            log.warning("cannot %s card %r in channel %s: not a Discord message reference", what, ref, target.channel)
            return False
        channel_id, message_id = ids
        partial = self._client.get_partial_messageable(channel_id).get_partial_message(message_id)
        try:
            await partial.edit(content=message.content, embeds=message.embeds, view=message.view)
        except discord.NotFound:
            log.warning("cannot %s message %s in channel %s: it was deleted (404)", what, message_id, channel_id)
            return False
        except discord.Forbidden:
            log.warning(
                "cannot %s message %s in channel %s: missing access (403); check the bot's permissions there",
                what,
                message_id,
                channel_id,
            )
            return False
        except discord.HTTPException as exc:
            log.warning("cannot %s message %s in channel %s: %s", what, message_id, channel_id, exc)
            return False
        finally:
            if message.view is not None:
                message.view.stop()
        return True

    async def _post(self, target: Target, message: render.Message) -> None:
        if not target.channel.isdigit():
            log.warning("cannot post the reveal to channel %r: not a Discord channel id", target.channel)
            return
        channel = self._client.get_partial_messageable(int(target.channel))
        try:
            await channel.send(content=message.content, embeds=message.embeds)
        except discord.Forbidden:
            log.warning("cannot post the reveal in channel %s: missing access (403)", target.channel)
        except discord.NotFound:
            log.warning("cannot post the reveal in channel %s: the channel is gone (404)", target.channel)
        except discord.HTTPException as exc:
            log.warning("cannot post the reveal in channel %s: %s", target.channel, exc)
