"""Duels: a challenge, accept / decline / expiry, both players privately on the same questions, the result, ratings.

QuizService delegates here. Each player has their own clock: question k starts when they answered question k-1 (or
when it timed out) and lasts the duel's per-question limit, so both positions follow from the stored answers alone.
A player's first question starts when they open it, or by itself START_GRACE after the acceptance. One scheduled job
`duel:{round_id}` wakes at the next deadline (the challenge's expiry, then the earliest question deadline); it is
re-armed from the database at start, so a restart mid-duel resumes it or finishes it.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from typing import TYPE_CHECKING, NamedTuple

from bot.cards import AnswerResult, Outcome, QuestionCard
from bot.commands import Command, CommandError, build_quiz_request
from bot.models import Answer, Question, Round, RoundKind, Tally, Target, UserRef
from bot.periods import local_date
from bot.play_cards import (
    ACCEPT,
    DECLINE,
    LEAVE,
    PLAY,
    DuelCard,
    DuelItem,
    DuelSide,
    PlayPort,
    PlayReply,
    RatingLine,
    RatingsCard,
)
from bot.play_store import CHALLENGED, DECLINED, EXPIRED, FINISHED, PLAYING, Duel, RatingChange, RatingRow
from bot.ports import Clock, Repository, Scheduler
from bot.rating import DRAW, LOSS, PROVISIONAL_GAMES, WIN, Standing, pair_weight, rate
from bot.scoring import InvalidChoice, kind_points, parse_choice, score_answer

if TYPE_CHECKING:
    from bot.service import QuizService

log = logging.getLogger(__name__)

MIN_COUNT, MAX_COUNT, DEFAULT_COUNT = 1, 10, 5
MIN_SECONDS, MAX_SECONDS, DEFAULT_SECONDS = 10, 300, 60
ACCEPT_WINDOW = timedelta(minutes=10)
START_GRACE = timedelta(minutes=5)  # a player who never opens their questions starts (and times out) by themselves
RATINGS_SIZE = 10
LEAVE_STREAK = 2  # timing out on the last two questions (or never answering) is leaving, which counts as a loss
_MENTION = re.compile(r"^<?@?([\w.-]+)(?:\|([^>]*))?>?$")

TallyFor = Callable[[Round, Answer, str], Awaitable[Tally]]
QuestionFor = Callable[[Round, int], Question]


class DuelRefused(Exception):
    """A refusal; QuizService turns it into a QuizError."""


@dataclass(frozen=True)
class DuelRequest:
    """A checked `duel` request."""

    count: int = DEFAULT_COUNT
    domain: str | None = None
    task: str | None = None
    seconds: int = DEFAULT_SECONDS
    seed: int | None = None


# ---- pure rules ---------------------------------------------------------------------------------------------------


class Position(NamedTuple):
    """Where a player stands: the question they are on (None when done), when it started and its deadline;
    once done, `started` is when they finished."""

    question_no: int | None
    started: datetime
    deadline: datetime | None


def position(
    start: datetime, limit: timedelta, answered: Mapping[int, datetime], total: int, now: datetime
) -> Position:
    """A player's position from their clock start and answer times: each question starts when the previous one was
    answered or timed out."""
    begins = start
    for number in range(1, total + 1):
        deadline = begins + limit
        if number in answered:
            begins = answered[number]
            continue
        if now < deadline:
            return Position(number, begins, deadline)
        begins = deadline
    return Position(None, begins, None)


def left_duel(answered: Sequence[int], total: int) -> bool:
    """Whether a player left: their last LEAVE_STREAK questions (all of a shorter duel) went unanswered."""
    trailing = 0
    for number in range(total, 0, -1):
        if number in answered:
            break
        trailing += 1
    return trailing >= min(LEAVE_STREAK, total)


def duel_score(a: DuelSide, b: DuelSide) -> float | None:
    """A's game score: a player who left loses; else more points wins, then less time; None when both left."""
    if a.left and b.left:
        return None
    if a.left or b.left:
        return LOSS if a.left else WIN
    if a.points != b.points:
        return WIN if a.points > b.points else LOSS
    if a.seconds != b.seconds:
        return WIN if a.seconds < b.seconds else LOSS
    return DRAW


