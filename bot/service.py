"""QuizService: the only entry point front doors call. Decode → one call here → render the card it returns."""

from __future__ import annotations

import logging
import random
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot import commands, health
from bot.bank import Bank
from bot.bank_cards import BankListCard, ExportCard, HealthLine, ImportCard, NoticeCard, ReportsCard
from bot.cards import (
    Accuracy,
    AnswerResult,
    ChartCard,
    HelpCard,
    HelpLine,
    LeaderboardCard,
    OptionReveal,
    OptionView,
    Outcome,
    QuestionCard,
    QuizSummary,
    RevealCard,
    ScheduleCard,
    SettingsCard,
    StatsCard,
)
from bot.commands import QuizRequest, SettingsChange
from bot.duels import DuelRefused, DuelRequest, Duels
from bot.exam import ExamPort, ExamReply, ExamReport
from bot.exam_flow import ExamRefused, Exams
from bot.group_rounds import GroupRounds, RoundRefused, RoundRequest, round_request
from bot.hot_reads import Expiring, OpenRounds
from bot.learning import Learning
from bot.models import Answer, Question, Round, RoundKind, Tally, Target, UserRef
from bot.periods import local_date, next_local_time, period_keys
from bot.play_cards import DuelCard, PlayPort, PlayReply, RatingsCard, RoundCard
from bot.ports import AnswersChanged, ChatPort, Clock, Repository, Scheduler
from bot.posting import DEFAULT_GRACE, Posting
from bot.question_reports import QuestionReports
from bot.review import rating_for
from bot.scoring import COUNTED_AT_CLOSE, InvalidChoice, kind_points, parse_choice, score_answer
from bot.server_banks import BankRefused, ServerBanks
from bot.storage.progress_store import GLOBAL_SCOPE
from bot.study_plans import StudyPlans

log = logging.getLogger(__name__)

QUIZ_EXPIRY = timedelta(days=1)
CLOSE_ATTEMPTS = 20  # a close retried because answers kept arriving while it read them
ANSWERED_HERE = (RoundKind.QOTD, RoundKind.DRILL, RoundKind.QUIZ)  # kinds `answer` records itself (others: bot.duels…)
LEADERBOARD_SIZE = 10
Reply = (
    HelpCard
    | QuestionCard
    | RevealCard
    | StatsCard
    | LeaderboardCard
    | SettingsCard
    | QuizSummary
    | ChartCard
    | ExamReply
    | ScheduleCard
    | NoticeCard
    | ImportCard
    | BankListCard
    | ExportCard
    | ReportsCard
    | DuelCard
    | RoundCard
    | PlayReply
    | RatingsCard
)


class QuizError(Exception):
    """A request the service refuses; the message is one polite sentence for the member. Nothing was written."""


class AlreadyAnswered(QuizError):
    """A second answer to the same question; the first one stands."""


