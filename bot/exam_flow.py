"""Practice exams, the flow: start, draft answers, flags, navigation, review, submission (by hand or at the deadline).

QuizService delegates here. Drafts may change until submission; only submission writes answers and stats, in one
idempotent transaction. The deadline is a scheduled job `exam:{round_id}`, re-armed from the database at start.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

from bot.bank import Bank
from bot.cards import OptionReveal, OptionView
from bot.commands import Command
from bot.exam import (
    ANSWER,
    CONFIRM,
    FLAG,
    GOTO,
    HISTORY_SIZE,
    NEXT,
    PAGE,
    PREV,
    REVIEW,
    SUBMIT,
    DomainResult,
    ExamAttempt,
    ExamHistoryCard,
    ExamHistoryLine,
    ExamPort,
    ExamQuestionCard,
    ExamReply,
    ExamReport,
    ExamReportItem,
    ExamReviewCard,
    ExamSlot,
    draw,
    remaining_seconds,
    scaled_score,
    seconds_used,
)
from bot.models import Answer, Question, Round, RoundKind, Tally, Target, UserRef
from bot.ports import ChatPort, Clock, Repository, Scheduler
from bot.scoring import InvalidChoice, is_correct, kind_points, parse_choice, score_answer

log = logging.getLogger(__name__)

TallyFor = Callable[[Round, Answer, str], Awaitable[Tally]]
# Words after `exam` (console and Slack text); letters answer the current question.
WORDS = {
    "next": NEXT,
    "n": NEXT,
    "prev": PREV,
    "previous": PREV,
    "p": PREV,
    "back": PREV,
    "flag": FLAG,
    "unflag": FLAG,
    "goto": GOTO,
    "go": GOTO,
    "review": REVIEW,
    "submit": SUBMIT,
    "answer": ANSWER,
}
SUBMIT_RETRIES = 5


class ExamRefused(Exception):
    """A refusal; QuizService turns it into a QuizError (this module cannot import the service)."""


class Exams:
    """Practice exams over the shared repository, scheduler, clock and ports."""

    def __init__(
        self,
        bank: Bank,
        repo: Repository,
        scheduler: Scheduler,
        clock: Clock,
        ports: Mapping[str, ChatPort],
        tally: TallyFor,
        bank_of: Callable[[Target], Awaitable[Bank]] | None = None,
    ) -> None:
        self._bank = bank
        self._bank_of = bank_of
        self._repo = repo
        self._scheduler = scheduler
        self._clock = clock
        self._ports = ports
        self._tally = tally

    # ---- start-up and the deadline job --------------------------------------------------------------------------

    async def start(self) -> None:
        """Submit exams whose deadline passed while the bot was down; re-arm the others' deadline jobs."""
        now = self._clock.now()
        for round_id in await self._repo.open_exam_ids():
            attempt = await self._repo.exam_attempt(round_id)
            if attempt is None or attempt.target.platform not in self._ports:
                continue
            if attempt.deadline <= now:
                await self._deadline_job(round_id)
            else:
                self._arm(attempt)

    def _arm(self, attempt: ExamAttempt) -> None:
        round_id = attempt.round_id
        self._scheduler.at(attempt.deadline, f"exam:{round_id}", lambda: self._deadline_job(round_id))

    async def _deadline_job(self, round_id: int) -> None:
        attempt = await self._repo.exam_attempt(round_id)
        if attempt is None or attempt.submitted_at is not None:
            return
        report = await self._submit(attempt, timed_out=True)
        port = self._ports.get(attempt.target.platform)
        if report is None or not isinstance(port, ExamPort):
            return
        refs = await self._repo.message_refs(round_id)
        try:
            await port.show_exam(attempt.target, refs[-1] if refs else None, report)
        except Exception:
            log.exception("showing the timed-out report of exam %s failed", round_id)

    # ---- commands -----------------------------------------------------------------------------------------------

    async def command(self, user: UserRef, target: Target, command: Command) -> ExamReply:
        """`exam [short|resume|history]`, or an action on the running exam (`exam next`, `exam goto 5` …)."""
        args = [a.lower() for a in command.args]
        word = args[0] if args else ""
        if word in ("", "full", "start", "short"):
            seed = command.options.get("seed")
            if seed is not None and not seed.lstrip("-").isdigit():
                raise ExamRefused(f"The seed must be a whole number, not `{seed}`.")
            return await self.begin(user, target, short=word == "short", seed=int(seed) if seed else None)
        if word == "resume":
            return await self.resume(user)
        if word == "history":
            return await self.history(user)
        rest = args[1] if len(args) > 1 else ""
        if word == "submit":
            return await self.act(user, target, None, CONFIRM if rest in ("now", "confirm") else SUBMIT)
        if word == "goto" or word == "go":
            if not rest.isdigit():
                raise ExamRefused("Say which question to go to, for example `goto 12`.")
            return await self.act(user, target, None, GOTO, int(rest))
        if word == "answer":
            return await self.act(user, target, None, ANSWER, letters=rest)
        if word in WORDS:
            return await self.act(user, target, None, WORDS[word])
        if word.isdigit():
            return await self.act(user, target, None, GOTO, int(word))
        raise ExamRefused(
            f"`exam {word}` is not an exam command; use `exam`, `exam short`, `exam resume`, `exam history`, "
            "or while an exam runs: letters, `next`, `prev`, `flag`, `goto N`, `review`, `submit`."
        )

    async def begin(self, user: UserRef, target: Target, short: bool, seed: int | None = None) -> ExamQuestionCard:
        """Start a private exam: the full one or the short one, drawn by domain weight, avoiding the last exam."""
        running = await self._repo.open_exam_of(user.key)
        now = self._clock.now()
        if running is not None and running.deadline > now:
            raise ExamRefused(
                f"You have an exam running ({len(running.choices)} of {running.total} answered); "
                "continue it with `exam resume` or hand it in with `exam submit`."
            )
        if running is not None:
            await self._deadline_job(running.round_id)
        spec = self._bank.exam
        size = spec.short_exam if short else spec
        count, minutes = size.questions, size.minutes
        # The exam follows the shipped manifest, so it draws from the shipped questions this server still shows.
        pool = self._bank.visible_in(await self._bank_of(target)) if self._bank_of else self._bank
        if len(pool.questions) < count:
            raise ExamRefused(
                f"The question bank has {len(pool.questions)} questions, too few for a {count}-question exam."
            )
        last = await self._repo.exam_history(user.key, 1)
        rng = random.Random(seed) if seed is not None else random.Random()
        questions = draw(pool, count, rng, avoid=last[0].question_ids if last else ())
        await self._repo.remember_member(user.key, user.name)
        round_id = await self._repo.create_exam(
            target, user.key, [q.id for q in questions], short, now, now + timedelta(minutes=minutes)
        )
        attempt = await self._attempt(round_id)
        self._arm(attempt)
        return self._question_card(attempt, 1)

    async def resume(self, user: UserRef) -> ExamQuestionCard | ExamReport:
        """The running exam at the question the member was on (its deadline kept running meanwhile)."""
        attempt = await self._repo.open_exam_of(user.key)
        if attempt is None:
            raise ExamRefused("You have no exam running; start one with `exam` or `exam short`.")
        if attempt.deadline <= self._clock.now():
            return await self._time_up(attempt)
        return self._question_card(attempt, attempt.position)

    async def history(self, user: UserRef) -> ExamHistoryCard:
        """A member's last attempts with scores, newest first."""
        spec = self._bank.exam
        lines = []
        for a in await self._repo.exam_history(user.key, HISTORY_SIZE):
            minutes = spec.short_exam.minutes if a.short else spec.minutes
            lines.append(
                ExamHistoryLine(
                    round_id=a.round_id,
                    opened_at=a.opened_at,
                    short=a.short,
                    total=a.total,
                    correct=a.correct,
                    score=a.score,
                    passed=None if a.score is None else a.score >= spec.pass_mark,
                    seconds_used=None if a.submitted_at is None else seconds_used(a.opened_at, a.submitted_at, minutes),
                    timed_out=a.timed_out,
                )
            )
        return ExamHistoryCard(user_name=user.name, pass_mark=spec.pass_mark, lines=lines)

    # ---- actions ------------------------------------------------------------------------------------------------

    async def act(
        self,
        user: UserRef,
        target: Target,
        round_id: int | None,
        action: str,
        number: int | None = None,
        letters: str = "",
    ) -> ExamReply:
        """One action on an exam: from a control (`round_id` given, checked) or typed (the member's running exam)."""
        attempt = await self._find(user, target, round_id)
        if action == PAGE or attempt.submitted_at is not None:
            if attempt.submitted_at is None:
                raise ExamRefused("The report is shown once the exam is submitted.")
            if action == PAGE:
                return self._report(attempt)
            raise ExamRefused("This exam has been submitted; `exam history` lists your results.")
        if attempt.deadline <= self._clock.now():
            return await self._time_up(attempt)
        current = number if number is not None and action != GOTO else attempt.position
        if not 1 <= current <= attempt.total:
            raise ExamRefused(f"This exam has questions 1 to {attempt.total}.")
        match action:
            case "a":
                return await self._answer(attempt, current, letters)
            case "n":
                if current >= attempt.total:
                    return await self._review(attempt, current)
                return await self._move(attempt, current + 1)
            case "p":
                notice = "This is the first question." if current == 1 else None
                return await self._move(attempt, max(1, current - 1), notice=notice)
            case "f":
                await self._save(attempt, current, current, toggle_flag=True)
                fresh = await self._attempt(attempt.round_id)
                state = "Flagged" if current in fresh.flags else "Unflagged"
                return self._question_card(fresh, current, f"{state} question {current} for review.")
            case "g":
                if number is None or not 1 <= number <= attempt.total:
                    raise ExamRefused(f"There is no question {number}; this exam has questions 1 to {attempt.total}.")
                return await self._move(attempt, number)
            case "r":
                return await self._review(attempt, current)
            case "s":
                return await self._review(attempt, current, confirming=True)
            case "c":
                return await self.submit(attempt)
        raise ExamRefused("That exam control is not one of mine.")

    async def report(self, user: UserRef, target: Target, round_id: int) -> ExamReport:
        """A submitted exam's report (for paging through it)."""
        reply = await self.act(user, target, round_id, PAGE)
        assert isinstance(reply, ExamReport)
        return reply

    async def submit(self, attempt: ExamAttempt) -> ExamReport:
        """Hand an exam in now."""
        report = await self._submit(attempt, timed_out=False)
        if report is None:
            raise ExamRefused("This exam has been submitted; `exam history` lists your results.")
        return report

    async def _find(self, user: UserRef, target: Target, round_id: int | None) -> ExamAttempt:
        if round_id is None:
            attempt = await self._repo.open_exam_of(user.key)
            if attempt is None:
                raise ExamRefused("You have no exam running; start one with `exam` or `exam short`.")
            return attempt
        found = await self._repo.exam_attempt(round_id)
        if found is None or found.target != target:
            raise ExamRefused("That exam is not available here.")
        if found.user_key != user.key:
            raise ExamRefused("This exam belongs to another member; start your own with `exam`.")
        return found

    async def _attempt(self, round_id: int) -> ExamAttempt:
        attempt = await self._repo.exam_attempt(round_id)
        if attempt is None:  # pragma: no cover - the row was just written
            raise ExamRefused("That exam is not available here.")
        return attempt

    async def _save(
        self,
        attempt: ExamAttempt,
        position: int,
        question_no: int | None = None,
        choice: str | None = None,
        toggle_flag: bool = False,
    ) -> None:
        saved = await self._repo.update_exam(
            attempt.round_id, self._clock.now(), position, question_no, choice, toggle_flag
        )
        if not saved:
            raise ExamRefused("This exam has been submitted; `exam history` lists your results.")

    async def _answer(self, attempt: ExamAttempt, number: int, letters: str) -> ExamReply:
        question = self._question(attempt, number)
        try:
            choice = parse_choice(letters, question)
        except InvalidChoice as exc:
            raise ExamRefused(str(exc)) from None
        following = min(number + 1, attempt.total)
        await self._save(attempt, following, number, choice)
        fresh = await self._attempt(attempt.round_id)
        saved = f"Saved {', '.join(choice.upper())} for question {number}."
        if number == attempt.total:
            return self._review_card(fresh, number, notice=saved)
        return self._question_card(fresh, following, saved)

    async def _move(self, attempt: ExamAttempt, number: int, notice: str | None = None) -> ExamQuestionCard:
        if number != attempt.position:
            await self._save(attempt, number)
        return self._question_card(attempt, number, notice)

    async def _review(self, attempt: ExamAttempt, current: int, confirming: bool = False) -> ExamReviewCard:
        if current != attempt.position:
            await self._save(attempt, current)
        return self._review_card(attempt, current, confirming)

    async def _time_up(self, attempt: ExamAttempt) -> ExamReport:
        report = await self._submit(attempt, timed_out=True)
        if report is None:
            return self._report(await self._attempt(attempt.round_id))
        return report

    async def _submit(self, attempt: ExamAttempt, timed_out: bool) -> ExamReport | None:
        """Score the drafts and submit them in one transaction; None when it was submitted before."""
        rnd = await self._repo.get_round(attempt.round_id)
        if rnd is None:  # pragma: no cover - an attempt always has its round
            return None
        for _ in range(SUBMIT_RETRIES):
            now = self._clock.now()
            at = min(now, attempt.deadline) if timed_out else now
            tallies = []
            for number, choice in sorted(attempt.choices.items()):
                question = self._question(attempt, number)
                answer = score_answer(
                    question,
                    choice,
                    round_id=attempt.round_id,
                    question_no=number,
                    user_key=attempt.user_key,
                    answered_at=at,
                    elapsed_ms=0,
                    points=kind_points(RoundKind.EXAM),
                )
                tallies.append(await self._tally(rnd, answer, question.task))
            scored = self._report(attempt.model_copy(update={"submitted_at": at, "timed_out": timed_out}))
            done = await self._repo.submit_exam(
                attempt.round_id, attempt.version, at, tallies, scored.correct, scored.score, timed_out
            )
            if done is None:  # a draft changed while we scored: score the newest drafts
                attempt = await self._attempt(attempt.round_id)
                continue
            if not done:
                return None
            self._scheduler.cancel(f"exam:{attempt.round_id}")
            return scored
        raise ExamRefused("Your exam is busy saving answers; please submit again in a moment.")

    # ---- cards --------------------------------------------------------------------------------------------------

    def _question(self, attempt: ExamAttempt, number: int) -> Question:
        question = self._bank.get(attempt.question_ids[number - 1])
        if question is None:
            raise ExamRefused(f"Question {number} has been removed from the bank.")
        return question

    def _question_card(self, attempt: ExamAttempt, number: int, notice: str | None = None) -> ExamQuestionCard:
        q = self._question(attempt, number)
        task = self._bank.exam.task(q.task)
        return ExamQuestionCard(
            round_id=attempt.round_id,
            question_no=number,
            total=attempt.total,
            question_id=q.id,
            task=q.task,
            task_name=task.name if task else q.task,
            stem=q.stem,
            options=[OptionView(letter=letter, text=o.text) for letter, o in zip(q.letters, q.options, strict=True)],
            choose=q.choose,
            choice=attempt.choices.get(number),
            flagged=number in attempt.flags,
            answered=len(attempt.choices),
            flagged_count=len(attempt.flags),
            remaining_seconds=remaining_seconds(attempt.deadline, self._clock.now()),
            deadline=attempt.deadline,
            short=attempt.short,
            slots=[
                ExamSlot(number=n, answered=bool(attempt.choices.get(n)), flagged=n in attempt.flags)
                for n in range(1, attempt.total + 1)
            ],
            notice=notice,
        )

    def _review_card(
        self, attempt: ExamAttempt, position: int, confirming: bool = False, notice: str | None = None
    ) -> ExamReviewCard:
        return ExamReviewCard(
            round_id=attempt.round_id,
            total=attempt.total,
            answered=len(attempt.choices),
            unanswered=attempt.unanswered,
            flagged=sorted(attempt.flags),
            position=position,
            remaining_seconds=remaining_seconds(attempt.deadline, self._clock.now()),
            deadline=attempt.deadline,
            short=attempt.short,
            confirming=confirming,
            notice=notice,
        )

    def _report(self, attempt: ExamAttempt) -> ExamReport:
        """The scored report of an attempt's drafts (unanswered questions count as wrong)."""
        spec = self._bank.exam
        items: list[ExamReportItem] = []
        tally: dict[str, list[int]] = {d.id: [0, 0] for d in spec.domains}
        for number in range(1, attempt.total + 1):
            q = self._question(attempt, number)
            choice = attempt.choices.get(number)
            correct = choice is not None and is_correct(q, choice)
            counts = tally.setdefault(q.domain_id, [0, 0])
            counts[0] += int(correct)
            counts[1] += 1
            items.append(
                ExamReportItem(
                    question_no=number,
                    question_id=q.id,
                    task=q.task,
                    stem=q.stem,
                    choice=choice,
                    key="".join(sorted(q.keys)),
                    correct=correct,
                    flagged=number in attempt.flags,
                    options=[
                        OptionReveal(letter=letter, text=o.text, explanation=o.explanation, correct=letter in q.keys)
                        for letter, o in zip(q.letters, q.options, strict=True)
                    ],
                )
            )
        domains = []
        for domain_id, (right, total) in tally.items():
            d = spec.domain(domain_id)
            name, weight = (d.name, d.weight) if d else (domain_id, 0)
            domains.append(DomainResult(id=domain_id, name=name, weight=weight, correct=right, total=total))
        minutes = spec.short_exam.minutes if attempt.short else spec.minutes
        submitted = attempt.submitted_at or self._clock.now()
        return ExamReport(
            round_id=attempt.round_id,
            short=attempt.short,
            total=attempt.total,
            answered=len(attempt.choices),
            correct=sum(i.correct for i in items),
            score=scaled_score((d.weight, d.correct, d.total) for d in domains),
            pass_mark=spec.pass_mark,
            score_min=spec.score_min,
            score_max=spec.score_max,
            domains=[d for d in domains if d.total],
            seconds_used=seconds_used(attempt.opened_at, submitted, minutes),
            minutes_allowed=minutes,
            timed_out=attempt.timed_out,
            items=items,
        )