def duel_request(command: Command) -> DuelRequest:
    """Check `count:`, `seconds:` and `seed:` of a `duel` command (domain and task are checked against the bank)."""
    count = _int(command.options.get("count"), "The number of questions", DEFAULT_COUNT)
    if not MIN_COUNT <= count <= MAX_COUNT:
        raise CommandError(f"A duel has {MIN_COUNT} to {MAX_COUNT} questions; you asked for {count}.")
    seconds = _int(command.options.get("seconds"), "The seconds per question", DEFAULT_SECONDS)
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise CommandError(f"Each duel question takes {MIN_SECONDS} to {MAX_SECONDS} seconds; you asked for {seconds}.")
    seed = command.options.get("seed")
    return DuelRequest(
        count,
        command.options.get("domain"),
        command.options.get("task"),
        seconds,
        None if seed is None else _int(seed, "The seed", 0),
    )


def _int(value: str | None, what: str, default: int) -> int:
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise CommandError(f"{what} must be a whole number, not `{value}`.") from None


def mentioned(user: UserRef, text: str) -> UserRef:
    """The member a typed mention names (`sam`, `@sam`, Slack's `<@U123|sam>`), on the caller's platform."""
    match = _MENTION.match(text.strip())
    if match is None:
        raise DuelRefused(f"`{text}` is not a member; name them, e.g. `duel @sam`.")
    return UserRef(platform=user.platform, user_id=match.group(1), name=match.group(2) or match.group(1))


# ---- the flow -----------------------------------------------------------------------------------------------------


