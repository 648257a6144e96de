"""Scheduled posts: admins' schedule commands, slot claims, posting through the ChatPort, catch-up at start.

Exactly once, whatever restarts: each post first claims its slot (unique per schedule and due time) in the
database, moves it to `sending` just before the first card goes out and to `posted` once every card's reference
is stored. A slot found unfinished is retried only by its holder or after its claim is older than the lease
(so a second live process never posts it too); a retry asks the platform first whether the card in flight went
out (Discord nonce, Slack message metadata), so a crash between sending and recording never doubles a post.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot import progress
from bot import schedules as rules
from bot.bank import Bank
from bot.cards import QuestionCard, ScheduleCard, ScheduleLine
from bot.commands import Command, CommandError, parse_time_of_day
from bot.metrics import METRICS
from bot.models import Round, RoundKind, Target, UserRef
from bot.periods import local_date
from bot.ports import ChatPort, Clock, PostError, Repository, Scheduler
from bot.schedules import POSTED, SENDING, SKIPPED, UNFINISHED, RuleError, Schedule, ScheduleSpec

if TYPE_CHECKING:
    from bot.service import QuizService

log = logging.getLogger(__name__)

DEFAULT_GRACE = timedelta(hours=1)
# An unfinished claim younger than this belongs to a live process; older, its holder is presumed dead.
SLOT_LEASE = timedelta(seconds=60)
RETRY_AFTER = timedelta(minutes=1)
LOW_UNSEEN = 14
NEXT_RUNS = 5
MAX_DRILL = 10
DEFAULT_DRILL = 5
MAX_MENTION = 100
SCHEDULED_KINDS = (RoundKind.QOTD, RoundKind.DRILL)
PLAN_KINDS = (RoundKind.RECAP, RoundKind.COUNTDOWN)  # schedules a study plan owns (bot.study_plans)
MIN_STREAK, MAX_STREAKS = 2, 10
_ACTIONS = ("add", "list", "pause", "resume", "edit", "delete", "next")
_FOCUS = ("weak", "all")


class Posting:
    """The schedule service: one per QuizService; jobs `sched:{id}` in the Scheduler, truth in the database."""

    def __init__(
        self,
        quiz: QuizService,
        repo: Repository,
        scheduler: Scheduler,
        clock: Clock,
        grace: timedelta = DEFAULT_GRACE,
        lease: timedelta = SLOT_LEASE,
    ) -> None:
        self._quiz = quiz
        self._repo = repo
        self._scheduler = scheduler
        self._clock = clock
        self.grace = grace
        self.lease = lease
        self.owner = uuid.uuid4().hex[:12]  # who holds a claim: this process's instance
        self._inflight: set[tuple[int, datetime]] = set()

    # ---- start and jobs -----------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Arm every active schedule of a registered front door; post the last missed slot within the grace."""
        armed = 0
        for sched in await self._repo.list_schedules():
            if sched.paused or self._quiz.port_for(sched.target.platform) is None:
                continue
            try:
                await self._arm_from_start(sched)
                armed += 1
            except Exception:
                log.exception("schedule %s: could not be armed at start", sched.id)
        log.info("%d schedule(s) armed", armed)

    async def _arm_from_start(self, sched: Schedule) -> None:
        now = self._clock.now()
        latest = await self._repo.latest_slot(sched.id)
        since = max(sched.active_since, latest.due_at) if latest else sched.active_since
        plan = rules.catch_up(sched.rule, now, self.grace, since)
        if plan.skipped:
            shown = ", ".join(f"{d:%Y-%m-%d %H:%M}Z" for d in plan.skipped[-3:])
            log.info(
                "schedule %s: skipped %d slot(s) missed while down, older than the grace (%s): %s",
                sched.id,
                len(plan.skipped),
                self.grace,
                shown,
            )
        if plan.post is not None:
            self._arm(sched.id, now, plan.post)
        elif latest is not None and latest.state in UNFINISHED and now - latest.due_at <= self.grace:
            self._arm(sched.id, now, latest.due_at)  # interrupted by a crash: re-checked, never posted twice
        else:
            self._arm(sched.id, rules.next_run(sched.rule, now), None)

    def _arm(self, schedule_id: int, when: datetime, due: datetime | None) -> None:
        slot_due = due or when
        self._scheduler.at(when, f"sched:{schedule_id}", lambda: self.fire(schedule_id, slot_due))

    def _arm_next(self, sched: Schedule, after: datetime) -> None:
        self._arm(sched.id, rules.next_run(sched.rule, max(after, self._clock.now() - self.grace)), None)

    async def fire(self, schedule_id: int, due: datetime) -> None:
        """The job of one slot: post it unless it is done, held elsewhere or too old; then arm the next slot."""
        key = (schedule_id, due)
        if key in self._inflight:
            return
        self._inflight.add(key)
        retry_at: datetime | None = None
        sched = None
        try:
            sched = await self._repo.get_schedule(schedule_id)
            if sched is None or sched.paused:
                return
            retry_at = await self._post_slot(sched, due)
        except Exception:
            log.exception("schedule %s: the post due at %s failed", schedule_id, due.isoformat())
        finally:
            self._inflight.discard(key)
            if sched is not None and not sched.paused:
                await self._rearm(schedule_id, due, retry_at)

    async def _rearm(self, schedule_id: int, due: datetime, retry_at: datetime | None) -> None:
        try:
            sched = await self._repo.get_schedule(schedule_id)  # paused or deleted meanwhile: no next job
            if sched is None or sched.paused:
                return
            if retry_at is not None and retry_at - due <= self.grace:
                self._arm(schedule_id, retry_at, due)
            else:
                self._arm_next(sched, due)
        except Exception:
            log.exception("schedule %s: could not arm the next post", schedule_id)

    # ---- one slot -----------------------------------------------------------------------------------------------

    async def _post_slot(self, sched: Schedule, due: datetime) -> datetime | None:
        """Post one slot; returns when to look again if someone else holds it or the platform failed briefly."""
        now = self._clock.now()
        METRICS.scheduler_lateness.observe(max(0.0, (now - due).total_seconds()))
        if now - due > self.grace:
            log.info("schedule %s: skipped the post due at %s (grace %s passed)", sched.id, due.isoformat(), self.grace)
            await self._repo.set_slot_state(sched.id, due, SKIPPED, now)
            return None
        won, slot = await self._repo.claim_slot(sched.id, due, self.owner, now, self.lease)
        if not won:
            if slot.state in UNFINISHED:
                return slot.claimed_at + self.lease  # a live holder is posting it; look again when its lease ends
            return None
        port = self._quiz.port_for(sched.target.platform)
        if port is None:  # pragma: no cover - start() arms only schedules of registered front doors
            return None
        if sched.kind in PLAN_KINDS:  # a study plan's recap or countdown: one text post (bot.study_plans)
            return await self._post_plan_text(sched, due, port, slot.state == SENDING)
        rnd = await self._round_for(sched, due, now)
        if rnd is None:
            await self._repo.set_slot_state(sched.id, due, SKIPPED, now)
            return None
        uncertain = slot.state == SENDING  # an earlier attempt may have sent the card it was on
        await self._repo.set_slot_state(sched.id, due, SENDING, now, round_id=rnd.id)
        try:
            first_ref = await self._send_cards(sched, port, rnd, rules.slot_key(sched.id, due), uncertain)
        except PostError as exc:
            if not exc.permanent:
                log.warning("schedule %s: posting failed for now (%s); trying again shortly", sched.id, exc)
                return now + RETRY_AFTER
            await self._fail(sched, due, port, str(exc))
            return None
        await self._repo.set_slot_state(sched.id, due, POSTED, self._clock.now(), message_ref=first_ref)
        log.info("schedule %s: posted slot %s (round %s)", sched.id, rules.slot_key(sched.id, due), rnd.id)
        self._quiz.arm_close(rnd)
        await self._warn_if_running_low(sched, port)
        return None

    async def _post_plan_text(self, sched: Schedule, due: datetime, port: ChatPort, uncertain: bool) -> datetime | None:
        now = self._clock.now()
        # A notice carries no slot key to look up afterwards, so one interrupted mid-send is given up, never doubled.
        text = None if uncertain else await self._quiz.plans.slot_text(sched, due)
        if text is None:
            await self._repo.set_slot_state(sched.id, due, SKIPPED, now)
            return None
        await self._repo.set_slot_state(sched.id, due, SENDING, now)
        try:
            await port.post_notice(sched.target, text)
        except PostError as exc:
            await self._fail(sched, due, port, str(exc))
            return None
        await self._repo.set_slot_state(sched.id, due, POSTED, self._clock.now(), message_ref="notice")
        log.info("schedule %s: posted plan slot %s", sched.id, rules.slot_key(sched.id, due))
        if sched.kind is RoundKind.RECAP:
            await self._post_recap_chart(sched, port)
        return None

    async def _post_recap_chart(self, sched: Schedule, port: ChatPort) -> None:
        # The recap's text is what counts: a chart that cannot go out is logged, and the slot stays posted.
        try:
            chart = await self._quiz.plans.recap_chart(sched.target)
            if chart is not None:
                await port.post_chart(sched.target, chart)
        except Exception:
            log.exception("schedule %s: the recap chart could not be posted", sched.id)

    async def _send_cards(self, sched: Schedule, port: ChatPort, rnd: Round, slot: str, uncertain: bool) -> str:
        first_ref = ""
        for number in range(1, len(rnd.question_ids) + 1):
            refs = await self._repo.message_refs(rnd.id, number)
            if refs:
                first_ref = first_ref or refs[0]
                continue
            key = slot if len(rnd.question_ids) == 1 else f"{slot}:{number}"
            ref = await port.find_post(rnd.target, key) if uncertain else None
            uncertain = False  # only the first card without a stored reference can have been in flight
            if ref is None:
                card = await self._quiz.question_card(rnd, number)
                ref = await port.post_question(rnd.target, card, key, sched.mention if number == 1 else None)
            await self._repo.add_message_ref(rnd.id, ref, number)
            first_ref = first_ref or ref
        return first_ref

    async def _fail(self, sched: Schedule, due: datetime, port: ChatPort, reason: str) -> None:
        now = self._clock.now()
        await self._repo.set_slot_state(sched.id, due, rules.FAILED, now)
        await self._repo.set_schedule_paused(sched.id, True, reason, now)
        log.warning("schedule %s: paused after a failed post in %s: %s", sched.id, sched.target.channel, reason)
        text = (
            f"Admins: schedule {sched.id} is paused because its post failed ({reason}). "
            f"Fix the channel or permissions, then `schedule resume {sched.id}`."
        )
        try:
            await port.post_notice(sched.target, text)
        except Exception as exc:
            log.warning("schedule %s: could not tell the admins in %s either (%s)", sched.id, sched.target.channel, exc)

    async def _round_for(self, sched: Schedule, due: datetime, now: datetime) -> Round | None:
        config = await self._quiz.channel_config(sched.target)
        closes = rules.reveal_time(sched, due, config.reveal)
        if sched.kind is RoundKind.QOTD:
            # The same slot as the `qotd` command, so members asking for today's question get this one.
            slot = f"qotd:{sched.target.channel_key}:{local_date(due, config.tz).isoformat()}"
        else:
            slot = f"sched:{sched.id}:{due.isoformat()}"
        picked = await self._pick(sched, slot)
        if not picked:
            log.warning("schedule %s: no question matches its filters; nothing posted", sched.id)
            return None
        kind = RoundKind.QOTD if sched.kind is RoundKind.QOTD else RoundKind.DRILL
        rnd = await self._repo.create_round(kind, sched.target, None, picked, now, closes, slot)
        if not rnd.is_open:
            log.info("schedule %s: today's question (round %s) is already closed; nothing posted", sched.id, rnd.id)
            return None
        return rnd

    async def _pick(self, sched: Schedule, slot: str) -> list[str]:
        bank = await self._quiz.bank_for(sched.target)  # the server's own/shipped choice, minus hidden questions
        pool = [(q.id, q.task) for q in bank.select(sched.domain, sched.task)]
        asked = await self._repo.asked_in_channel(sched.target, SCHEDULED_KINDS)
        if sched.domain is None and sched.task is None:  # a running study plan steers unfiltered schedules
            planned = await self._quiz.plans.pick(sched.target, pool, asked, sched.count, slot)
            if planned:
                return planned
        accuracy: Mapping[str, tuple[int, int]] | None = None
        if sched.focus == "weak":
            accuracy = await self._repo.group_task_stats(sched.target.channel_key)
        return rules.choose_questions(pool, asked, sched.count, random.Random(slot), accuracy).ids

    async def _warn_if_running_low(self, sched: Schedule, port: ChatPort) -> None:
        pool = [q.id for q in (await self._quiz.bank_for(sched.target)).select(sched.domain, sched.task)]
        unseen = len(rules.cycle_unseen(pool, await self._repo.asked_in_channel(sched.target, SCHEDULED_KINDS)))
        low = unseen < LOW_UNSEEN
        if low == sched.low_warned:
            return
        await self._repo.set_schedule_warned(sched.id, low)
        if not low:
            return
        what = _filters(sched) or "the bank"
        log.info("schedule %s: %d unseen question(s) left in %s", sched.id, unseen, what)
        try:
            await port.post_notice(
                sched.target,
                f"Admins: only {unseen} question(s) of {what} have not been asked in this channel yet; after "
                f"that, schedule {sched.id} repeats questions (oldest first). Widen its filter or add questions.",
            )
        except Exception as exc:
            log.warning("schedule %s: could not post the low-bank warning (%s)", sched.id, exc)

    # ---- members: the open drill, streaks --------------------------------------------------------------------------

    async def streaks(self, rnd: Round, today: date) -> list[tuple[str, int]]:
        """Members of a closing round who have answered on at least two days in a row, longest streak first."""
        keys = sorted({a.user_key for a in await self._repo.answers(rnd.id)})
        names = await self._repo.member_names(keys)
        found = []
        for key in keys:
            current, _ = progress.streaks(await self._repo.active_days(key), today)
            if current >= MIN_STREAK:
                found.append((names.get(key, key.split(":", 1)[-1]), current))
        return sorted(found, key=lambda s: (-s[1], s[0]))[:MAX_STREAKS]

    async def open_question(self, user: UserRef, target: Target) -> QuestionCard:
        """The next question of this channel's open drill (or question of the day) the member has not answered."""
        for kind in (RoundKind.DRILL, RoundKind.QOTD):
            rnd = await self._repo.latest_round(target, kind)
            if rnd is None:
                continue
            for number in range(1, len(rnd.question_ids) + 1):
                if await self._repo.get_answer(rnd.id, number, user.key) is None:
                    return await self._quiz.question_card(rnd, number, user)
        raise CommandError("There is no open drill or question of the day here that you have not answered.")

    # ---- admin commands -----------------------------------------------------------------------------------------

    async def command(self, user: UserRef, target: Target, command: Command) -> ScheduleCard:
        """`schedule add|list|pause|resume|edit|delete|next …` in a channel."""
        action = command.args[0].lower() if command.args else "list"
        if action not in _ACTIONS:
            raise CommandError(f"Unknown schedule action `{action}`; use {', '.join(_ACTIONS)}.")
        if action not in ("list", "next") and not user.is_admin:
            raise CommandError("Sorry, only an admin can change schedules.")
        zone = (await self._quiz.channel_config(target)).tz
        if action == "list":
            return await self._list(target, zone, "Schedules in this channel")
        if action == "add":
            return await self._add(user, target, command, zone)
        if action == "next":
            return await self._next(target, command, zone)
        sched = await self._owned(target, command)
        now = self._clock.now()
        match action:
            case "pause":
                await self._repo.set_schedule_paused(sched.id, True, "paused by an admin", now)
                self._scheduler.cancel(f"sched:{sched.id}")
                message = f"Schedule {sched.id} is paused."
            case "resume":
                await self._repo.set_schedule_paused(sched.id, False, None, now)
                await self._rearm_schedule(sched.id)
                message = f"Schedule {sched.id} is running again."
            case "delete":
                await self._repo.delete_schedule(sched.id)
                self._scheduler.cancel(f"sched:{sched.id}")
                return await self._list(target, zone, f"Schedule {sched.id} is deleted.")
            case _:  # edit
                spec = parse_spec(sched.kind, command.options, self._quiz.bank, sched.timezone, base=sched)
                await self._repo.update_schedule(sched.id, spec, now)
                await self._rearm_schedule(sched.id)
                message = f"Schedule {sched.id} is updated."
        return await self._list(target, zone, message, only=sched.id)

    async def _add(self, user: UserRef, target: Target, command: Command, zone: ZoneInfo) -> ScheduleCard:
        if len(command.args) < 2 or command.args[1].lower() not in ("qotd", "drill"):
            raise CommandError("Say what to schedule: `schedule add qotd at:09:00` or `schedule add drill at:19:00`.")
        kind = RoundKind(command.args[1].lower())
        spec = parse_spec(kind, command.options, self._quiz.bank, zone.key)
        sched = await self._repo.create_schedule(target, spec, user.key, self._clock.now())
        if self._quiz.port_for(target.platform) is not None:
            self._arm_next(sched, self._clock.now())
        return await self._list(target, zone, f"Schedule {sched.id} is set.", only=sched.id)

    async def _next(self, target: Target, command: Command, zone: ZoneInfo) -> ScheduleCard:
        found = await self._repo.list_schedules(target)
        if len(command.args) > 1:
            found = [await self._owned(target, command)]
        active = [s for s in found if not s.paused]
        now = self._clock.now()
        runs = sorted(r for s in active for r in rules.next_runs(s.rule, now, NEXT_RUNS))[:NEXT_RUNS]
        message = "Next posts in this channel" if runs else "Nothing is scheduled here (or every schedule is paused)."
        return ScheduleCard(message=message, timezone=zone.key, runs=runs)

    async def _owned(self, target: Target, command: Command) -> Schedule:
        raw = command.args[1] if len(command.args) > 1 else ""
        if not raw.lstrip("#").isdigit():
            raise CommandError(f"Name the schedule by its number, e.g. `schedule {command.args[0]} 1`.")
        sched = await self._repo.get_schedule(int(raw.lstrip("#")))
        if sched is None or sched.target != target:
            raise CommandError(f"There is no schedule {raw} in this channel; `schedule list` shows them.")
        return sched

    async def arm(self, schedule_id: int) -> None:
        """Arm a schedule created outside `schedule add` (a study plan's posts)."""
        await self._rearm_schedule(schedule_id)

    async def remove(self, schedule_id: int) -> None:
        """Delete a schedule and cancel its job (a stopped study plan's posts)."""
        await self._repo.delete_schedule(schedule_id)
        self._scheduler.cancel(f"sched:{schedule_id}")

    async def _rearm_schedule(self, schedule_id: int) -> None:
        sched = await self._repo.get_schedule(schedule_id)
        if sched is not None and not sched.paused and self._quiz.port_for(sched.target.platform) is not None:
            self._arm_next(sched, self._clock.now())

    async def _list(self, target: Target, zone: ZoneInfo, message: str, only: int | None = None) -> ScheduleCard:
        now = self._clock.now()
        lines = [
            ScheduleLine(
                id=s.id,
                kind=s.kind,
                rule=s.rule.describe(),
                details=_details(s),
                paused=s.paused,
                note=s.pause_reason,
                next_run=None if s.paused else rules.next_run(s.rule, now),
            )
            for s in await self._repo.list_schedules(target)
            if only is None or s.id == only
        ]
        if only is None and not lines:
            message = "No schedules in this channel yet; add one with `schedule add qotd at:09:00`."
        return ScheduleCard(message=message, timezone=zone.key, schedules=lines)


