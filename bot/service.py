"""QuizService: the only entry point front doors call. Decode → one call here → render the card it returns."""

from __future__ import annotations

import logging
import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot import commands
from bot.bank import Bank
from bot.cards import (
    Accuracy,
    AnswerResult,
    HelpCard,
    HelpLine,
    LeaderboardCard,
    OptionReveal,
    OptionView,
    Outcome,
    QuestionCard,
    QuizSummary,
    RevealCard,
    ScoreLine,
    SettingsCard,
    StatsCard,
)
from bot.commands import QuizRequest, SettingsChange
from bot.models import Answer, Question, Round, RoundKind, Tally, Target, UserRef
from bot.periods import local_date, next_local_time, period_keys
from bot.ports import ChatPort, Clock, Repository, Scheduler
from bot.scoring import COUNTED_AT_CLOSE, InvalidChoice, is_correct, parse_choice, points_for

log = logging.getLogger(__name__)

QUIZ_EXPIRY = timedelta(days=1)
LEADERBOARD_SIZE = 10
Reply = HelpCard | QuestionCard | RevealCard | StatsCard | LeaderboardCard | SettingsCard | QuizSummary


class QuizError(Exception):
    """A request the service refuses; the message is one polite sentence for the member. Nothing was written."""


class AlreadyAnswered(QuizError):
    """A second answer to the same question; the first one stands."""


@dataclass(frozen=True)
class Defaults:
    """Settings a channel has until an admin changes them."""

    timezone: str = "UTC"
    reveal: time = time(18, 0)


@dataclass(frozen=True)
class ChannelConfig:
    """Settings in force for one channel."""

    tz: ZoneInfo
    reveal: time


