"""Duels, group rounds and ratings on Discord: `/duel`, `/round`, `/ratings`, their buttons and their messages.

Duel questions are ephemeral replies in the channel, not DMs: each comes as the answer to the member's own click
(Accept, Play, the previous answer), so it is private without asking members to open their DMs, and every click is a
fresh interaction, so the 15-minute token limit never cuts a duel short. A question that times out needs no edit:
its `<t:…:R>` timestamp shows the deadline, the core decides what timed out, and the next click moves on.
Round questions are public cards (ChatPort.post_question) with the same relative timestamp instead of per-second edits.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, Protocol, cast

import discord
from discord import app_commands

from adapters.discord import render
from adapters.discord.render import Message, cut
from adapters.discord.replies import invoker, message_ref, target, user_ref
from bot.commands import Command
from bot.duels import DEFAULT_COUNT, DEFAULT_SECONDS, MAX_COUNT, MAX_SECONDS, MIN_COUNT, MIN_SECONDS, duel_request
from bot.group_rounds import DEFAULT_COUNT as ROUND_COUNT
from bot.group_rounds import DEFAULT_SECONDS as ROUND_SECONDS
from bot.group_rounds import MAX_COUNT as ROUND_MAX
from bot.group_rounds import MAX_SECONDS as ROUND_MAX_SECONDS
from bot.group_rounds import MIN_SECONDS as ROUND_MIN_SECONDS
from bot.group_rounds import round_request
from bot.play_cards import (
    ACCEPT,
    DECLINE,
    JOIN,
    LEAVE,
    PLAY,
    STOP,
    DuelCard,
    RatingLine,
    RatingsCard,
    RoundCard,
    StandingsCard,
    decode_control,
    encode_control,
)
from bot.play_store import CHALLENGED, ENDED, FINISHED, JOINING, PLAYING
from bot.service import QuizError

if TYPE_CHECKING:
    from adapters.discord.handlers import Handlers

log = logging.getLogger(__name__)

NOT_OURS = "That control is not one of quizbot's duel or round buttons."
PLAY_COLOR = discord.Colour(0xE67E22)


# ---- rendering (pure) --------------------------------------------------------------------------------------------


def _button(label: str, round_id: int, action: str, style: discord.ButtonStyle) -> discord.ui.Button[Any]:
    return discord.ui.Button(label=label, style=style, custom_id=encode_control(round_id, action))


def _view(*buttons: discord.ui.Button[Any]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)  # the buttons are DynamicItems registered globally; nothing to time out
    for button in buttons:
        view.add_item(PlayItem(button))
    return view


def _verdict(card: DuelCard) -> str:
    if card.winner:
        return f"**{card.winner}** wins"
    return "A draw" if card.draw else "No contest: neither played"


def duel_message(card: DuelCard) -> Message:
    """The channel's duel card: the challenge (Accept, Decline), the game (Play, Leave) or how it ended."""
    a, b = (s.name for s in card.sides)
    head = f"{card.count} question{'s' if card.count != 1 else ''} · {card.seconds} s each · answers stay private"
    view = None
    if card.state == CHALLENGED:
        text = f"{head}\n\n**{b}**, accept or decline <t:{int(card.expires_at.timestamp())}:R>."
        view = _view(
            _button("Accept", card.round_id, ACCEPT, discord.ButtonStyle.success),
            _button("Decline", card.round_id, DECLINE, discord.ButtonStyle.secondary),
        )
    elif card.state == PLAYING:
        text = f"{head}\n\nAccepted! Both players: press **Play** for your questions (only you see them)."
        view = _view(
            _button("Play", card.round_id, PLAY, discord.ButtonStyle.primary),
            _button("Leave", card.round_id, LEAVE, discord.ButtonStyle.danger),
        )
    elif card.state == FINISHED:
        text = f"{head}\n\n{_verdict(card)}; the result is below."
    else:
        text = f"{head}\n\n{card.note or 'This duel is over.'}"
    embed = render._embed(title=f"⚔️ Duel · {a} vs {b}", description=text, colour=PLAY_COLOR)
    return Message(embeds=[embed], view=view)


def duel_result_message(card: DuelCard) -> Message:
    """The result: both scores and times, ratings, then every question with both answers and the key's explanation."""
    lines = [f"{_verdict(card)}."]
    for s in card.sides:
        left = " · left the duel" if s.left else ""
        rating = ""
        if s.rating is not None and s.change is not None:
            rating = f" · rating {s.rating} ({s.change:+d}){' provisional' if s.provisional else ''}"
        lines.append(
            f"**{s.name}** · {s.points} pts · {s.correct}/{card.count} correct · {s.seconds:.0f} s{left}{rating}"
        )
    if card.rated and card.weight is not None and card.weight < 1:
        lines.append(f"Counted at {card.weight:.0%}: you have played each other often today.")
    if not card.rated:
        lines.append("Not rated.")
    fields = []
    for item in card.items:
        answers = " · ".join(
            f"{'✅' if choice == item.key else '❌'} {side.name}: {_letters(choice)}"
            for side, choice in zip(card.sides, item.choices, strict=True)
        )
        keys = [o for o in item.options if o.correct]
        why = "\n".join(f"> **{o.letter.upper()}** {o.explanation}" for o in keys)
        name = f"{item.question_no}. Answer {', '.join(item.key.upper())} · task {item.task} · {item.question_id}"
        fields.append((name, f"{cut(item.stem, 300)}\n{answers}\n{why}"))
    a, b = (s.name for s in card.sides)
    embed = render._embed(
        title=f"⚔️ Duel result · {a} vs {b}", description="\n".join(lines), fields=fields, colour=PLAY_COLOR
    )
    return Message(embeds=[embed])