# ---- parsing ---------------------------------------------------------------------------------------------------


def parse_spec(
    kind: RoundKind, options: Mapping[str, str], bank: Bank, timezone: str, base: ScheduleSpec | None = None
) -> ScheduleSpec:
    """A schedule spec from `name:value` options (over `base` when editing), every value checked."""
    values: dict[str, object] = (
        base.model_dump(include=set(ScheduleSpec.model_fields))
        if base
        else {"kind": kind, "timezone": timezone, "count": DEFAULT_DRILL if kind is RoundKind.DRILL else 1}
    )
    try:
        if "tz" in options or "timezone" in options:
            values["timezone"] = rules.check_timezone(options.get("tz") or options.get("timezone") or "")
        if "at" in options:
            values["at"] = parse_time_of_day(options["at"])
            values["cron"] = None
        if "days" in options:
            values["days"] = rules.format_days(rules.parse_days(options["days"]))
        if "cron" in options:
            values["cron"] = rules.check_cron(options["cron"])
        if "count" in options:
            values["count"] = _count(kind, options["count"])
        if "reveal" in options:
            values["reveal_after_minutes"], values["reveal_at"] = _reveal(options["reveal"])
        if "focus" in options:
            focus = options["focus"].lower()
            if focus not in _FOCUS:
                raise CommandError("`focus:` takes `weak` (the group's weakest tasks first) or `all`.")
            values["focus"] = "weak" if focus == "weak" else None
        if "mention" in options:
            mention = options["mention"].strip()
            if len(mention) > MAX_MENTION:
                raise CommandError("A mention is one role, group or @here.")
            values["mention"] = mention or None
        _filters_into(values, options, bank)
    except RuleError as exc:
        raise CommandError(str(exc)) from None
    if values.get("at") is None and not values.get("cron"):
        raise CommandError("Give the time to post, e.g. `at:09:00` (or a cron rule such as `cron:'0 19 * * mon'`).")
    if kind is RoundKind.QOTD and values.get("count", 1) != 1:
        raise CommandError("A question of the day has one question; schedule a drill for more.")
    spec = ScheduleSpec.model_validate(values)
    rules.next_run(spec.rule, datetime.fromisoformat("2000-01-01T00:00:00+00:00"))  # refuses a rule that never fires
    return spec


