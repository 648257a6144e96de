"""Block Kit rendering of the core's cards (pure functions, built with slack_sdk.models.blocks).

Every message carries a plain `text` fallback (notifications, screen readers, clients without Block Kit) and stays
inside Slack's limits: section text 3000 characters, header 150, button text and labels 75, 50 blocks per message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from adapters.slack.progress_blocks import habits_mrkdwn, leaderboard_extra_mrkdwn, readiness_mrkdwn
from adapters.slack.report_block import report_actions
from bot import component_ids
from bot.cards import (
    Accuracy,
    AnswerResult,
    HelpCard,
    LeaderboardCard,
    OptionReveal,
    QuestionCard,
    QuizSummary,
    RevealCard,
    ScheduleCard,
    ScoreLine,
    SettingsCard,
    StatsCard,
)
from bot.models import RoundKind

SECTION_LIMIT = 3000
HEADER_LIMIT = 150
BUTTON_LIMIT = 75
OPTION_LIMIT = 75
TEXT_LIMIT = 3000
MAX_BLOCKS = 50
MAX_VIEW_BLOCKS = 100

ANSWER_BLOCK = "quiz_answer"
CHOICES_BLOCK = "quiz_choices"
SUBMIT_BLOCK = "quiz_submit"
PICK_ACTION = "quiz_pick"
HOME_ACTIONS_BLOCK = "home_start"
HOME_ACTION_PREFIX = "home_quiz"

CORRECT = ":white_check_mark:"
WRONG = ":x:"
OTHER = ":white_small_square:"
_KIND = {
    RoundKind.QOTD: "Question of the day",
    RoundKind.QUIZ: "Quiz",
    RoundKind.DRILL: "Drill",
    RoundKind.GROUP: "Round",
    RoundKind.DUEL: "Duel",
}
_NUMBER = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}
_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,3}$")


@dataclass(frozen=True)
class Message:
    """A message to send: the plain-text fallback and its blocks (empty for a text-only notice)."""

    text: str
    blocks: list[Block] = field(default_factory=list)

    def kwargs(self) -> dict[str, Any]:
        """Arguments for chat.postMessage / chat.update / chat.postEphemeral / respond()."""
        return {"text": self.text, "blocks": self.blocks} if self.blocks else {"text": self.text}


# ---- text helpers -------------------------------------------------------------------------------------------------


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """Cut text to `limit` characters with an ellipsis, never leaving half an HTML entity behind."""
    if len(text) <= limit:
        return text
    return _PARTIAL_ENTITY.sub("", text[: limit - 1]) + "…"


def percent(correct: int, answered: int) -> str:
    """`67%`, or a dash before the first answer."""
    return f"{100 * correct / answered:.0f}%" if answered else "-"


def letters(choice: str) -> str:
    """`ac` as `A, C`."""
    return ", ".join(c.upper() for c in choice)


def _section(text: str, block_id: str | None = None) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=clip(text, SECTION_LIMIT)), block_id=block_id)


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=clip(text, SECTION_LIMIT))])


def _header(text: str) -> HeaderBlock:
    return HeaderBlock(text=PlainTextObject(text=clip(text, HEADER_LIMIT), emoji=True))


def _fallback(*parts: str) -> str:
    return clip("\n".join(p for p in parts if p), TEXT_LIMIT)


def _slack_time(at: datetime, zone: str) -> str:
    """A time Slack shows in each reader's own timezone, with the channel's local time as the fallback."""
    local = at.astimezone(ZoneInfo(zone))
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} at {{time}}|{local:%a %d %b %H:%M} {local.tzname()}>"


# ---- question cards -----------------------------------------------------------------------------------------------


def question_title(card: QuestionCard) -> str:
    """`Question of the day`, or `Quiz · question 2 of 10`."""
    kind = _KIND.get(card.kind, card.kind.value.title())
    return f"{kind} · question {card.question_no} of {card.total}" if card.total > 1 else kind


def question_message(card: QuestionCard) -> Message:
    """A question with its options in the body and one control per letter (or checkboxes and Submit)."""
    blocks: list[Block] = [
        _header(question_title(card)),
        *([_context(escape(card.note))] if card.note else []),
        _context(f"Task {card.task} · {escape(card.task_name)}"),
        _section(escape(card.stem)),
    ]
    blocks += [_section(f"*{o.letter.upper()}.* {escape(o.text)}") for o in card.options]
    answerable = card.is_open and card.your_choice is None
    if answerable:
        blocks += _controls(card)
    blocks.append(_context(_question_footer(card)))
    options = [f"{o.letter.upper()}. {o.text}" for o in card.options]
    return Message(_fallback(f"{question_title(card)}: {card.stem}", *options), blocks)


def _controls(card: QuestionCard) -> list[Block]:
    if card.choose == 1:
        return [
            ActionsBlock(
                block_id=ANSWER_BLOCK,
                elements=[
                    ButtonElement(
                        text=o.letter.upper(),
                        action_id=component_ids.encode(card.round_id, card.question_no, o.letter),
                        value=component_ids.encode(card.round_id, card.question_no, o.letter),
                        accessibility_label=clip(f"Answer {o.letter.upper()}: {o.text}", BUTTON_LIMIT),
                    )
                    for o in card.options
                ],
            )
        ]
    need = _NUMBER.get(card.choose, str(card.choose))
    return [
        ActionsBlock(
            block_id=CHOICES_BLOCK,
            elements=[
                CheckboxesElement(
                    action_id=PICK_ACTION,
                    options=[
                        Option(value=o.letter, text=PlainTextObject(text=clip(f"{o.letter.upper()}. {o.text}", 75)))
                        for o in card.options
                    ],
                )
            ],
        ),
        ActionsBlock(
            block_id=SUBMIT_BLOCK,
            elements=[
                ButtonElement(
                    text="Submit",
                    action_id=component_ids.encode(card.round_id, card.question_no),
                    value=component_ids.encode(card.round_id, card.question_no),
                    style="primary",
                    accessibility_label=clip(f"Submit your {need} ticked answers", BUTTON_LIMIT),
                )
            ],
        ),
    ]


def _question_footer(card: QuestionCard) -> str:
    parts: list[str] = []
    if card.your_choice:
        parts.append(f"You answered {letters(card.your_choice)}")
    elif not card.is_open:
        parts.append("This question is closed")
    elif card.choose > 1:
        need = _NUMBER.get(card.choose, str(card.choose))
        parts.append(f"Choose {need}: tick {need} boxes, then press Submit")
    else:
        parts.append("Pick one answer")
    if card.kind is not RoundKind.QUIZ:
        if card.closes_at is not None and card.is_open:
            parts.append(f"answers stay private until the reveal {_slack_time(card.closes_at, card.timezone)}")
        parts.append(f"{card.answered_count} answered so far")
    return " · ".join(parts)


# ---- reveals and feedback -----------------------------------------------------------------------------------------


def _option_reveal(option: OptionReveal, head: str) -> SectionBlock:
    # The explanation is what gets cut when an option is long, so the letter and the verdict always show.
    first = f"{head}\n"
    room = SECTION_LIMIT - len(first)
    return _section(first + clip(escape(option.explanation), room))


def reveal_message(card: RevealCard) -> Message:
    """The key, the share of answers per option and every option's explanation."""
    kind = _KIND.get(card.kind, card.kind.value.title())
    blocks: list[Block] = [
        _header(f"{kind} · answer {letters(card.key)}"),
        _section(escape(card.stem)),
    ]
    for o in card.options:
        mark = CORRECT if o.correct else WRONG
        share = f"{100 * o.share(card.answers):.0f}% ({o.count} of {card.answers})"
        blocks.append(_option_reveal(o, f"{mark} *{o.letter.upper()}.* {clip(escape(o.text), 1500)} · {share}"))
    blocks.append(_context(f"{card.answers} answer{'' if card.answers == 1 else 's'} · task {card.task}"))
    if card.streaks:
        streaks = ", ".join(f"{escape(name)} {days} days in a row" for name, days in card.streaks)
        blocks.append(_context(f":fire: Streaks: {streaks}"))
    blocks = [*blocks[: MAX_BLOCKS - 1], report_actions(card.question_id)]
    return Message(_fallback(f"{kind} revealed: the answer is {letters(card.key)}.", card.stem), blocks)