class QuizService:
    """The whole game: questions of the day, solo quizzes, answers, reveals, stats and leaderboards."""

    def __init__(
        self,
        bank: Bank,
        repo: Repository,
        scheduler: Scheduler,
        clock: Clock,
        defaults: Defaults | None = None,
    ) -> None:
        self.bank = bank
        self._repo = repo
        self._scheduler = scheduler
        self._clock = clock
        self._defaults = defaults or Defaults()
        self._ports: dict[str, ChatPort] = {}

    # ---- wiring -------------------------------------------------------------------------------------------------

    @property
    def repository(self) -> Repository:
        """The storage, for front doors' own platform records (installations, delivery ids), never game state."""
        return self._repo

    def add_port(self, port: ChatPort) -> None:
        """Register a front door's ChatPort; an incomplete port is refused at start-up, not at the first reveal."""
        if not isinstance(port, ChatPort):
            raise TypeError(f"{type(port).__name__} does not implement ChatPort")
        self._ports[port.platform] = port

    async def start(self) -> None:
        """Close rounds that fell due while the bot was down and re-arm the future closes (for registered ports)."""
        now = self._clock.now()
        for rnd in await self._repo.open_rounds():
            if rnd.target.platform not in self._ports or rnd.closes_at is None:
                continue
            if rnd.closes_at <= now:
                await self.close_round(rnd.id)
            else:
                self._arm_close(rnd)

    def _arm_close(self, rnd: Round) -> None:
        if rnd.closes_at is not None:
            self._scheduler.at(rnd.closes_at, f"close:{rnd.id}", lambda: self._close_job(rnd.id))

    async def _close_job(self, round_id: int) -> None:
        await self.close_round(round_id)

    # ---- commands -----------------------------------------------------------------------------------------------

    async def run(self, user: UserRef, target: Target, line: str) -> Reply:
        """Run one typed command line (console, Slack text) and return the card to render."""
        try:
            command = commands.parse(line)
        except commands.CommandError as exc:
            raise QuizError(str(exc)) from None
        return await self.execute(user, target, command)

    async def execute(self, user: UserRef, target: Target, command: commands.Command) -> Reply:
        """Run a parsed command."""
        try:
            match command.name:
                case "help":
                    return self.help()
                case "qotd":
                    return await self.qotd(user, target)
                case "quiz":
                    return await self.start_quiz(user, target, commands.quiz_request(command, self.bank))
                case "stop":
                    return await self.stop_quiz(user)
                case "stats":
                    return await self.stats(user)
                case "leaderboard":
                    scope, period = commands.leaderboard_options(command)
                    return await self.leaderboard(target, workspace=scope == "server", period=period)
                case "reveal":
                    return await self.reveal_now(user, target)
                case "settings":
                    return await self.settings(user, target, commands.settings_change(command))
        except commands.CommandError as exc:
            raise QuizError(str(exc)) from None
        raise QuizError(f"`{command.name}` is not available here.")  # pragma: no cover - parse() checks names

    def help(self) -> HelpCard:
        """Every command with its arguments."""
        return HelpCard(
            lines=[HelpLine(usage=s.usage, summary=s.summary, admin=s.admin) for s in commands.COMMANDS.values()]
        )

    # ---- question of the day ------------------------------------------------------------------------------------

    async def qotd(self, user: UserRef, target: Target) -> QuestionCard | RevealCard:
        """Today's question of the day for this channel (created on first ask), or its reveal once closed."""
        await self._repo.remember_member(user.key, user.name)
        config = await self.channel_config(target)
        now = self._clock.now()
        slot = f"qotd:{target.channel_key}:{local_date(now, config.tz).isoformat()}"
        used = await self._repo.used_question_ids(target, RoundKind.QOTD)
        picked = self.bank.pick(1, random.Random(slot), avoid=used)
        if not picked:
            raise QuizError("The question bank is empty, so there is no question of the day.")
        rnd = await self._repo.create_round(
            RoundKind.QOTD, target, None, [picked[0].id], now, next_local_time(now, config.reveal, config.tz), slot
        )
        if rnd.is_open and rnd.closes_at is not None and rnd.closes_at <= now:
            await self.close_round(rnd.id)
            rnd = await self._round(rnd.id, target)
        if not rnd.is_open:
            return await self.reveal_card(rnd, 1)
        self._arm_close(rnd)
        return await self.question_card(rnd, 1, user)

    async def attach_message(self, round_id: int, ref: str) -> None:
        """Remember where a front door posted a round's card, so reveals and count updates edit it."""
        await self._repo.add_message_ref(round_id, ref)

    async def reveal_now(self, user: UserRef, target: Target) -> RevealCard:
        """Admin: reveal this channel's open question of the day now."""
        self._require_admin(user, "reveal the question of the day early")
        rnd = await self._repo.latest_round(target, RoundKind.QOTD)
        if rnd is None:
            raise QuizError("There is no open question of the day in this channel.")
        card = await self.close_round(rnd.id)
        return card if card is not None else await self.reveal_card(rnd, 1)

    async def close_round(self, round_id: int) -> RevealCard | None:
        """Close a round (idempotent); for public rounds, post the reveal through the platform's port."""
        rnd = await self._repo.get_round(round_id)
        if rnd is None or not rnd.is_open:
            return None
        tallies = []
        if rnd.kind in COUNTED_AT_CLOSE:
            for a in await self._repo.answers(round_id):
                tallies.append(await self._tally(rnd, a, self._question(rnd, a.question_no).task))
        if not await self._repo.close_round(round_id, self._clock.now(), tallies):
            return None
        self._scheduler.cancel(f"close:{round_id}")
        if rnd.kind not in (RoundKind.QOTD, RoundKind.DRILL):
            return None
        card = await self.reveal_card(rnd, 1)
        port = self._ports.get(rnd.target.platform)
        if port is not None:
            try:
                await port.reveal(rnd.target, await self._repo.message_refs(round_id), card)
            except Exception:
                log.exception("posting the reveal of round %s failed", round_id)
        return card

    # ---- answers ------------------------------------------------------------------------------------------------

    async def answer(self, user: UserRef, target: Target, round_id: int, question_no: int, raw: str) -> AnswerResult:
        """Check and record one answer (untrusted ids from buttons are re-validated here)."""
        rnd = await self._round(round_id, target)
        if rnd.owner is not None and rnd.owner != user.key:
            raise QuizError("This quiz belongs to another member; start your own with `quiz`.")
        if not 1 <= question_no <= len(rnd.question_ids):
            raise QuizError("That question is not part of this round.")
        if not rnd.is_open:
            raise QuizError("This round is closed, so answers are no longer taken.")
        question = self._question(rnd, question_no)
        previous = await self._repo.get_answer(round_id, question_no, user.key)
        if previous is not None:
            raise AlreadyAnswered(
                f"You already answered this question ({_letters(previous.choice)}); the first answer stands."
            )
        await self._check_order(rnd, question_no, user)
        try:
            choice = parse_choice(raw, question)
        except InvalidChoice as exc:
            raise QuizError(str(exc)) from None
        answer = await self._record(user, rnd, question_no, question, choice)
        if rnd.kind is RoundKind.QUIZ:
            return await self._quiz_feedback(user, rnd, question_no, answer)
        await self._refresh_cards(rnd, question_no)
        return AnswerResult(outcome=Outcome.RECORDED, choice=choice, message=await self._recorded_message(rnd, choice))

    async def _check_order(self, rnd: Round, question_no: int, user: UserRef) -> None:
        if rnd.kind is not RoundKind.QUIZ:
            return
        expected = len(await self._repo.answers(rnd.id, user_key=user.key)) + 1
        if question_no != expected:
            raise QuizError(f"Answer question {expected} of this quiz first.")

    async def _record(self, user: UserRef, rnd: Round, question_no: int, question: Question, choice: str) -> Answer:
        now = self._clock.now()
        correct = is_correct(question, choice)
        since = await self._question_started(rnd, question_no, user)
        answer = Answer(
            round_id=rnd.id,
            question_no=question_no,
            user_key=user.key,
            question_id=question.id,
            choice=choice,
            correct=correct,
            points=points_for(rnd.kind, correct),
            answered_at=now,
            elapsed_ms=max(0, int((now - since).total_seconds() * 1000)),
        )
        await self._repo.remember_member(user.key, user.name)
        tally = await self._tally(rnd, answer, question.task)
        inserted = await self._repo.record_answer(tally, count_now=rnd.kind not in COUNTED_AT_CLOSE)
        if not inserted:  # a concurrent duplicate (double click) won the race; it was counted once
            raise AlreadyAnswered("You already answered this question; the first answer stands.")
        return answer

    async def _tally(self, rnd: Round, answer: Answer, task: str) -> Tally:
        config = await self.channel_config(rnd.target)
        return Tally(
            answer=answer,
            task=task,
            scopes=[rnd.target.channel_key, rnd.target.workspace_key],
            periods=period_keys(answer.answered_at, config.tz),
        )

    async def _question_started(self, rnd: Round, question_no: int, user: UserRef) -> datetime:
        if rnd.kind is RoundKind.QUIZ and question_no > 1:
            previous = await self._repo.get_answer(rnd.id, question_no - 1, user.key)
            if previous is not None:
                return previous.answered_at
        return rnd.opened_at

    async def _recorded_message(self, rnd: Round, choice: str) -> str:
        config = await self.channel_config(rnd.target)
        when = _format_when(rnd.closes_at, config.tz, self._clock.now()) if rnd.closes_at else "when it closes"
        return f"Recorded your answer {_letters(choice)}. The answer is revealed {when}."

    async def _refresh_cards(self, rnd: Round, question_no: int) -> None:
        port = self._ports.get(rnd.target.platform)
        refs = await self._repo.message_refs(rnd.id)
        if port is None or not refs:
            return
        card = await self.question_card(rnd, question_no)
        for ref in refs:
            try:
                await port.update_question(rnd.target, ref, card)
            except Exception:
                log.exception("updating the card of round %s failed", rnd.id)

    # ---- solo quizzes -------------------------------------------------------------------------------------------

    async def start_quiz(self, user: UserRef, target: Target, request: QuizRequest) -> QuestionCard:
        """Start a private quiz for one member (ending any quiz they left running)."""
        rng = random.Random(request.seed) if request.seed is not None else random.Random()
        questions = self.bank.pick(request.count, rng, request.domain, request.task)
        if not questions:
            raise QuizError("No questions match that domain and task yet.")
        await self._repo.remember_member(user.key, user.name)
        running = await self._repo.open_round_of(user.key, RoundKind.QUIZ)
        if running is not None:
            await self.close_round(running.id)
        now = self._clock.now()
        rnd = await self._repo.create_round(
            RoundKind.QUIZ, target, user.key, [q.id for q in questions], now, now + QUIZ_EXPIRY
        )
        self._arm_close(rnd)
        return await self.question_card(rnd, 1, user)

    async def current_question(self, user: UserRef) -> QuestionCard | None:
        """The next unanswered question of a member's running quiz, if any."""
        rnd = await self._repo.open_round_of(user.key, RoundKind.QUIZ)
        if rnd is None:
            return None
        done = len(await self._repo.answers(rnd.id, user_key=user.key))
        return await self.question_card(rnd, done + 1, user) if done < len(rnd.question_ids) else None

    async def stop_quiz(self, user: UserRef) -> QuizSummary:
        """End a member's running quiz and summarise it."""
        rnd = await self._repo.open_round_of(user.key, RoundKind.QUIZ)
        if rnd is None:
            raise QuizError("You have no quiz running; start one with `quiz`.")
        await self.close_round(rnd.id)
        return await self.summary(rnd, user, ended_early=True)

    async def _quiz_feedback(self, user: UserRef, rnd: Round, question_no: int, answer: Answer) -> AnswerResult:
        feedback = await self.reveal_card(rnd, question_no, counts=False)
        verdict = "Correct!" if answer.correct else f"Not quite: the answer is {_letters(feedback.key)}."
        result = AnswerResult(
            outcome=Outcome.FEEDBACK,
            choice=answer.choice,
            correct=answer.correct,
            points=answer.points,
            message=verdict,
            feedback=feedback,
        )
        if question_no < len(rnd.question_ids):
            return result.model_copy(update={"next_card": await self.question_card(rnd, question_no + 1, user)})
        await self.close_round(rnd.id)
        return result.model_copy(update={"summary": await self.summary(rnd, user)})

    async def summary(self, rnd: Round, user: UserRef, ended_early: bool = False) -> QuizSummary:
        """Score, time and accuracy by domain of a member's quiz."""
        answers = await self._repo.answers(rnd.id, user_key=user.key)
        by_domain: dict[str, list[bool]] = {}
        for a in answers:
            by_domain.setdefault(self._question(rnd, a.question_no).domain_id, []).append(a.correct)
        last = max((a.answered_at for a in answers), default=rnd.opened_at)
        return QuizSummary(
            round_id=rnd.id,
            total=len(rnd.question_ids),
            answered=len(answers),
            correct=sum(a.correct for a in answers),
            seconds=int((last - rnd.opened_at).total_seconds()),
            by_domain=[self._domain_accuracy(d, len(v), sum(v)) for d, v in sorted(by_domain.items())],
            ended_early=ended_early,
        )

    # ---- cards --------------------------------------------------------------------------------------------------

    async def question_card(self, rnd: Round, question_no: int, user: UserRef | None = None) -> QuestionCard:
        """A round's question as a neutral card."""
        q = self._question(rnd, question_no)
        task = self.bank.exam.task(q.task)
        mine = await self._repo.get_answer(rnd.id, question_no, user.key) if user else None
        config = await self.channel_config(rnd.target)
        return QuestionCard(
            round_id=rnd.id,
            kind=rnd.kind,
            question_no=question_no,
            total=len(rnd.question_ids),
            question_id=q.id,
            domain=q.domain_id,
            task=q.task,
            task_name=task.name if task else q.task,
            stem=q.stem,
            options=[OptionView(letter=letter, text=o.text) for letter, o in zip(q.letters, q.options, strict=True)],
            choose=q.choose,
            answered_count=await self._repo.answer_count(rnd.id, question_no),
            closes_at=rnd.closes_at if rnd.kind is not RoundKind.QUIZ else None,
            timezone=config.tz.key,
            your_choice=mine.choice if mine else None,
            is_open=rnd.is_open,
        )

    async def reveal_card(self, rnd: Round, question_no: int, counts: bool = True) -> RevealCard:
        """A round's question with key, explanations and (for public rounds) the share who chose each option."""
        q = self._question(rnd, question_no)
        answers = await self._repo.answers(rnd.id, question_no) if counts else []
        picked = Counter(letter for a in answers for letter in a.choice)
        return RevealCard(
            round_id=rnd.id,
            kind=rnd.kind,
            question_no=question_no,
            question_id=q.id,
            task=q.task,
            stem=q.stem,
            answers=len(answers),
            options=[
                OptionReveal(
                    letter=letter,
                    text=o.text,
                    explanation=o.explanation,
                    correct=letter in q.keys,
                    count=picked[letter],
                )
                for letter, o in zip(q.letters, q.options, strict=True)
            ],
        )

    # ---- progress -----------------------------------------------------------------------------------------------

    async def stats(self, user: UserRef) -> StatsCard:
        """A member's accuracy per domain and per task statement."""
        rows = await self._repo.task_stats(user.key)
        tasks = [
            Accuracy(id=t.id, name=t.name, answered=rows.get(t.id, (0, 0))[0], correct=rows.get(t.id, (0, 0))[1])
            for t in self.bank.exam.tasks
        ]
        domains = [
            self._domain_accuracy(
                d.id,
                sum(t.answered for t in tasks if t.id.split(".")[0] == d.id),
                sum(t.correct for t in tasks if t.id.split(".")[0] == d.id),
            )
            for d in self.bank.exam.domains
        ]
        return StatsCard(
            user_name=user.name,
            answered=sum(t.answered for t in tasks),
            correct=sum(t.correct for t in tasks),
            domains=domains,
            tasks=tasks,
        )

    async def leaderboard(
        self, target: Target, limit: int = LEADERBOARD_SIZE, workspace: bool = False, period: str = "all"
    ) -> LeaderboardCard:
        """Top members of this channel (or, with `workspace`, the whole server) by points in a period."""
        scope = target.workspace_key if workspace else target.channel_key
        config = await self.channel_config(target)
        key = dict(zip(commands.PERIODS, period_keys(self._clock.now(), config.tz), strict=True))[period]
        rows = await self._repo.leaderboard(scope, key, limit)
        names = await self._repo.member_names([r[0] for r in rows])
        lines = [
            ScoreLine(rank=i, name=names.get(key, key.split(":", 1)[-1]), points=p, answered=a, correct=c, user_key=key)
            for i, (key, p, a, c) in enumerate(rows, start=1)
        ]
        where = "this workspace" if workspace else "this channel"
        when = {"all": "all time", "week": "this week", "month": "this month"}[period]
        return LeaderboardCard(title=f"Leaderboard: {where}, {when}", lines=lines)

    # ---- settings -----------------------------------------------------------------------------------------------

    async def channel_config(self, target: Target) -> ChannelConfig:
        """Channel settings over workspace settings over the defaults."""
        values = await self._repo.get_settings(target.workspace_key)
        values.update(await self._repo.get_settings(target.channel_key))
        zone = values.get("timezone", self._defaults.timezone)
        reveal = values.get("reveal")
        return ChannelConfig(ZoneInfo(zone), time.fromisoformat(reveal) if reveal else self._defaults.reveal)

    async def settings(self, user: UserRef, target: Target, change: SettingsChange) -> SettingsCard:
        """Show this channel's settings; admins may change them."""
        updates = {}
        if change.timezone is not None:
            updates["timezone"] = change.timezone
        if change.reveal is not None:
            updates["reveal"] = change.reveal.strftime("%H:%M")
        if updates:
            self._require_admin(user, "change settings")
            await self._repo.set_settings(target.channel_key, updates)
        config = await self.channel_config(target)
        return SettingsCard(timezone=config.tz.key, reveal=config.reveal.strftime("%H:%M"), changed=bool(updates))

    # ---- helpers ------------------------------------------------------------------------------------------------

    def _require_admin(self, user: UserRef, action: str) -> None:
        if not user.is_admin:
            raise QuizError(f"Sorry, only an admin can {action}.")

    async def _round(self, round_id: int, target: Target) -> Round:
        rnd = await self._repo.get_round(round_id)
        if rnd is None or rnd.target != target:
            raise QuizError("That question is not available here; it may belong to another channel.")
        return rnd

    def _question(self, rnd: Round, question_no: int) -> Question:
        question = self.bank.get(rnd.question_ids[question_no - 1])
        if question is None:
            raise QuizError("That question has been removed from the bank.")
        return question

    def _domain_accuracy(self, domain_id: str, answered: int, correct: int) -> Accuracy:
        domain = self.bank.exam.domain(domain_id)
        return Accuracy(id=domain_id, name=domain.name if domain else domain_id, answered=answered, correct=correct)


def _letters(choice: str) -> str:
    return ", ".join(c.upper() for c in choice)


def _format_when(at: datetime, tz: ZoneInfo, now: datetime) -> str:
    local = at.astimezone(tz)
    day = "" if local.date() == now.astimezone(tz).date() else f" on {local:%a %d %b}"
    return f"at {local:%H:%M} {local.tzname()}{day}"