def _letters(choice: str | None) -> str:
    return ", ".join(choice.upper()) if choice else "no answer"


def round_message(card: RoundCard) -> Message:
    """The channel's round card: the join window with Join and Stop, the round under way, or its end."""
    speed = "faster correct answers score more" if card.speed else "no speed points"
    head = f"{card.total} questions · {card.seconds} s each · {speed} · started by {card.starter}"
    players = f"Players ({len(card.players)}): {', '.join(card.players)}" if card.players else "No players yet."
    view = None
    if card.phase == JOINING:
        when = f" <t:{int(card.starts_at.timestamp())}:R>" if card.starts_at else ""
        text = f"{head}\n\nPress **Join**; the first question comes{when}.\n{players}"
        view = _view(
            _button("Join", card.round_id, JOIN, discord.ButtonStyle.success),
            _button("Stop", card.round_id, STOP, discord.ButtonStyle.danger),
        )
    elif card.phase == ENDED:
        text = f"{head}\n\nFinished. {card.note or ''}".rstrip()
    else:
        text = f"{head}\n\nUnder way: question {card.current} of {card.total}.\n{players}"
        view = _view(_button("Stop", card.round_id, STOP, discord.ButtonStyle.danger))
    return Message(embeds=[render._embed(title="🏁 Group round", description=text, colour=PLAY_COLOR)], view=view)


def standings_message(card: StandingsCard) -> Message:
    """Final standings: points, correct answers and average time."""
    lines = [f"{card.asked} of {card.total} questions asked. {card.why}", ""]
    for s in card.lines:
        average = f"{s.average_seconds:.1f} s" if s.average_seconds is not None else "-"
        lines.append(f"**{s.rank}.** {s.name} · {s.points} pts · {s.correct}/{s.answered} correct · avg {average}")
    if not card.lines:
        lines.append("Nobody played.")
    embed = render._embed(title="🏁 Round standings", description="\n".join(lines), colour=render.REVEAL_COLOR)
    return Message(embeds=[embed])


def _rating(r: RatingLine) -> str:
    mark = " (provisional)" if r.provisional else ""
    return f"**{r.rank}.** {r.name} · {r.rating}{mark} · {r.wins} W {r.losses} L {r.draws} D"


def ratings_message(card: RatingsCard) -> Message:
    """The server's duel ratings with the caller's own line."""
    if not card.lines:
        return render.notice("No rated duels yet: challenge someone with `/duel`.")
    lines = [_rating(r) for r in card.lines]
    if card.you is not None:
        lines += ["…", _rating(card.you)]
    return Message(embeds=[render._embed(title=card.title, description="\n".join(lines), colour=render.REVEAL_COLOR)])


# ---- controls ----------------------------------------------------------------------------------------------------


class PlayClickHandler(Protocol):
    """Where a duel or round click goes (the client's play handlers)."""

    async def play_clicked(self, interaction: discord.Interaction, custom_id: str) -> None:
        """A member pressed Accept, Decline, Play, Leave, Join or Stop."""


class _Client(Protocol):
    play_handlers: PlayClickHandler
    handlers: Any


