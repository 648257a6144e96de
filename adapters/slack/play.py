"""Duels, group rounds and ratings on Slack: their messages (Block Kit), buttons and the `/quiz` lines that start them.

Duel questions are ephemeral messages in the channel, not DMs: each answers the member's own click (Accept, Play, the
previous answer), so it is private without opening a DM, and its response_url is fresh, so the next answer replaces
it in place. A question that times out needs no edit: the core decides what timed out and the next click moves on.
Round questions are public cards (ChatPort.post_question) whose footer shows the deadline in each reader's timezone.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ContextBlock, MarkdownTextObject, SectionBlock
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import blocks
from adapters.slack.blocks import Message, clip, escape
from adapters.slack.chat import message_ref
from adapters.slack.members import Members, target
from bot import commands
from bot.duels import duel_request
from bot.models import Target, UserRef
from bot.play_cards import (
    ACCEPT,
    DECLINE,
    JOIN,
    LEAVE,
    PLAY,
    PLAY_PREFIX,
    STOP,
    DuelCard,
    PlayReply,
    RatingLine,
    RatingsCard,
    RoundCard,
    StandingsCard,
    decode_control,
    encode_control,
)
from bot.play_store import CHALLENGED, ENDED, FINISHED, JOINING, PLAYING
from bot.service import QuizError, QuizService, Reply

log = logging.getLogger(__name__)

NOT_OURS = "That button is not one of mine; use `/quiz duel @member` or `/quiz round` to start again."
_SLACK_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
Say = Callable[[Message], Awaitable[None]]


# ---- rendering (pure) --------------------------------------------------------------------------------------------


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=clip(text, blocks.SECTION_LIMIT)))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=clip(text, blocks.SECTION_LIMIT))])


def _buttons(round_id: int, *pairs: tuple[str, str, str | None]) -> ActionsBlock:
    return ActionsBlock(
        block_id="play_controls",
        elements=[
            ButtonElement(
                text=label,
                action_id=encode_control(round_id, action),
                value=encode_control(round_id, action),
                **({"style": style} if style else {}),
            )
            for label, action, style in pairs
        ],
    )


def _verdict(card: DuelCard) -> str:
    if card.winner:
        return f"*{escape(card.winner)}* wins"
    return "A draw" if card.draw else "No contest: neither played"


def duel_message(card: DuelCard) -> Message:
    """The channel's duel card: the challenge (Accept, Decline), the game (Play, Leave) or how it ended."""
    a, b = (escape(s.name) for s in card.sides)
    head = f":crossed_swords: *Duel · {a} vs {b}* · {card.count} questions, {card.seconds} s each"
    body: list[Block] = [_section(head)]
    if card.state == CHALLENGED:
        expires = blocks._slack_time(card.expires_at, "UTC")
        body += [
            _section(f"*{b}*, accept or decline before {expires}."),
            _buttons(card.round_id, ("Accept", ACCEPT, "primary"), ("Decline", DECLINE, None)),
        ]
    elif card.state == PLAYING:
        body += [
            _section("Accepted! Both players: press *Play* for your questions (only you see them)."),
            _buttons(card.round_id, ("Play", PLAY, "primary"), ("Leave", LEAVE, "danger")),
        ]
    elif card.state == FINISHED:
        body.append(_section(f"{_verdict(card)}; the result is below."))
    else:
        body.append(_section(escape(card.note or "This duel is over.")))
    return Message(f"Duel: {a} vs {b}", body)


def duel_result_message(card: DuelCard) -> Message:
    """The result: both scores and times, ratings, then every question with both answers and the key's explanation."""
    lines = [f"{_verdict(card)}."]
    for s in card.sides:
        left = " · left the duel" if s.left else ""
        rating = ""
        if s.rating is not None and s.change is not None:
            rating = f" · rating {s.rating} ({s.change:+d}){' provisional' if s.provisional else ''}"
        lines.append(
            f"*{escape(s.name)}* · {s.points} pts · {s.correct}/{card.count} correct · {s.seconds:.0f} s{left}{rating}"
        )
    if card.rated and card.weight is not None and card.weight < 1:
        lines.append(f"Counted at {card.weight:.0%}: you have played each other often today.")
    if not card.rated:
        lines.append("Not rated.")
    body: list[Block] = [_section(":crossed_swords: *Duel result*"), _section("\n".join(lines))]
    for item in card.items:
        answers = " · ".join(
            f"{blocks.CORRECT if choice == item.key else blocks.WRONG} {escape(side.name)}: "
            f"{blocks.letters(choice) if choice else 'no answer'}"
            for side, choice in zip(card.sides, item.choices, strict=True)
        )
        why = "\n".join(f"> *{o.letter.upper()}* {escape(o.explanation)}" for o in item.options if o.correct)
        body.append(
            _section(
                f"*{item.question_no}. Answer {blocks.letters(item.key)}* · task {item.task}\n"
                f"{clip(escape(item.stem), 600)}\n{answers}\n{why}"
            )
        )
    return Message(f"Duel result: {_verdict(card).replace('*', '')}.", body[: blocks.MAX_BLOCKS])


