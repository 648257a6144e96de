"""Group rounds: a join window, then questions one at a time in the channel, each timed and revealed, then standings.

QuizService delegates here. The round's phase (joining, asking question n, the pause after its reveal, finished) and
its deadline live in `group_rounds`; one job `group:{round_id}` wakes at the deadline. Every move is a compare-and-set
on (phase, question), so a job, an early reveal (everyone answered) and `stop` never both act. At start the job is
re-armed from the database: a round resumes (a card whose post was cut short is posted again under the same slot) or,
when the bot was away too long, ends with its standings.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.cards import AnswerResult, Outcome
from bot.commands import Command, CommandError, build_quiz_request
from bot.models import Answer, Question, Round, Tally, Target, UserRef
from bot.play_cards import PlayPort, PlayReply, RoundCard, StandingLine, StandingsCard
from bot.play_store import ASKING, ENDED, JOINING, PAUSED, GroupRound
from bot.ports import Clock, Repository, Scheduler
from bot.scoring import InvalidChoice, parse_choice, score_answer
from bot.speed import round_points, streak_before

if TYPE_CHECKING:
    from bot.service import QuizService

log = logging.getLogger(__name__)

MIN_COUNT, MAX_COUNT, DEFAULT_COUNT = 1, 30, 10
MIN_SECONDS, MAX_SECONDS, DEFAULT_SECONDS = 10, 120, 30
JOIN_WINDOW = timedelta(seconds=30)
PAUSE = timedelta(seconds=5)  # between a reveal and the next question, to read the explanation
QUIET_LIMIT = 3  # questions in a row without a single answer end the round
STALE = timedelta(minutes=10)  # back after a longer outage, a round ends with its standings instead of resuming

TallyFor = Callable[[Round, Answer, str], Awaitable[Tally]]
QuestionFor = Callable[[Round, int], Question]


class RoundRefused(Exception):
    """A refusal; QuizService turns it into a QuizError."""


@dataclass(frozen=True)
class RoundRequest:
    """A checked `round` request."""

    count: int = DEFAULT_COUNT
    domain: str | None = None
    task: str | None = None
    seconds: int = DEFAULT_SECONDS
    speed: bool = True
    seed: int | None = None


def round_request(command: Command) -> RoundRequest:
    """Check `round [N] [count:] [seconds:] [speed:on|off] [seed:]` (domain and task are checked against the bank)."""
    raw = command.options.get("count", command.args[0] if command.args else None)
    count = _int(raw, "The number of questions", DEFAULT_COUNT)
    if not MIN_COUNT <= count <= MAX_COUNT:
        raise CommandError(f"A round has {MIN_COUNT} to {MAX_COUNT} questions; you asked for {count}.")
    seconds = _int(command.options.get("seconds"), "The seconds per question", DEFAULT_SECONDS)
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise CommandError(f"Each question runs {MIN_SECONDS} to {MAX_SECONDS} seconds; you asked for {seconds}.")
    speed = command.options.get("speed", "on").lower()
    if speed not in ("on", "off"):
        raise CommandError("`speed:` is on or off.")
    seed = command.options.get("seed")
    return RoundRequest(
        count,
        command.options.get("domain"),
        command.options.get("task"),
        seconds,
        speed == "on",
        None if seed is None else _int(seed, "The seed", 0),
    )


def _int(value: str | None, what: str, default: int) -> int:
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise CommandError(f"{what} must be a whole number, not `{value}`.") from None


def standings(answers: list[Answer], players: list[str], names: dict[str, str]) -> list[StandingLine]:
    """Points first, then correct answers, then the faster average time; every player is listed."""
    rows: dict[str, list[Answer]] = {key: [] for key in players}
    for a in answers:
        rows.setdefault(a.user_key, []).append(a)
    unranked = []
    for key, mine in rows.items():
        average = sum(a.elapsed_ms for a in mine) / len(mine) / 1000 if mine else None
        unranked.append((key, sum(a.points for a in mine), sum(a.correct for a in mine), len(mine), average))
    unranked.sort(key=lambda r: (-r[1], -r[2], r[4] if r[4] is not None else float("inf"), r[0]))
    return [
        StandingLine(
            rank=rank,
            name=names.get(key, key.split(":", 1)[-1]),
            points=points,
            correct=correct,
            answered=answered,
            average_seconds=average,
        )
        for rank, (key, points, correct, answered, average) in enumerate(unranked, start=1)
    ]


class GroupRounds:
    """Group rounds over the shared repository, scheduler, clock and ports."""

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
        """Resume or end every unfinished round of a registered front door (after a restart)."""
        for round_id in await self._repo.open_group_ids():
            g = await self._repo.group_round(round_id)
            if g is None or self._port(g.target) is None:
                continue
            if self._clock.now() - g.deadline > STALE:
                await self._end(g, "The round ended because the bot was away.")
                continue
            if g.phase == ASKING and not await self._repo.message_refs(round_id, g.current):
                await self._post(g, g.current, retry=True)  # cut short by the restart: same slot, never twice
            await self._tick(round_id)

    # ---- commands -----------------------------------------------------------------------------------------------

    async def begin(self, user: UserRef, target: Target, request: RoundRequest) -> RoundCard:
        """Open a round's join window in a channel; the card goes to the channel with a Join button."""
        if target.workspace == "@me":
            raise RoundRefused("Group rounds are played in a channel; start one there with `round`.")
        try:
            checked = build_quiz_request(self._quiz.bank, request.count, request.domain, request.task)
        except CommandError as exc:
            raise RoundRefused(str(exc)) from None
        if await self._repo.open_group_round(target) is not None:
            raise RoundRefused("A round is already running in this channel; join it, or wait for it to end.")
        rng = random.Random(request.seed) if request.seed is not None else random.Random()
        questions = (await self._quiz.bank_for(target)).pick(request.count, rng, checked.domain, checked.task)
        if not questions:
            raise RoundRefused("No questions match that domain and task yet.")
        await self._repo.remember_member(user.key, user.name)
        now = self._clock.now()
        round_id = await self._repo.create_group_round(
            target, user.key, [q.id for q in questions], request.seconds, request.speed, now, now + JOIN_WINDOW
        )
        if round_id is None:
            raise RoundRefused("A round is already running in this channel; join it, or wait for it to end.")
        g = await self._round(round_id)
        self._arm(g)
        return await self.card(g)

    async def join(self, user: UserRef, target: Target, round_id: int | None) -> PlayReply:
        """Join the channel's round (during the join window; later, answering is joining)."""
        g = await self._find(target, round_id)
        await self._repo.remember_member(user.key, user.name)
        if not await self._repo.join_round(g.round_id, user.key, self._clock.now()):
            return PlayReply(message="You are in this round already.")
        if g.phase == JOINING:
            await self._show(g)
            return PlayReply(message="You joined the round; the first question comes when the join window closes.")
        return PlayReply(message="You joined the round; answer the question on screen.")

    async def stop(self, user: UserRef, target: Target, round_id: int | None = None) -> PlayReply | None:
        """End the channel's round (its starter or an admin); None when no round runs here."""
        g = await self._repo.group_round(round_id) if round_id else await self._repo.open_group_round(target)
        if g is None or g.target != target or g.phase == ENDED:
            if round_id is None:
                return None
            raise RoundRefused("This round has ended.")
        if user.key != g.starter and not user.is_admin:
            raise RoundRefused("Only the member who started this round, or an admin, can stop it.")
        if g.phase == ASKING:
            await self._reveal(g, ending=True)
        fresh = await self._round(g.round_id)
        await self._end(fresh, f"Stopped by {user.name}.")
        return PlayReply(message="Round stopped; the standings are in the channel.")

    # ---- answers ------------------------------------------------------------------------------------------------

    async def answer(self, user: UserRef, rnd: Round, question_no: int, raw: str) -> AnswerResult:
        """Record an answer to the question being asked, with speed points and the streak bonus."""
        g = await self._round(rnd.id)
        now = self._clock.now()
        if g.phase == ENDED:
            raise RoundRefused("This round has ended.")
        if g.phase != ASKING or question_no != g.current or now >= g.deadline:
            if question_no > g.current or (g.phase == JOINING):
                raise RoundRefused("That question has not been asked yet.")
            raise RoundRefused("Time is up for that question; watch for the next one.")
        if await self._repo.get_answer(rnd.id, question_no, user.key) is not None:
            raise RoundRefused("You already answered this question; the first answer stands.")
        question = self._question(rnd, question_no)
        try:
            choice = parse_choice(raw, question)
        except InvalidChoice as exc:
            raise RoundRefused(str(exc)) from None
        mine = {a.question_no: a.correct for a in await self._repo.answers(rnd.id, user_key=user.key)}
        streak = streak_before([mine.get(n, False) for n in range(1, question_no)])
        elapsed = max(0.0, (now - (g.asked_at or now)).total_seconds())
        answer = score_answer(
            question,
            choice,
            round_id=rnd.id,
            question_no=question_no,
            user_key=user.key,
            answered_at=now,
            elapsed_ms=int(elapsed * 1000),
            points=lambda correct: round_points(correct, elapsed, g.seconds, streak, g.speed),
        )
        await self._repo.remember_member(user.key, user.name)
        await self._repo.join_round(rnd.id, user.key, now)
        if not await self._repo.record_answer(await self._tally(rnd, answer, question.task)):
            raise RoundRefused("You already answered this question; the first answer stands.")
        message = f"Recorded your answer {', '.join(choice.upper())}; the answer is revealed when time is up."
        players = await self._repo.round_players(rnd.id)
        if await self._repo.answer_count(rnd.id, question_no) >= len(players):
            await self._reveal(g)  # everyone in the round has answered: no need to wait for the timer
            message = f"Recorded your answer {', '.join(choice.upper())}; everyone has answered, so here is the reveal."
        return AnswerResult(outcome=Outcome.RECORDED, choice=choice, message=message)

    # ---- the job ------------------------------------------------------------------------------------------------

    def _arm(self, g: GroupRound) -> None:
        round_id = g.round_id
        self._scheduler.at(g.deadline, _job(round_id), lambda: self._tick(round_id))

    async def _tick(self, round_id: int) -> None:
        """The round's job: close the join window, reveal a question whose time is up, or ask the next one."""
        g = await self._repo.group_round(round_id)
        if g is None or g.phase == ENDED:
            return
        if self._clock.now() < g.deadline:
            self._arm(g)
            return
        if g.phase == JOINING:
            await self._ask(g, 1)
        elif g.phase == ASKING:
            await self._reveal(g)
        elif g.phase == PAUSED:
            await self._ask(g, g.current + 1)

    async def _ask(self, g: GroupRound, number: int) -> None:
        now = self._clock.now()
        deadline = now + timedelta(seconds=g.seconds)
        if not await self._repo.advance_group(g.round_id, g.phase, g.current, ASKING, number, deadline, asked_at=now):
            return
        fresh = await self._round(g.round_id)
        if g.phase == JOINING:
            await self._show(fresh)  # the join card loses its Join button
        if await self._post(fresh, number):
            self._arm(fresh)

    async def _post(self, g: GroupRound, number: int, retry: bool = False) -> bool:
        port = self._quiz.port_for(g.target.platform)
        rnd = await self._repo.get_round(g.round_id)
        if port is None or rnd is None:
            return False
        slot = f"group:{g.round_id}:{number}"
        card = await self._quiz.question_card(rnd, number)
        card = card.model_copy(update={"closes_at": g.deadline, "note": _note(g, number)})
        try:
            ref = await port.find_post(g.target, slot) if retry else None
            if ref is None:
                ref = await port.post_question(g.target, card, slot)
        except Exception:
            log.exception("posting question %s of round %s failed; the round ends", number, g.round_id)
            await self._end(g, "The round ended because its question could not be posted.")
            return False
        await self._repo.add_message_ref(g.round_id, ref, number)
        return True

    async def _reveal(self, g: GroupRound, ending: bool = False) -> None:
        count = await self._repo.answer_count(g.round_id, g.current)
        quiet = 0 if count else g.quiet + 1
        now = self._clock.now()
        if not await self._repo.advance_group(
            g.round_id, ASKING, g.current, PAUSED, g.current, now + PAUSE, quiet=quiet
        ):
            return
        rnd = await self._repo.get_round(g.round_id)
        port = self._quiz.port_for(g.target.platform)
        if rnd is not None and port is not None:
            try:
                card = await self._quiz.reveal_card(rnd, g.current)
                await port.reveal(g.target, await self._repo.message_refs(g.round_id, g.current), card)
            except Exception:
                log.exception("revealing question %s of round %s failed", g.current, g.round_id)
        fresh = await self._round(g.round_id)
        if ending:
            return
        if quiet >= QUIET_LIMIT:
            await self._end(fresh, f"The round ended after {QUIET_LIMIT} questions in a row without answers.")
        elif g.current >= g.total:
            await self._end(fresh, "Every question has been asked.")
        else:
            self._arm(fresh)

    async def _end(self, g: GroupRound, why: str) -> None:
        if not await self._repo.end_group(g.round_id, self._clock.now(), why):
            return
        self._scheduler.cancel(_job(g.round_id))
        fresh = await self._round(g.round_id)
        port = self._port(g.target)
        if port is None:
            return
        answers = await self._repo.answers(g.round_id)
        players = await self._repo.round_players(g.round_id)
        names = dict(await self._repo.member_names(players))
        asked = g.current if g.phase != JOINING else 0
        card = StandingsCard(
            round_id=g.round_id, total=g.total, asked=asked, lines=standings(answers, players, names), why=why
        )
        try:
            await port.show_play(g.target, await self._repo.message_refs(g.round_id, 0), await self.card(fresh))
            await port.post_play(g.target, card)
        except Exception:
            log.exception("posting the standings of round %s failed", g.round_id)

    # ---- helpers ------------------------------------------------------------------------------------------------

    async def card(self, g: GroupRound) -> RoundCard:
        """The channel's card of a round: who joined, when it starts, how far it is."""
        players = await self._repo.round_players(g.round_id)
        names = await self._repo.member_names([*players, g.starter])
        return RoundCard(
            round_id=g.round_id,
            phase=g.phase,
            starter=names.get(g.starter, g.starter.split(":", 1)[-1]),
            total=g.total,
            seconds=g.seconds,
            speed=g.speed,
            players=[names.get(k, k.split(":", 1)[-1]) for k in players],
            starts_at=g.deadline if g.phase == JOINING else None,
            current=g.current,
            note=g.ended_why,
        )

    async def _show(self, g: GroupRound) -> None:
        port = self._port(g.target)
        if port is None:
            return
        try:
            await port.show_play(g.target, await self._repo.message_refs(g.round_id, 0), await self.card(g))
        except Exception:
            log.exception("updating the card of round %s failed", g.round_id)

    def _port(self, target: Target) -> PlayPort | None:
        port = self._quiz.port_for(target.platform)
        return port if isinstance(port, PlayPort) else None

    async def _find(self, target: Target, round_id: int | None) -> GroupRound:
        g = await self._repo.group_round(round_id) if round_id else await self._repo.open_group_round(target)
        if g is None or g.target != target:
            raise RoundRefused("No round is running in this channel; start one with `round`.")
        if g.phase == ENDED:
            raise RoundRefused("This round has ended.")
        return g

    async def _round(self, round_id: int) -> GroupRound:
        g = await self._repo.group_round(round_id)
        if g is None:
            raise RoundRefused("That round is not available here.")
        return g


def _note(g: GroupRound, number: int) -> str:
    speed = "faster correct answers score more" if g.speed else "every correct answer scores the same"
    return f"Round · question {number} of {g.total} · {g.seconds} s · {speed}; answers are private."


def _job(round_id: int) -> str:
    return f"group:{round_id}"