class PlayItem(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"play:[0-9]{1,12}:[a-z]{1,10}"):
    """A duel or round button; the id carries the round and the action, so it works after a restart."""

    def __init__(self, item: discord.ui.Button[Any]) -> None:
        super().__init__(item)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> PlayItem:
        """Rebuild the button from the clicked message."""
        if not isinstance(item, discord.ui.Button):
            raise TypeError(f"unexpected component {item!r}")
        return cls(item)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Not while shutting down."""
        admitted: bool = await cast("_Client", interaction.client).handlers.admit(interaction)
        return admitted

    async def callback(self, interaction: discord.Interaction) -> None:
        """Hand the click to the play handlers."""
        await cast("_Client", interaction.client).play_handlers.play_clicked(interaction, self.custom_id)


# ---- handlers ----------------------------------------------------------------------------------------------------


class PlayHandlers:
    """`/duel`, `/round`, `/ratings` and their buttons; uses the main handlers' replies, refusals and shutdown gate."""

    def __init__(self, handlers: Handlers) -> None:
        self.base = handlers
        self.service = handlers.service

    async def duel(
        self, interaction: discord.Interaction, member: discord.Member | discord.User, options: dict[str, str]
    ) -> None:
        """/duel member: the challenge goes to the channel; its card is remembered so changes edit it."""
        reply = self.base._reply(interaction, ephemeral=False)
        async with self.base._guard(reply):
            opponent = user_ref(member).model_copy(update={"is_bot": member.bot})
            request = duel_request(Command("duel", [], options))
            user = invoker(interaction, self.base.admin_ids)
            card = await reply.call(self.service.challenge(user, target(interaction), opponent, request))
            await self._post_board(interaction, reply, duel_message(card), card.round_id)

    async def round(self, interaction: discord.Interaction, options: dict[str, str]) -> None:
        """/round: the join card goes to the channel."""
        reply = self.base._reply(interaction, ephemeral=False)
        async with self.base._guard(reply):
            user = invoker(interaction, self.base.admin_ids)
            card = await reply.call(
                self.service.start_round(user, target(interaction), round_request(Command("round", [], options)))
            )
            await self._post_board(interaction, reply, round_message(card), card.round_id)

    async def ratings(self, interaction: discord.Interaction) -> None:
        """/ratings: the server's duel ratings, for everyone to see."""
        reply = self.base._reply(interaction, ephemeral=False)
        async with self.base._guard(reply):
            user = invoker(interaction, self.base.admin_ids)
            card = await reply.call(self.service.execute(user, target(interaction), Command("ratings")))
            await reply.send(ratings_message(cast("RatingsCard", card)))

    async def _post_board(self, interaction: discord.Interaction, reply: Any, message: Message, round_id: int) -> None:
        message_id = await reply.send(message)
        if message_id is None:
            log.warning("Discord did not return the id of the card of round %s", round_id)
            return
        await self.service.attach_board(round_id, message_ref(interaction.channel_id or 0, message_id))

    async def play_clicked(self, interaction: discord.Interaction, custom_id: str) -> None:
        """A button on a duel or round card: a private answer (and, for Accept and Play, the player's question);
        the card itself is edited by the core through DiscordChat.show_play."""
        reply = self.base._reply(interaction, ephemeral=True)
        async with self.base._guard(reply):
            decoded = decode_control(custom_id)
            if decoded is None:
                raise QuizError(NOT_OURS)
            user = invoker(interaction, self.base.admin_ids)
            result = await reply.call(
                self.service.play_action(user, target(interaction), decoded.round_id, decoded.action)
            )
            if result.question is not None:
                await reply.send(render.question(result.question.model_copy(update={"note": result.message})))
            else:
                await reply.send(render.notice(result.message))


def install_play(tree: app_commands.CommandTree[Any], handlers: PlayHandlers, domains: list[tuple[str, str]]) -> None:
    """Define `/duel`, `/round` and `/ratings`."""
    choices = [app_commands.Choice(name=f"{i} {n}"[:100], value=i) for i, n in domains]

    @tree.command(name="duel", description="Challenge a member: the same questions privately, timed, then ratings.")
    @app_commands.describe(
        member="Who to challenge",
        count=f"How many questions ({MIN_COUNT}-{MAX_COUNT}, default {DEFAULT_COUNT})",
        domain="Only questions of this exam domain",
        seconds=f"Seconds per question ({MIN_SECONDS}-{MAX_SECONDS}, default {DEFAULT_SECONDS})",
    )
    @app_commands.choices(domain=choices)
    async def duel(
        interaction: discord.Interaction,
        member: discord.Member | discord.User,
        count: app_commands.Range[int, MIN_COUNT, MAX_COUNT] | None = None,
        domain: str | None = None,
        seconds: app_commands.Range[int, MIN_SECONDS, MAX_SECONDS] | None = None,
    ) -> None:
        given = {k: str(v) for k, v in (("count", count), ("domain", domain), ("seconds", seconds)) if v is not None}
        await handlers.duel(interaction, member, given)

    @tree.command(name="round", description="A group round here: join, then timed questions with a reveal after each.")
    @app_commands.describe(
        count=f"How many questions (1-{ROUND_MAX}, default {ROUND_COUNT})",
        domain="Only questions of this exam domain",
        seconds=f"Seconds per question ({ROUND_MIN_SECONDS}-{ROUND_MAX_SECONDS}, default {ROUND_SECONDS})",
        speed="Speed points: faster correct answers score more (default on)",
    )
    @app_commands.choices(domain=choices)
    async def round_(
        interaction: discord.Interaction,
        count: app_commands.Range[int, 1, ROUND_MAX] | None = None,
        domain: str | None = None,
        seconds: app_commands.Range[int, ROUND_MIN_SECONDS, ROUND_MAX_SECONDS] | None = None,
        speed: bool | None = None,
    ) -> None:
        given = {k: str(v) for k, v in (("count", count), ("domain", domain), ("seconds", seconds)) if v is not None}
        if speed is not None:
            given["speed"] = "on" if speed else "off"
        await handlers.round(interaction, given)

    @tree.command(name="ratings", description="Duel ratings in this server (provisional for the first 10 games).")
    async def ratings(interaction: discord.Interaction) -> None:
        await handlers.ratings(interaction)