def feedback_message(result: AnswerResult) -> Message:
    """A solo-quiz answer: the verdict, then every option marked with its explanation."""
    card = result.feedback
    if card is None:
        return Message(result.message)
    verdict = f"{CORRECT if result.correct else WRONG} *{escape(result.message)}*"
    blocks: list[Block] = [
        _section(verdict),
        _context(f"Question {card.question_no} · task {card.task}"),
        _section(escape(card.stem)),
    ]
    for o in card.options:
        picked = o.letter in result.choice
        mark = CORRECT if o.correct else (WRONG if picked else OTHER)
        mine = " · _your answer_" if picked else ""
        blocks.append(_option_reveal(o, f"{mark} *{o.letter.upper()}.* {clip(escape(o.text), 1500)}{mine}"))
    blocks.append(report_actions(card.question_id))
    return Message(_fallback(f"{result.message} You answered {letters(result.choice)}.", card.stem), blocks)


# ---- summaries and tables -----------------------------------------------------------------------------------------


def _accuracy_lines(rows: list[Accuracy]) -> str:
    return "\n".join(
        f"`{_bar(r)}` {percent(r.correct, r.answered):>4} · *{r.id}* {escape(r.name)} ({r.answered} answered)"
        for r in rows
    )


def _bar(row: Accuracy, width: int = 10) -> str:
    filled = round(width * row.correct / row.answered) if row.answered else 0
    return "█" * filled + "░" * (width - filled)