def _filters_into(values: dict[str, object], options: Mapping[str, str], bank: Bank) -> None:
    if "domain" in options:
        raw = options["domain"]
        found = bank.resolve_domain(raw) if raw.lower() not in ("", "any", "all") else None
        if found is None and raw.lower() not in ("", "any", "all"):
            names = ", ".join(f"{d.id} ({d.slug})" for d in bank.exam.domains)
            raise CommandError(f"Unknown domain `{raw}`. Choose one of: {names}.")
        values["domain"] = found.id if found else None
    if "task" in options:
        raw = options["task"]
        task = bank.resolve_task(raw) if raw.lower() not in ("", "any", "all") else None
        if task is None and raw.lower() not in ("", "any", "all"):
            raise CommandError(f"Unknown task `{raw}`. Use an id such as 1.2 or a slug such as 1.2-lambda.")
        values["task"] = task.id if task else None
    domain, task_id = values.get("domain"), values.get("task")
    if domain and task_id and not str(task_id).startswith(f"{domain}."):
        raise CommandError(f"Task {task_id} is not in domain {domain}.")
    if not bank.select(domain if isinstance(domain, str) else None, task_id if isinstance(task_id, str) else None):
        raise CommandError("No questions match that domain and task yet.")


def _count(kind: RoundKind, raw: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_DRILL:
        raise CommandError(f"A drill has 1 to {MAX_DRILL} questions; `count:` was `{raw}`.")
    return int(raw)


def _reveal(raw: str) -> tuple[int | None, time | None]:
    text = raw.strip().lower()
    if ":" in text:
        return None, parse_time_of_day(text)
    delta = rules.parse_duration(text)
    return int(delta.total_seconds() // 60), None


def _filters(spec: ScheduleSpec) -> str:
    parts = []
    if spec.domain:
        parts.append(f"domain {spec.domain}")
    if spec.task:
        parts.append(f"task {spec.task}")
    return " and ".join(parts)


def _details(spec: ScheduleSpec) -> str:
    if spec.kind in PLAN_KINDS:
        return "the study plan's weekly recap" if spec.kind is RoundKind.RECAP else "the final week's daily countdown"
    parts = [f"{spec.count} questions" if spec.count > 1 else "1 question"]
    if spec.reveal_after_minutes is not None:
        hours, minutes = divmod(spec.reveal_after_minutes, 60)
        parts.append(f"revealed after {hours}h{minutes:02d}" if hours else f"revealed after {minutes} min")
    elif spec.reveal_at is not None:
        parts.append(f"revealed at {spec.reveal_at:%H:%M}")
    if _filters(spec):
        parts.append(_filters(spec))
    if spec.focus == "weak":
        parts.append("weakest tasks first")
    if spec.mention:
        parts.append(f"mentions {spec.mention}")
    return " · ".join(parts)