@dataclass(frozen=True)
class Defaults:
    """Settings a channel has until an admin changes them."""

    timezone: str = "UTC"
    reveal: time = time(18, 0)
    schedule_grace: timedelta = DEFAULT_GRACE  # how late a missed scheduled post may still go out (bot.posting)


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
        self._open_rounds = OpenRounds()  # the answer path's reads, kept in memory (bot.hot_reads)
        self._configs: Expiring[ChannelConfig] = Expiring()
        self.learning = Learning(bank, repo, clock, self._zone_of, self.bank_for)
        self.exams = Exams(bank, repo, scheduler, clock, self._ports, self._tally, self.bank_for)
        self.schedules = Posting(self, repo, scheduler, clock, self._defaults.schedule_grace)
        self.plans = StudyPlans(self, repo, clock)  # study plans, recaps and countdowns (bot.study_plans)
        self.banks = ServerBanks(bank, repo, clock)  # per-server banks and hidden questions (bot.server_banks)
        self.reports = QuestionReports(self.banks, repo, clock)
        # Duels and group rounds: state in the database, timers in jobs (bot.duels, bot.group_rounds).
        self.duels = Duels(self, repo, scheduler, clock, self._tally, self._question)
        self.group_rounds = GroupRounds(self, repo, scheduler, clock, self._tally, self._question)

    # ---- wiring -------------------------------------------------------------------------------------------------

    @property
    def repository(self) -> Repository:
        """The storage, for front doors' own platform records (installations, delivery ids), never game state."""
        return self._repo

    def add_port(self, port: ChatPort) -> None:
        """Register a front door's ChatPort; an incomplete port is refused at start-up, not at the first reveal."""
        if not isinstance(port, ChatPort):
            raise TypeError(f"{type(port).__name__} does not implement ChatPort")
        if not isinstance(port, ExamPort):
            raise TypeError(f"{type(port).__name__} cannot show a timed-out exam (ExamPort.show_exam)")
        if not isinstance(port, PlayPort):
            raise TypeError(f"{type(port).__name__} cannot show duels and rounds (PlayPort)")
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
        await self.exams.start()  # practice exams keep their own deadline jobs (bot.exam_flow)
        await self.schedules.start()  # scheduled posts: catch-up within the grace, then the next slots (bot.posting)
        await self.duels.start()  # duels and group rounds resume or end from the database
        await self.group_rounds.start()

    def port_for(self, platform: str) -> ChatPort | None:
        """The registered ChatPort of a platform, if its front door runs in this process."""
        return self._ports.get(platform)

    def arm_close(self, rnd: Round) -> None:
        """Schedule a round's close (and reveal) at its closing time."""
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
                    # A member's own quiz first; otherwise this channel's group round (its starter or an admin).
                    if await self._repo.open_round_of(user.key, RoundKind.QUIZ) is None:
                        stopped = await self.group_rounds.stop(user, target)
                        if stopped is not None:
                            return stopped
                    return await self.stop_quiz(user)
                case "duel":
                    return await self.duels.command(user, target, command)
                case "accept" | "decline":
                    return await self.duels.act(user, target, None, command.name)
                case "ratings":
                    return await self.duels.ratings(user, target)
                case "round":
                    return await self.group_rounds.begin(user, target, round_request(command))
                case "join":
                    return await self.group_rounds.join(user, target, None)
                case "stats":
                    return await self.stats_command(user, target, commands.stats_request(command))
                case "leaderboard":
                    scope, period, page = commands.board_options(command)
                    return await self.leaderboard(target, period=period, scope=scope, page=page, user=user)
                case "review":
                    return await self.review(user, target, commands.count_arg(command, 0))
                case "drill":
                    return await self.drill_weak(user, target, commands.drill_count(command))
                case "optin" | "optout":
                    commands.global_arg(command)
                    note = await self.learning.opt(user, command.name == "optin")
                    card = await self.learning.leaderboard(target, "global", "all", 1, user)
                    return card.model_copy(update={"note": note})
                case "reveal":
                    return await self.reveal_now(user, target)
                case "settings":
                    return await self.settings(user, target, commands.settings_change(command))
                case "exam":
                    return await self.exams.command(user, target, command)
                case "schedule":
                    return await self.schedules.command(user, target, command)
                case "plan":
                    return await self.plans.command(user, target, command)
                case "answer":
                    return await self.schedules.open_question(user, target)
                case "report":
                    return await self.reports.command(user, target, command)
                case "reports":
                    return await self.reports.queue(user, target)
                case "hide" | "unhide":
                    arg = command.args[0] if command.args else None
                    return await self.reports.hide(user, target, arg, command.name == "hide")
                case "bank":
                    return await self.banks.command(user, target, command)
        except (commands.CommandError, ExamRefused, BankRefused, DuelRefused, RoundRefused) as exc:
            raise QuizError(str(exc)) from None
        raise QuizError(f"`{command.name}` is not available here.")  # pragma: no cover - parse() checks names

    # ---- duels and group rounds (logic in bot.duels, bot.group_rounds) -------------------------------------------

    async def challenge(self, user: UserRef, target: Target, opponent: UserRef, request: DuelRequest) -> DuelCard:
        """Challenge a member (a front door that resolved the mention, e.g. Discord's member option)."""
        try:
            return await self.duels.challenge(user, target, opponent, request)
        except DuelRefused as exc:
            raise QuizError(str(exc)) from None

    async def play_action(self, user: UserRef, target: Target, round_id: int, action: str) -> PlayReply:
        """A duel or round control (accept, decline, play, leave, join, stop), re-checked."""
        try:
            if action in ("join", "stop"):
                if action == "join":
                    return await self.group_rounds.join(user, target, round_id)
                stopped = await self.group_rounds.stop(user, target, round_id)
                return stopped or PlayReply(message="This round has ended.")
            return await self.duels.act(user, target, round_id, action)
        except (DuelRefused, RoundRefused) as exc:
            raise QuizError(str(exc)) from None

    async def start_round(self, user: UserRef, target: Target, request: RoundRequest) -> RoundCard:
        """Open a group round's join window in a channel."""
        try:
            return await self.group_rounds.begin(user, target, request)
        except RoundRefused as exc:
            raise QuizError(str(exc)) from None

    async def attach_board(self, round_id: int, ref: str) -> None:
        """Remember where a front door posted a duel's or round's card, so its changes edit it."""
        await self._repo.add_message_ref(round_id, ref, 0)

    async def _play_answer(self, user: UserRef, rnd: Round, question_no: int, raw: str) -> AnswerResult:
        try:
            if rnd.kind is RoundKind.DUEL:
                return await self.duels.answer(user, rnd, question_no, raw)
            return await self.group_rounds.answer(user, rnd, question_no, raw)
        except (DuelRefused, RoundRefused) as exc:
            raise QuizError(str(exc)) from None

    # ---- practice exams (logic in bot.exam_flow) ----------------------------------------------------------------

    async def exam_action(
        self, user: UserRef, target: Target, round_id: int | None, action: str, number: int | None, letters: str = ""
    ) -> ExamReply:
        """One exam control (answer, next, prev, flag, goto, review, submit, confirm, report page), re-checked."""
        try:
            return await self.exams.act(user, target, round_id, action, number, letters)
        except ExamRefused as exc:
            raise QuizError(str(exc)) from None

    async def exam_report(self, user: UserRef, target: Target, round_id: int) -> ExamReport:
        """A submitted exam's report, for paging through it."""
        try:
            return await self.exams.report(user, target, round_id)
        except ExamRefused as exc:
            raise QuizError(str(exc)) from None

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
        bank = await self.bank_for(target)
        # A running study plan steers the day's question to this week's tasks, as it does for scheduled posts.
        planned = await self.plans.pick(target, [(q.id, q.task) for q in bank.questions.values()], used, 1, slot)
        fallback = bank.pick(1, random.Random(slot), avoid=used)
        question_id = planned[0] if planned else fallback[0].id if fallback else None
        if question_id is None:
            raise QuizError("The question bank is empty, so there is no question of the day.")
        rnd = await self._repo.create_round(
            RoundKind.QOTD, target, None, [question_id], now, next_local_time(now, config.reveal, config.tz), slot
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
        self._open_rounds.drop(round_id)
        rnd = await self._repo.get_round(round_id)
        if rnd is None or not rnd.is_open:
            return None
        await self.banks.ensure(rnd.target)
        if not await self._close_counting(rnd):
            return None
        self._scheduler.cancel(f"close:{round_id}")
        if rnd.kind not in (RoundKind.QOTD, RoundKind.DRILL):
            return None
        card = await self.reveal_card(rnd, 1)
        config = await self.channel_config(rnd.target)
        streaks = await self.schedules.streaks(rnd, local_date(self._clock.now(), config.tz))
        card = card.model_copy(update={"streaks": streaks})
        port = self._ports.get(rnd.target.platform)
        if port is not None:
            # A drill posts one card per question: each is revealed in place (a QOTD has only question 1).
            for number in range(1, len(rnd.question_ids) + 1):
                try:
                    shown = card if number == 1 else await self.reveal_card(rnd, number)
                    refs = await self._repo.message_refs(round_id, number if len(rnd.question_ids) > 1 else None)
                    await port.reveal(rnd.target, refs, shown)
                except Exception:
                    log.exception("posting the reveal of round %s failed", round_id)
        return card

    # ---- answers ------------------------------------------------------------------------------------------------

    async def answer(self, user: UserRef, target: Target, round_id: int, question_no: int, raw: str) -> AnswerResult:
        """Check and record one answer (untrusted ids from buttons are re-validated here)."""
        rnd = await self._round(round_id, target)
        if rnd.kind in (RoundKind.DUEL, RoundKind.GROUP):
            return await self._play_answer(user, rnd, question_no, raw)
        if rnd.owner is not None and rnd.owner != user.key:
            raise QuizError("This quiz belongs to another member; start your own with `quiz`.")
        if not 1 <= question_no <= len(rnd.question_ids):
            raise QuizError("That question is not part of this round.")
        if not rnd.is_open:
            raise QuizError("This round is closed, so answers are no longer taken.")
        question = self._question(rnd, question_no)
        mine = await self._quiz_answers(rnd, question_no, user)
        try:
            choice = parse_choice(raw, question)
        except InvalidChoice as exc:
            await self._refuse_repeat(rnd, question_no, user)  # "already answered" says more than "not an option"
            raise QuizError(str(exc)) from None
        answer = await self._record(user, rnd, question_no, question, choice, mine)
        if rnd.kind is RoundKind.QUIZ:
            return await self._quiz_feedback(user, rnd, question_no, answer)
        await self._refresh_cards(rnd, question_no)
        return AnswerResult(outcome=Outcome.RECORDED, choice=choice, message=await self._recorded_message(rnd, choice))

    async def _quiz_answers(self, rnd: Round, question_no: int, user: UserRef) -> list[Answer]:
        """A solo quiz's answers so far, after checking this one is new and next in order (other kinds: none read)."""
        if rnd.kind is not RoundKind.QUIZ:
            return []
        mine = await self._repo.answers(rnd.id, user_key=user.key)
        for previous in mine:
            if previous.question_no == question_no:
                raise _repeat(previous)
        if question_no != len(mine) + 1:
            raise QuizError(f"Answer question {len(mine) + 1} of this quiz first.")
        return mine

    async def _refuse_repeat(self, rnd: Round, question_no: int, user: UserRef) -> None:
        previous = await self._repo.get_answer(rnd.id, question_no, user.key)
        if previous is not None:
            raise _repeat(previous)

    async def _record(
        self, user: UserRef, rnd: Round, question_no: int, question: Question, choice: str, mine: list[Answer]
    ) -> Answer:
        now = self._clock.now()
        # A solo quiz times each answer from the one before; elsewhere time counts from the round's opening.
        since = mine[-1].answered_at if mine else rnd.opened_at
        answer = score_answer(
            question,
            choice,
            round_id=rnd.id,
            question_no=question_no,
            user_key=user.key,
            answered_at=now,
            elapsed_ms=int((now - since).total_seconds() * 1000),
            points=kind_points(rnd.kind),
        )
        await self._repo.remember_member(user.key, user.name)
        tally = await self._tally(rnd, answer, question.task)
        if not await self._repo.record_answer(tally, count_now=rnd.kind not in COUNTED_AT_CLOSE):
            # Nothing written: an earlier answer (a double click) stands, or the round closed a moment ago.
            await self._refuse_repeat(rnd, question_no, user)
            self._open_rounds.drop(rnd.id)
            raise QuizError("This round is closed, so answers are no longer taken.")
        return answer

    async def _tally(self, rnd: Round, answer: Answer, task: str) -> Tally:
        config = await self.channel_config(rnd.target)
        return Tally(
            answer=answer,
            task=task,
            scopes=[rnd.target.channel_key, rnd.target.workspace_key, GLOBAL_SCOPE],
            periods=period_keys(answer.answered_at, config.tz),
            day=local_date(answer.answered_at, config.tz),
            # Only a solo quiz times each answer; elsewhere elapsed time counts from the round's opening.
            rating=rating_for(answer.correct, answer.elapsed_ms if rnd.kind is RoundKind.QUIZ else None),
        )

    async def _recorded_message(self, rnd: Round, choice: str) -> str:
        config = await self.channel_config(rnd.target)
        when = _format_when(rnd.closes_at, config.tz, self._clock.now()) if rnd.closes_at else "when it closes"
        return f"Recorded your answer {_letters(choice)}. The answer is revealed {when}."

    async def _refresh_cards(self, rnd: Round, question_no: int) -> None:
        port = self._ports.get(rnd.target.platform)
        if port is None:
            return
        refs = await self._repo.message_refs(rnd.id, question_no if len(rnd.question_ids) > 1 else None)
        if not refs:
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
        questions = (await self.bank_for(target)).pick(request.count, rng, request.domain, request.task)
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
        await self.banks.ensure(rnd.target)
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

    async def _close_counting(self, rnd: Round) -> bool:
        """Close a round, adding the answers counted at its close; retried if an answer lands while they are read."""
        for _ in range(CLOSE_ATTEMPTS):
            tallies = []
            if rnd.kind in COUNTED_AT_CLOSE:
                for a in await self._repo.answers(rnd.id):
                    tallies.append(await self._tally(rnd, a, self._question(rnd, a.question_no).task))
            try:
                return await self._repo.close_round(
                    rnd.id, self._clock.now(), tallies, covers_all=rnd.kind in COUNTED_AT_CLOSE
                )
            except AnswersChanged:
                continue
        raise RuntimeError(f"round {rnd.id} kept changing while it was being closed")

    async def reveal_card(self, rnd: Round, question_no: int, counts: bool = True) -> RevealCard:
        """A round's question with key, explanations and (for public rounds) the share who chose each option."""
        await self.banks.ensure(rnd.target)
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

    async def stats(self, user: UserRef, target: Target | None = None) -> StatsCard:
        """A member's accuracy per domain and task, trend, streaks and readiness (in `target`'s timezone)."""
        card = await self.learning.member_stats(user.key, user.name, target or _home(user))
        rated = await self.duels.rating_of(user.key, target) if target is not None else None
        if rated is None:
            return card
        mark = " (provisional)" if rated.provisional else ""
        line = f"{rated.rating}{mark} · {rated.wins} W {rated.losses} L {rated.draws} D"
        return card.model_copy(update={"rating": line})

    async def stats_command(
        self, user: UserRef, target: Target, request: commands.StatsRequest, member: UserRef | None = None
    ) -> StatsCard | ChartCard:
        """`stats [member|group] [scope:] [chart:]`: someone's or the group's progress, as text or a chart."""
        if request.group:
            workspace = request.scope == "server"
            card = await self.learning.group_stats(target, workspace)
            subject = target.workspace_key if workspace else target.channel_key
        else:
            who = member or user
            if member is None and request.member is not None:
                key = f"{user.platform}:{request.member}"
                names = await self._repo.member_names([key])
                who = UserRef(platform=user.platform, user_id=request.member, name=names.get(key, request.member))
            card = await self.stats(who, target)
            subject = who.key
        if request.chart is None:
            return card
        return await self.learning.chart(request.chart, card, subject, target)

    async def review(self, user: UserRef, target: Target, count: int = 0) -> QuestionCard:
        """A spaced-repetition session: due cards first, then new questions from the weakest tasks."""
        questions, status = await self.learning.review_plan(user, target, count or commands.DEFAULT_QUIZ)
        if not questions:
            raise QuizError("There is nothing to review yet; answer a few questions first.")
        return await self.start_solo(user, target, [q.id for q in questions], status)

    async def drill_weak(self, user: UserRef, target: Target, count: int) -> QuestionCard:
        """A solo quiz from the member's weakest tasks."""
        questions = await self.learning.weak_questions(user, count, target)
        if not questions:
            raise QuizError("The question bank is empty, so there is nothing to drill.")
        tasks = ", ".join(sorted({q.task for q in questions}))
        return await self.start_solo(user, target, [q.id for q in questions], f"Drill on your weakest tasks: {tasks}.")

    async def start_solo(self, user: UserRef, target: Target, question_ids: list[str], note: str) -> QuestionCard:
        """A private quiz of chosen questions (reviews, drills), run like `quiz` with feedback; no points."""
        await self._repo.remember_member(user.key, user.name)
        running = await self._repo.open_round_of(user.key, RoundKind.QUIZ)
        if running is not None:
            await self.close_round(running.id)
        now = self._clock.now()
        rnd = await self._repo.create_round(RoundKind.QUIZ, target, user.key, question_ids, now, now + QUIZ_EXPIRY)
        self._arm_close(rnd)
        card = await self.question_card(rnd, 1, user)
        return card.model_copy(update={"note": note})

    async def _zone_of(self, target: Target) -> ZoneInfo:
        return (await self.channel_config(target)).tz

    async def leaderboard(
        self,
        target: Target,
        limit: int = LEADERBOARD_SIZE,
        workspace: bool = False,
        period: str = "all",
        *,
        scope: str | None = None,
        page: int = 1,
        user: UserRef | None = None,
    ) -> LeaderboardCard:
        """A page of a board (channel, workspace or opted-in global) by points in a period, with the caller's rank."""
        where = scope or ("server" if workspace else "channel")
        return await self.learning.leaderboard(target, where, period, page, user, size=limit)

    # ---- settings -----------------------------------------------------------------------------------------------

    async def channel_config(self, target: Target) -> ChannelConfig:
        """Channel settings over workspace settings over the defaults."""
        cached = self._configs.get(target.channel_key)
        if cached is not None:
            return cached
        values = await self._repo.get_settings(target.workspace_key)
        values.update(await self._repo.get_settings(target.channel_key))
        zone = values.get("timezone", self._defaults.timezone)
        reveal = values.get("reveal")
        config = ChannelConfig(ZoneInfo(zone), time.fromisoformat(reveal) if reveal else self._defaults.reveal)
        self._configs.put(target.channel_key, config)
        return config

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
            self._configs.clear()
        config = await self.channel_config(target)
        return SettingsCard(timezone=config.tz.key, reveal=config.reveal.strftime("%H:%M"), changed=bool(updates))

    # ---- helpers ------------------------------------------------------------------------------------------------

    # ---- bring your own questions (logic in bot.server_banks, bot.question_reports, bot.health) --------------------

    async def bank_for(self, target: Target) -> Bank:
        """The bank quizzes in this target's server pick from: own, shipped or both, minus hidden questions."""
        return await self.banks.view(target)

    async def import_bank(
        self, user: UserRef, target: Target, data: bytes, filename: str, fmt: str | None = None, task: str | None = None
    ) -> ImportCard:
        """Admin: validate an uploaded file and add its questions to this server's bank (all or nothing)."""
        try:
            return await self.banks.import_file(user, target, data, filename, fmt, task)
        except BankRefused as exc:
            raise QuizError(str(exc)) from None

    async def report_question(
        self, user: UserRef, target: Target, question_id: str, reason: str, comment: str = ""
    ) -> NoticeCard:
        """A member reports a question (from a Report button's form or the `report` command)."""
        try:
            return await self.reports.report(user, target, question_id, reason, comment)
        except (BankRefused, commands.CommandError) as exc:
            raise QuizError(str(exc)) from None

    async def question_health(self, target: Target | None = None) -> list[HealthLine]:
        """Item analysis of every answered question (of one server, or of all with no target)."""
        rows = await self._repo.answer_rows(target.workspace_key if target else None)
        known = dict(self.bank.questions)
        if target is not None:
            known.update(await self.banks.own(target))
        return health.analyse(rows, known)

    def _require_admin(self, user: UserRef, action: str) -> None:
        if not user.is_admin:
            raise QuizError(f"Sorry, only an admin can {action}.")

    async def _round(self, round_id: int, target: Target) -> Round:
        rnd = self._open_rounds.get(round_id)
        if rnd is None:
            rnd = await self._repo.get_round(round_id)
            if rnd is not None and rnd.kind in ANSWERED_HERE:
                self._open_rounds.keep(rnd)
        if rnd is None or rnd.target != target:
            raise QuizError("That question is not available here; it may belong to another channel.")
        await self.banks.ensure(rnd.target)
        return rnd

    def _question(self, rnd: Round, question_no: int) -> Question:
        question = self.banks.find(rnd.target, rnd.question_ids[question_no - 1])
        if question is None:
            raise QuizError("That question has been removed from the bank.")
        return question

    def _domain_accuracy(self, domain_id: str, answered: int, correct: int) -> Accuracy:
        domain = self.bank.exam.domain(domain_id)
        return Accuracy(id=domain_id, name=domain.name if domain else domain_id, answered=answered, correct=correct)


def _home(user: UserRef) -> Target:
    # A member's own view (e.g. Slack's Home tab) has no channel; the workspace defaults then apply.
    return Target(platform=user.platform, workspace="", channel="")


def _letters(choice: str) -> str:
    return ", ".join(c.upper() for c in choice)


def _format_when(at: datetime, tz: ZoneInfo, now: datetime) -> str:
    local = at.astimezone(tz)
    day = "" if local.date() == now.astimezone(tz).date() else f" on {local:%a %d %b}"
    return f"at {local:%H:%M} {local.tzname()}{day}"


def _repeat(previous: Answer) -> AlreadyAnswered:
    letters = _letters(previous.choice)
    return AlreadyAnswered(f"You already answered this question ({letters}); the first answer stands.")