def round_message(card: RoundCard) -> Message:
    """The channel's round card: the join window with Join and Stop, the round under way, or its end."""
    speed = "faster correct answers score more" if card.speed else "no speed points"
    head = f":checkered_flag: *Group round* · {card.total} questions, {card.seconds} s each · {speed}"
    players = f"Players ({len(card.players)}): {escape(', '.join(card.players))}" if card.players else "No players yet."
    body: list[Block] = [_section(head), _context(f"Started by {escape(card.starter)}")]
    if card.phase == JOINING:
        when = f" at {blocks._slack_time(card.starts_at, 'UTC')}" if card.starts_at else ""
        body += [
            _section(f"Press *Join*; the first question comes{when}.\n{players}"),
            _buttons(card.round_id, ("Join", JOIN, "primary"), ("Stop", STOP, "danger")),
        ]
    elif card.phase == ENDED:
        body.append(_section(f"Finished. {escape(card.note or '')}".rstrip()))
    else:
        body += [
            _section(f"Under way: question {card.current} of {card.total}.\n{players}"),
            _buttons(card.round_id, ("Stop", STOP, "danger")),
        ]
    return Message(f"Group round: {card.total} questions", body)


def standings_message(card: StandingsCard) -> Message:
    """Final standings: points, correct answers and average time."""
    lines = []
    for s in card.lines:
        average = f"{s.average_seconds:.1f} s" if s.average_seconds is not None else "-"
        lines.append(
            f"*{s.rank}.* {escape(s.name)} · {s.points} pts · {s.correct}/{s.answered} correct · avg {average}"
        )
    body: list[Block] = [
        _section(":checkered_flag: *Round standings*"),
        _context(f"{card.asked} of {card.total} questions asked. {escape(card.why)}"),
        _section("\n".join(lines) or "Nobody played."),
    ]
    return Message(f"Round standings: {card.why}", body)


def _rating(r: RatingLine) -> str:
    mark = " (provisional)" if r.provisional else ""
    return f"*{r.rank}.* {escape(r.name)} · {r.rating}{mark} · {r.wins} W {r.losses} L {r.draws} D"


def ratings_message(card: RatingsCard) -> Message:
    """The server's duel ratings with the caller's own line."""
    if not card.lines:
        return blocks.notice("No rated duels yet: challenge someone with `/quiz duel @member`.")
    lines = [_rating(r) for r in card.lines] + (["…", _rating(card.you)] if card.you else [])
    return Message(f"{card.title}", [_section(f"*{card.title}*"), _section("\n".join(lines))])


def reply_message(reply: PlayReply) -> Message:
    """A duel or round action's private answer: the member's next question (with the message above it) or a line."""
    if reply.question is not None:
        return blocks.question_message(reply.question.model_copy(update={"note": reply.message}))
    return blocks.notice(reply.message)


# ---- the listeners -----------------------------------------------------------------------------------------------


class SlackPlay:
    """`/quiz duel …`, `/quiz round …`, `/quiz ratings`, and the buttons on duel and round cards."""

    def __init__(self, service: QuizService, members: Members) -> None:
        self.service = service
        self.members = members

    async def challenge(
        self, client: AsyncWebClient, team: str, user: UserRef, where: Target, line: str
    ) -> Reply | None:
        """`duel <@U…>`: the mentioned member is looked up (a bot cannot be challenged); None for any other line."""
        try:
            command = commands.parse(line)
        except commands.CommandError:
            return None
        if command.name != "duel" or not command.args:
            return None
        match = _SLACK_MENTION.match(command.args[0])
        if match is None:
            return None
        opponent = await self.members.user(client, team, match.group(1))
        try:
            request = duel_request(command)
        except commands.CommandError as exc:
            raise QuizError(str(exc)) from None
        return await self.service.challenge(user, where, opponent, request)

    async def show(self, reply: Reply, where: Target, client: AsyncWebClient, say: Say) -> bool:
        """Show a duel's or round's card in the channel (remembered, so the core can edit it) or a private answer;
        False for cards that are not about duels or rounds."""
        if isinstance(reply, DuelCard | RoundCard):
            message = duel_message(reply) if isinstance(reply, DuelCard) else round_message(reply)
            posted = await client.chat_postMessage(channel=where.channel, **message.kwargs())
            await self.service.attach_board(reply.round_id, message_ref(str(posted["channel"]), str(posted["ts"])))
            return True
        if isinstance(reply, PlayReply):
            await say(reply_message(reply))
            return True
        if isinstance(reply, RatingsCard):
            await say(ratings_message(reply))
            return True
        return False

    async def on_click(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        """A button on a duel or round card: the answer (the member's question, or a line) is ephemeral; the card
        itself is edited by the core through SlackChat.show_play."""
        await ack()
        from adapters.slack.handlers import Replies, _guard  # handlers imports this module

        channel = (body.get("container") or {}).get("channel_id") or (body.get("channel") or {}).get("id")
        say = Replies(respond, client, channel, body["user"]["id"]).new()
        await _guard(self._click(body, action, client, channel, say), say)

    async def _click(
        self, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient, channel: str | None, say: Say
    ) -> None:
        decoded = decode_control(str(action.get("value") or ""))
        team = (body.get("team") or {}).get("id") or body["user"].get("team_id")
        if decoded is None or not channel or not team:
            await say(blocks.notice(NOT_OURS))
            return
        user = await self.members.user(client, team, body["user"]["id"], body["user"].get("name", ""))
        reply = await self.service.play_action(user, target(team, channel), decoded.round_id, decoded.action)
        await say(reply_message(reply))


PLAY_ACTION = re.compile(rf"^{PLAY_PREFIX}:")