class Duels:
    """Duels over the shared repository, scheduler, clock and ports."""

    def __init__(
        self,
        quiz: QuizService,
        repo: Repository,
        scheduler: Scheduler,
        clock: Clock,
        tally: TallyFor,
        question: QuestionFor,
    ) -> None:
        self._quiz = quiz
        self._repo = repo
        self._scheduler = scheduler
        self._clock = clock
        self._tally = tally
        self._question = question

    async def start(self) -> None:
        """Expire, finish or re-arm every open duel of a registered front door (after a restart)."""
        for round_id in await self._repo.open_duel_ids():
            duel = await self._repo.duel(round_id)
            if duel is not None and self._quiz.port_for(duel.target.platform) is not None:
                await self._tick(round_id)

    # ---- commands -----------------------------------------------------------------------------------------------

    async def command(self, user: UserRef, target: Target, command: Command) -> DuelCard | PlayReply:
        """`duel @member [count:] [domain:] [task:] [seconds:]`, `duel play` or `duel leave`."""
        word = command.args[0] if command.args else ""
        if word.lower() in ("play", "resume", "start"):
            return await self.act(user, target, None, PLAY)
        if word.lower() in ("leave", "forfeit", "quit"):
            return await self.act(user, target, None, LEAVE)
        if not word:
            raise DuelRefused("Name the member to challenge, e.g. `duel @sam`; `duel play` opens your questions.")
        request = duel_request(command)
        opponent = mentioned(user, word)
        names = await self._repo.member_names([opponent.key])
        opponent = opponent.model_copy(update={"name": names.get(opponent.key, opponent.name)})
        return await self.challenge(user, target, opponent, request)

    async def challenge(self, user: UserRef, target: Target, opponent: UserRef, request: DuelRequest) -> DuelCard:
        """Challenge a member: the card the channel sees, with Accept and Decline, valid for ACCEPT_WINDOW."""
        if opponent.is_bot:
            raise DuelRefused("Bots don't duel; challenge a member instead.")
        if opponent.key == user.key:
            raise DuelRefused("You can't duel yourself; challenge another member.")
        if target.workspace == "@me":
            raise DuelRefused("Duels are played in a server channel, where the result can be posted.")
        try:
            checked = build_quiz_request(self._quiz.bank, request.count, request.domain, request.task)
        except CommandError as exc:
            raise DuelRefused(str(exc)) from None
        for member in (user, opponent):
            running = await self._repo.open_duel_of(member.key)
            if running is not None:
                who = "You have" if member.key == user.key else f"{member.name} has"
                raise DuelRefused(f"{who} an open duel already; one duel at a time.")
        rng = random.Random(request.seed) if request.seed is not None else random.Random()
        questions = (await self._quiz.bank_for(target)).pick(request.count, rng, checked.domain, checked.task)
        if not questions:
            raise DuelRefused("No questions match that domain and task yet.")
        await self._repo.remember_member(user.key, user.name)
        await self._repo.remember_member(opponent.key, opponent.name)
        now = self._clock.now()
        round_id = await self._repo.create_duel(
            target, user.key, opponent.key, [q.id for q in questions], request.seconds, now, now + ACCEPT_WINDOW
        )
        if round_id is None:  # a challenge of the same member landed between the check and the insert
            raise DuelRefused("One of you has an open duel already; one duel at a time.")
        duel = await self._duel(round_id)
        self._arm(round_id, duel.expires_at)
        return await self.card(duel)

    async def act(self, user: UserRef, target: Target, round_id: int | None, action: str) -> PlayReply:
        """Accept, decline, open your questions (`play`) or leave: from a button (`round_id`) or typed."""
        duel = await self._find(user, target, round_id)
        now = self._clock.now()
        if duel.state == CHALLENGED and now >= duel.expires_at:
            await self._tick(duel.round_id)
            raise DuelRefused("This challenge has expired; challenge again with `duel`.")
        if action == ACCEPT:
            return await self._accept(user, duel)
        if action == DECLINE or (action == LEAVE and duel.state == CHALLENGED):
            if duel.state != CHALLENGED:
                raise DuelRefused("This duel is under way; `duel leave` leaves it (a loss).")
            if not await self._repo.move_duel(duel.round_id, CHALLENGED, DECLINED, now):
                raise DuelRefused("This challenge has been answered already.")
            self._scheduler.cancel(_job(duel.round_id))
            await self._show(await self._duel(duel.round_id))
            return PlayReply(message="Challenge withdrawn." if user.key == duel.challenger else "Challenge declined.")
        if duel.state != PLAYING:
            raise DuelRefused("This duel has not been accepted yet.")
        if action == PLAY:
            return await self._play(user, duel)
        if action == LEAVE:
            if await self._repo.forfeit_duel(duel.round_id, user.key):
                await self._finish(await self._duel(duel.round_id))
            return PlayReply(message="You left the duel; it counts as a loss. The result is in the channel.")
        raise DuelRefused("That duel control is not one of mine.")

    async def _accept(self, user: UserRef, duel: Duel) -> PlayReply:
        if user.key != duel.opponent:
            raise DuelRefused("Only the challenged member can accept this duel.")
        if duel.state != CHALLENGED or not await self._repo.move_duel(
            duel.round_id, CHALLENGED, PLAYING, self._clock.now()
        ):
            raise DuelRefused("This challenge has been answered already.")
        fresh = await self._duel(duel.round_id)
        await self._show(fresh)
        await self._rearm(fresh)
        reply = await self._play(user, fresh)
        return reply.model_copy(update={"message": f"Duel on! {reply.message}"})

    async def _play(self, user: UserRef, duel: Duel) -> PlayReply:
        now = self._clock.now()
        if duel.started(user.key) is None:
            await self._repo.start_duel_player(duel.round_id, user.key, now)
            duel = await self._duel(duel.round_id)
            await self._rearm(duel)
        where = await self._position(duel, user.key, now)
        if where.question_no is None:
            return PlayReply(message=self._done_message(duel, user.key))
        card = await self._question_card(duel, user, where)
        return PlayReply(
            message=f"{duel.seconds} s per question; answers stay hidden until you both finish.", question=card
        )

    # ---- answers ------------------------------------------------------------------------------------------------

    async def answer(self, user: UserRef, rnd: Round, question_no: int, raw: str) -> AnswerResult:
        """Record a player's answer to the question they are on; a timed-out one moves them on instead."""
        duel = await self._duel(rnd.id)
        if user.key not in duel.players:
            raise DuelRefused("This duel is between two other members; challenge someone with `duel`.")
        if duel.state != PLAYING:
            raise DuelRefused("This duel is over." if duel.state == FINISHED else "This duel is not being played.")
        now = self._clock.now()
        if duel.started(user.key) is None:
            await self._repo.start_duel_player(duel.round_id, user.key, now)
            duel = await self._duel(duel.round_id)
        where = await self._position(duel, user.key, now)
        if where.question_no is None:
            raise DuelRefused(self._done_message(duel, user.key))
        if question_no > where.question_no:
            raise DuelRefused(f"Answer question {where.question_no} first.")
        if question_no < where.question_no:
            if await self._repo.get_answer(rnd.id, question_no, user.key) is not None:
                raise DuelRefused("You already answered that question; the first answer stands.")
            card = await self._question_card(duel, user, where)
            return AnswerResult(
                outcome=Outcome.RECORDED,
                choice="",
                message=f"Time ran out for question {question_no}; here is question {where.question_no}.",
                next_card=card,
            )
        question = self._question(rnd, question_no)
        try:
            choice = parse_choice(raw, question)
        except InvalidChoice as exc:
            raise DuelRefused(str(exc)) from None
        answer = score_answer(
            question,
            choice,
            round_id=rnd.id,
            question_no=question_no,
            user_key=user.key,
            answered_at=now,
            elapsed_ms=int((now - where.started).total_seconds() * 1000),
            points=kind_points(RoundKind.DUEL),
        )
        # Counted toward stats and boards only when the duel finishes: a player's stats must not give away answers.
        if not await self._repo.record_answer(await self._tally(rnd, answer, question.task), count_now=False):
            raise DuelRefused("You already answered that question; the first answer stands.")
        saved = f"Saved {', '.join(choice.upper())} for question {question_no}."
        following = await self._position(duel, user.key, now)
        if following.question_no is None:
            await self._tick(duel.round_id)
            fresh = await self._duel(duel.round_id)
            done = "" if fresh.state == FINISHED else " " + self._done_message(fresh, user.key)
            return AnswerResult(outcome=Outcome.RECORDED, choice=choice, message=saved + done)
        await self._rearm(duel)
        card = await self._question_card(duel, user, following)
        return AnswerResult(outcome=Outcome.RECORDED, choice=choice, message=saved, next_card=card)

    # ---- the job ------------------------------------------------------------------------------------------------

    def _arm(self, round_id: int, when: datetime) -> None:
        self._scheduler.at(when, _job(round_id), lambda: self._tick(round_id))

    async def _rearm(self, duel: Duel) -> None:
        now = self._clock.now()
        deadlines = [p.deadline for p in [await self._position(duel, k, now) for k in duel.players] if p.deadline]
        if deadlines:
            self._arm(duel.round_id, min(deadlines))

    async def _tick(self, round_id: int) -> None:
        """The duel's job: expire an unanswered challenge, finish a duel both players are done with, or re-arm."""
        duel = await self._repo.duel(round_id)
        if duel is None:
            return
        now = self._clock.now()
        if duel.state == CHALLENGED:
            if now < duel.expires_at:
                self._arm(round_id, duel.expires_at)
            elif await self._repo.move_duel(round_id, CHALLENGED, EXPIRED, now):
                await self._show(await self._duel(round_id))
            return
        if duel.state != PLAYING:
            return
        positions = [await self._position(duel, k, now) for k in duel.players]
        if duel.forfeit is not None or all(p.question_no is None for p in positions):
            await self._finish(duel)
        else:
            await self._rearm(duel)

    # ---- the end ------------------------------------------------------------------------------------------------

    async def _finish(self, duel: Duel) -> None:
        now = self._clock.now()
        rnd = await self._repo.get_round(duel.round_id)
        if rnd is None:  # pragma: no cover - a duel always has its round
            return
        answers = await self._repo.answers(duel.round_id)
        names = await self._repo.member_names(list(duel.players))
        sides = []
        for key in duel.players:
            mine = [a for a in answers if a.user_key == key]
            where = await self._position(duel, key, now)
            start = duel.started(key) or self._start(duel, key)
            end = where.started if where.question_no is None else now
            sides.append(
                DuelSide(
                    user_key=key,
                    name=names.get(key, key.split(":", 1)[-1]),
                    points=sum(a.points for a in mine),
                    correct=sum(a.correct for a in mine),
                    answered=len(mine),
                    seconds=max(0.0, (end - start).total_seconds()),
                    # A forfeit ends the duel at once: only the one who left loses for leaving.
                    left=duel.forfeit == key
                    if duel.forfeit
                    else left_duel([a.question_no for a in mine], len(duel.question_ids)),
                )
            )
        score = duel_score(sides[0], sides[1])
        scope = duel.target.workspace_key
        weight: float | None = None
        changes: list[RatingChange] = []
        if score is not None:
            zone = (await self._quiz.channel_config(duel.target)).tz
            midnight = datetime.combine(local_date(now, zone), clock_time(0), tzinfo=zone).astimezone(UTC)
            weight = pair_weight(await self._repo.pair_games_since(scope, duel.challenger, duel.opponent, midnight))
            rows = {r.user_key: r for r in await self._repo.rating_rows(scope, list(duel.players))}
            before = [Standing(rows[k].rating, rows[k].games) if k in rows else Standing() for k in duel.players]
            after = rate(before[0], before[1], score, weight)
            results = ("win", "loss") if score == WIN else ("loss", "win") if score == LOSS else ("draw", "draw")
            changes = [RatingChange(k, a.rating, r) for k, a, r in zip(duel.players, after, results, strict=True)]
            sides = [
                s.model_copy(
                    update={
                        "rating": round(a.rating),
                        "change": round(a.rating - b.rating),
                        "provisional": a.provisional,
                    }
                )
                for s, a, b in zip(sides, after, before, strict=True)
            ]
        tallies = [await self._tally(rnd, a, self._question(rnd, a.question_no).task) for a in answers]
        winner = None if score in (None, DRAW) else duel.players[0 if score == WIN else 1]
        if not await self._repo.finish_duel(duel.round_id, now, tallies, scope, winner, weight, changes):
            return
        self._scheduler.cancel(_job(duel.round_id))
        finished = await self._duel(duel.round_id)
        card = (await self.card(finished)).model_copy(
            update={
                "sides": sides,
                "winner": next((s.name for s in sides if s.user_key == winner), None),
                "draw": score == DRAW,
                "rated": score is not None,
                "weight": weight,
                "items": await self._items(rnd, duel, answers),
            }
        )
        port = self._port(duel.target)
        if port is None:
            return
        try:
            await port.show_play(duel.target, await self._repo.message_refs(duel.round_id, 0), card)
            await port.post_play(duel.target, card)
        except Exception:
            log.exception("posting the result of duel %s failed", duel.round_id)

    async def _items(self, rnd: Round, duel: Duel, answers: Sequence[Answer]) -> list[DuelItem]:
        chosen = {(a.user_key, a.question_no): a.choice for a in answers}
        items = []
        for number in range(1, len(duel.question_ids) + 1):
            reveal = await self._quiz.reveal_card(rnd, number, counts=False)
            items.append(
                DuelItem(
                    question_no=number,
                    question_id=reveal.question_id,
                    task=reveal.task,
                    stem=reveal.stem,
                    key=reveal.key,
                    choices=[chosen.get((k, number)) for k in duel.players],
                    options=reveal.options,
                )
            )
        return items

    # ---- ratings ------------------------------------------------------------------------------------------------

    async def ratings(self, user: UserRef, target: Target) -> RatingsCard:
        """The server's duel ratings, best first, with the caller's own line when they are not among them."""
        scope = target.workspace_key
        rows = await self._repo.rating_rows(scope, limit=RATINGS_SIZE)
        mine = await self._repo.rating_rows(scope, [user.key])
        names = await self._repo.member_names([r.user_key for r in [*rows, *mine]])
        lines = [_rating_line(rank, r, names) for rank, r in enumerate(rows, start=1)]
        you = None
        if mine and all(r.user_key != user.key for r in rows):
            above = await self._repo.rating_rows(scope, limit=10_000)
            rank = next(i for i, r in enumerate(above, start=1) if r.user_key == user.key)
            you = _rating_line(rank, mine[0], names)
        return RatingsCard(title="Duel ratings", lines=lines, you=you)

    async def rating_of(self, user_key: str, target: Target) -> RatingLine | None:
        """A member's duel rating in the target's server, for their stats."""
        rows = await self._repo.rating_rows(target.workspace_key, [user_key])
        if not rows:
            return None
        return _rating_line(0, rows[0], await self._repo.member_names([user_key]))

    # ---- helpers ------------------------------------------------------------------------------------------------

    async def card(self, duel: Duel) -> DuelCard:
        """The channel's card of a duel in its current state (results are added by the finish)."""
        names = await self._repo.member_names(list(duel.players))
        notes = {
            CHALLENGED: None,
            PLAYING: "Both players: press Play (or type `duel play`) for your private questions.",
            DECLINED: "The challenge was declined.",
            EXPIRED: "Nobody accepted within 10 minutes, so the challenge expired.",
            FINISHED: None,
        }
        return DuelCard(
            round_id=duel.round_id,
            state=duel.state,
            sides=[DuelSide(user_key=k, name=names.get(k, k.split(":", 1)[-1])) for k in duel.players],
            count=len(duel.question_ids),
            seconds=duel.seconds,
            expires_at=duel.expires_at,
            note=notes.get(duel.state),
        )

    async def _show(self, duel: Duel) -> None:
        port = self._port(duel.target)
        if port is None:
            return
        try:
            await port.show_play(duel.target, await self._repo.message_refs(duel.round_id, 0), await self.card(duel))
        except Exception:
            log.exception("updating the card of duel %s failed", duel.round_id)

    def _port(self, target: Target) -> PlayPort | None:
        port = self._quiz.port_for(target.platform)
        return port if isinstance(port, PlayPort) else None

    async def _find(self, user: UserRef, target: Target, round_id: int | None) -> Duel:
        if round_id is None:
            duel = await self._repo.open_duel_of(user.key)
            if duel is None:
                raise DuelRefused("You have no open duel; challenge someone with `duel @member`.")
            return duel
        found = await self._repo.duel(round_id)
        if found is None or found.target != target:
            raise DuelRefused("That duel is not available here.")
        if user.key not in found.players:
            raise DuelRefused("This duel is between two other members; challenge someone with `duel`.")
        if found.state not in (CHALLENGED, PLAYING):
            raise DuelRefused("This duel is over.")
        return found

    async def _duel(self, round_id: int) -> Duel:
        duel = await self._repo.duel(round_id)
        if duel is None:
            raise DuelRefused("That duel is not available here.")
        return duel

    def _start(self, duel: Duel, user_key: str) -> datetime:
        started = duel.started(user_key)
        if started is not None:
            return started
        return (duel.accepted_at or duel.created_at) + START_GRACE

    async def _position(self, duel: Duel, user_key: str, now: datetime) -> Position:
        answered = {a.question_no: a.answered_at for a in await self._repo.answers(duel.round_id, user_key=user_key)}
        limit = timedelta(seconds=duel.seconds)
        return position(self._start(duel, user_key), limit, answered, len(duel.question_ids), now)

    async def _question_card(self, duel: Duel, user: UserRef, where: Position) -> QuestionCard:
        rnd = await self._repo.get_round(duel.round_id)
        if rnd is None or where.question_no is None:  # pragma: no cover - callers pass a position with a question
            raise DuelRefused("That duel is not available here.")
        names = await self._repo.member_names(list(duel.players))
        other = names.get(duel.opponent if user.key == duel.challenger else duel.challenger, "your opponent")
        card = await self._quiz.question_card(rnd, where.question_no, user)
        return card.model_copy(update={"closes_at": where.deadline, "note": f"Duel with {other}"})

    def _done_message(self, duel: Duel, user_key: str) -> str:
        return "You have answered every question; the result is posted in the channel when your opponent is done."


def _rating_line(rank: int, row: RatingRow, names: Mapping[str, str]) -> RatingLine:
    return RatingLine(
        rank=rank,
        name=names.get(row.user_key, row.user_key.split(":", 1)[-1]),
        rating=round(row.rating),
        games=row.games,
        wins=row.wins,
        losses=row.losses,
        draws=row.draws,
        provisional=row.games < PROVISIONAL_GAMES,
    )


def _job(round_id: int) -> str:
    return f"duel:{round_id}"