def summary_message(card: QuizSummary) -> Message:
    """Score, time and accuracy by domain of a finished (or stopped) quiz."""
    minutes, seconds = divmod(card.seconds, 60)
    title = "Quiz ended early" if card.ended_early else "Quiz finished"
    line = (
        f"{card.correct}/{card.answered} correct ({percent(card.correct, card.answered)}) · "
        f"{card.total} questions · {minutes} min {seconds:02d} s"
    )
    blocks: list[Block] = [_header(title), _section(f"*{line}*")]
    if card.by_domain:
        blocks.append(_section("*Accuracy by domain*\n" + _accuracy_lines(card.by_domain)))
    blocks.append(_context("Start another with `/quiz`, or `/quiz 10 domain:2` for one domain."))
    domains = [f"{d.id} {d.name}: {d.correct}/{d.answered}" for d in card.by_domain]
    return Message(_fallback(f"{title}: {line}.", *domains), blocks)


def stats_message(card: StatsCard) -> Message:
    """A member's accuracy per domain and per task statement."""
    line = f"{card.answered} answered, {card.correct} correct ({percent(card.correct, card.answered)})"
    blocks: list[Block] = [
        _header(f"Stats for {card.user_name}"),
        _section(f"*{line}*"),
        _section("*By domain*\n" + _accuracy_lines(card.domains)),
        _section("*By task statement*\n" + _accuracy_lines(card.tasks)),
    ]
    blocks += [_section(text) for text in (readiness_mrkdwn(card), habits_mrkdwn(card)) if text]
    if card.rating:
        blocks.append(_section(f"*Duel rating* {escape(card.rating)}"))
    return Message(_fallback(f"Stats for {card.user_name}: {line}."), blocks)


def leaderboard_message(card: LeaderboardCard) -> Message:
    """A ranked table of points."""
    extra = leaderboard_extra_mrkdwn(card)
    if not card.lines:
        empty = "No points yet: answer the question of the day (`/quiz qotd`) to get on the board."
        tail = [_section(extra)] if extra else []
        return Message(_fallback(card.title, empty), [_header(card.title), _section(empty), *tail])
    rows = "\n".join(_score_line(s) for s in card.lines)
    plain = [f"{s.rank}. {s.name}: {s.points} points" for s in card.lines]
    body = "\n".join(part for part in (rows, extra) if part)
    return Message(_fallback(card.title, *plain), [_header(card.title), _section(body)])


def _score_line(s: ScoreLine) -> str:
    return (
        f"*{s.rank}.* {escape(s.name)} · *{s.points}* points · "
        f"{percent(s.correct, s.answered)} of {s.answered} answered"
    )


def help_message(card: HelpCard) -> Message:
    """Every command as it is typed after `/quiz`."""
    lines = []
    for h in card.lines:
        usage = h.usage if h.usage.startswith("quiz") else f"quiz {h.usage}"
        lines.append(f"`/{usage}` {escape(h.summary)}{' _(admin)_' if h.admin else ''}")
    tip = "`/quiz 10` is short for `/quiz quiz 10`; an empty `/quiz` shows this help. Answer with the buttons."
    blocks: list[Block] = [_header("quizbot commands"), *_sections(lines), _context(tip)]
    plain = [f"/{h.usage if h.usage.startswith('quiz') else 'quiz ' + h.usage}: {h.summary}" for h in card.lines]
    return Message(_fallback("quizbot commands:", *plain), blocks)


def _sections(lines: list[str]) -> list[SectionBlock]:
    """Lines packed into as few sections as Slack's 3000-character limit allows, none of them cut."""
    packed: list[str] = []
    for line in lines:
        if packed and len(packed[-1]) + 1 + len(line) <= SECTION_LIMIT:
            packed[-1] += "\n" + line
        else:
            packed.append(line)
    return [_section(text) for text in packed]


def settings_message(card: SettingsCard) -> Message:
    """The settings in force in a channel."""
    state = "Saved. " if card.changed else ""
    text = (
        f"{state}Timezone *{escape(card.timezone)}*; the question of the day is revealed at *{card.reveal}* local time."
    )
    return Message(_fallback(text.replace("*", "")), [_section(text)])


def schedules_message(card: ScheduleCard) -> Message:
    """A channel's schedules with their next posts (shown in each reader's timezone), or the next run times."""
    lines = []
    for s in card.schedules:
        when = f"paused: {escape(s.note or '')}" if s.paused else ""
        if not s.paused and s.next_run is not None:
            when = f"next {_slack_time(s.next_run, card.timezone)}"
        kind = _KIND.get(s.kind, s.kind.value)
        lines.append(f"*#{s.id} {kind}* · {escape(s.rule)} · {escape(s.details)} · {when}")
    lines += [_slack_time(run, card.timezone) for run in card.runs]
    blocks: list[Block] = [_section(f"*{escape(card.message)}*")]
    if lines:
        blocks.append(_section("\n".join(lines)))
    plain = [f"#{s.id} {s.rule} · {s.details}" for s in card.schedules]
    return Message(_fallback(card.message, *plain), blocks)


def mention_block(mention: str) -> SectionBlock:
    """The role, user group or @here a scheduled card pings (already in Slack's <!…> syntax)."""
    return _section(clip(mention, 200))


def with_note(message: Message, note: str) -> Message:
    """The same message with a line of context added under it."""
    return Message(_fallback(message.text, note), [*message.blocks, _context(note)][:MAX_BLOCKS])


def notice(text: str) -> Message:
    """A one-sentence message without blocks (acknowledgements and polite refusals)."""
    return Message(clip(text, TEXT_LIMIT))


# ---- App Home -----------------------------------------------------------------------------------------------------


def home_view(stats: StatsCard, rank: ScoreLine | None) -> View:
    """The member's Home tab: progress, rank in the workspace and buttons that start a quiz."""
    overall = (
        f"You have answered *{stats.answered}* questions, *{percent(stats.correct, stats.answered)}* correct."
        if stats.answered
        else "You have not answered any questions yet: start a quiz below."
    )
    standing = (
        f"Rank *#{rank.rank}* in this workspace with *{rank.points}* points."
        if rank is not None
        else "No points in this workspace yet: answer the question of the day (`/quiz qotd`) to get on the board."
    )
    if stats.progress is not None:
        progress = stats.progress
        standing += f"\nStreak: *{progress.streak}* day(s) in a row (best {progress.best_streak})."
    starts = [("quick", "Quick quiz (5)", "quiz quick"), ("10", "Quiz (10)", "quiz 10"), ("review", "Review", "review")]
    starts += [(f"domain_{d.id}", f"Domain {d.id}: {d.name}", f"quiz 10 domain:{d.id}") for d in stats.domains]
    blocks: list[Block] = [
        _header(f"Hi {stats.user_name}!"),
        _section(f"{overall}\n{standing}"),
        ActionsBlock(
            block_id=HOME_ACTIONS_BLOCK,
            elements=[
                ButtonElement(
                    text=clip(label, BUTTON_LIMIT),
                    action_id=f"{HOME_ACTION_PREFIX}_{key}",
                    value=value,
                    style="primary" if key == "quick" else None,
                    accessibility_label=clip(f"Start a private {label}", BUTTON_LIMIT),
                )
                for key, label, value in starts
            ],
        ),
        DividerBlock(),
        _section("*Accuracy by domain*\n" + _accuracy_lines(stats.domains)),
        _section("*Accuracy by task statement*\n" + _accuracy_lines(stats.tasks)),
        _context("Quizzes you start here arrive in the Messages tab. Type `/quiz help` in any channel for more."),
    ]
    return View(type="home", blocks=blocks[:MAX_VIEW_BLOCKS])
