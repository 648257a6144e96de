"""The core's cards as Discord embeds and views (pure: card in, message out; no I/O, no clock)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import discord

from adapters.discord import components
from adapters.discord.progress_render import chart_file, leaderboard_extra, progress_fields
from adapters.discord.report_button import report_view
from bot.cards import (
    AnswerResult,
    ChartCard,
    HelpCard,
    LeaderboardCard,
    QuestionCard,
    QuizSummary,
    RevealCard,
    ScheduleCard,
    SettingsCard,
    StatsCard,
)
from bot.models import RoundKind
from bot.service import Reply

# Discord's embed limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_LIMIT = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
TOTAL_LIMIT = 6000
CONTENT_LIMIT = 2000

QUESTION_COLOR = discord.Colour(0x5865F2)
REVEAL_COLOR = discord.Colour(0xF1C40F)
CORRECT_COLOR = discord.Colour(0x2ECC71)
WRONG_COLOR = discord.Colour(0xE74C3C)
NEUTRAL_COLOR = discord.Colour(0x95A5A6)
ELLIPSIS = "…"
_NUMBER = {2: "two", 3: "three", 4: "four", 5: "five"}
_KIND = {
    RoundKind.QOTD: "Question of the day",
    RoundKind.QUIZ: "Quiz",
    RoundKind.DRILL: "Drill",
    RoundKind.GROUP: "Round",
    RoundKind.DUEL: "Duel",
}
# How each core command is typed on Discord (the core's usage strings describe the text grammar).
SLASH_USAGE = {
    "help": "/help",
    "qotd": "/qotd",
    "quiz": "/quiz count:<1-65> domain:<domain> task:<task>",
    "stop": "/stop (or the Stop button)",
    "stats": "/stats [member] [group] [scope] [chart]",
    "leaderboard": "/leaderboard [scope] [period] [page]",
    "review": "/review [count]",
    "drill": "/drill [count]",
    "optin": "/optin",
    "optout": "/optout",
    "reveal": "/quizadmin reveal",
    "settings": "/quizadmin settings [timezone:Area/City] [reveal:HH:MM]",
    "exam": "/exam [action:full|short|resume|history]",
    "schedule": "/quizadmin schedule add|list|next|pause|resume|edit|delete",
    "answer": "the buttons under a drill's cards",
    "duel": "/duel member: count: domain: seconds: (then Play or Leave on its card)",
    "accept": "the Accept button on a duel card",
    "decline": "the Decline button on a duel card",
    "ratings": "/ratings",
    "round": "/round count: domain: seconds: speed:",
    "join": "the Join button on a round card",
    "report": "the Report button under any reveal or feedback",
    "reports": "/quizadmin reports",
    "hide": "/quizadmin hide question:ID",
    "unhide": "/quizadmin unhide question:ID",
    "bank": "/quizadmin bank-import file:… · /quizadmin bank action:list|use|disable|enable|export",
}


@dataclass
class Message:
    """What to send or edit: text, embeds and (optionally) the controls under them."""

    content: str | None = None
    embeds: list[discord.Embed] = field(default_factory=list)
    view: discord.ui.View | None = None
    files: list[discord.File] = field(default_factory=list)


# ---- questions ---------------------------------------------------------------------------------------------------


def question(card: QuestionCard) -> Message:
    """A question with its option texts in the embed and one control per letter (or a choose-N menu)."""
    return Message(content=card.note, embeds=[question_embed(card)], view=question_view(card))


def question_embed(card: QuestionCard) -> discord.Embed:
    """The question, its lettered options and how to answer; QOTD cards also show the answer count."""
    lines = [card.stem, ""]
    lines += [f"**{o.letter.upper()}** · {o.text}" for o in card.options]
    lines.append("")
    if card.choose > 1:
        lines.append(f"Choose {_NUMBER.get(card.choose, card.choose)}: pick {card.choose} letters in the menu.")
    if card.kind is RoundKind.QOTD and card.closes_at is not None:
        lines.append(f"Answer privately below; the answer is revealed at {reveal_time(card)} (<t:{_unix(card)}:R>).")
    if card.kind in (RoundKind.GROUP, RoundKind.DUEL) and card.closes_at is not None:
        lines.append(f"⏱️ Time is up <t:{_unix(card)}:R>; answers are private.")  # a timestamp, not per-second edits
    footer = [f"Task {card.task} {card.task_name}", card.question_id]
    if card.kind is RoundKind.QOTD:
        footer.insert(0, f"{card.answered_count} answered")
    return _embed(
        title=_question_title(card),
        description="\n".join(lines).strip(),
        footer=" · ".join(footer),
        colour=QUESTION_COLOR,
    )


def question_view(card: QuestionCard) -> discord.ui.View | None:
    """Letter buttons (or a choose-N menu) plus, for solo quizzes, a Stop button; None once answered or closed."""
    if not card.is_open or card.your_choice is not None:
        return None
    view = discord.ui.View(timeout=None)  # the controls are DynamicItems registered globally; nothing to time out
    letters = "".join(o.letter for o in card.options)
    if card.choose > 1:
        view.add_item(components.letters_menu(card.round_id, card.question_no, letters, card.choose))
    else:
        for letter in letters:
            view.add_item(components.letter_button(card.round_id, card.question_no, letter))
    if card.kind is RoundKind.QUIZ:
        stop = components.StopControl(card.round_id)
        stop.row = 2
        view.add_item(stop)
    return view


def answered(card: QuestionCard) -> Message:
    """Today's question for a member who already answered it: their letters and the count, no controls."""
    when = f" The answer is revealed at {reveal_time(card)}." if card.closes_at and card.is_open else ""
    said = f"You answered {_letters(card.your_choice)}" if card.your_choice else "This question is closed"
    return Message(content=f"{said}; {card.answered_count} answered so far.{when}", embeds=[question_embed(card)])


def reveal_time(card: QuestionCard) -> str:
    """The reveal time in the channel's timezone, e.g. `18:00 UTC`."""
    if card.closes_at is None:
        return "when it closes"
    local = card.closes_at.astimezone(ZoneInfo(card.timezone))
    return f"{local:%H:%M} {local.tzname()}"


def _unix(card: QuestionCard) -> int:
    return int(card.closes_at.timestamp()) if card.closes_at else 0


def _question_title(card: QuestionCard) -> str:
    kind = _KIND.get(card.kind, card.kind.value.title())
    return f"{kind} · question {card.question_no} of {card.total}" if card.total > 1 else kind


# ---- reveals and feedback ----------------------------------------------------------------------------------------


def reveal(card: RevealCard) -> Message:
    """The public reveal: key, share per option and every option's explanation; the controls are removed."""
    head = f"{card.stem}\n\n**Answer: {_letters(card.key)}** · {card.answers} answer{'s' if card.answers != 1 else ''}"
    if card.streaks:
        head += "\n🔥 " + ", ".join(f"{name} {days} days in a row" for name, days in card.streaks)
    fields = []
    for o in card.options:
        share = f" · {100 * o.share(card.answers):.0f}% ({o.count})" if card.answers else ""
        fields.append((f"{_mark(o.correct)} {o.letter.upper()}{share}", _option_value(o.text, o.explanation)))
    embed = _embed(
        title=f"{_KIND.get(card.kind, 'Question')} · revealed",
        description=head,
        fields=fields,
        footer=f"Task {card.task} · {card.question_id}",
        colour=REVEAL_COLOR,
    )
    return Message(embeds=[embed], view=report_view(card.question_id))  # answer controls go; Report stays


def feedback(result: AnswerResult) -> Message:
    """A solo-quiz answer: the verdict, the member's pick and every option's explanation."""
    card = result.feedback
    if card is None:
        return notice(result.message)
    fields = []
    for o in card.options:
        mine = " · your answer" if o.letter in result.choice else ""
        fields.append((f"{_mark(o.correct)} {o.letter.upper()}{mine}", _option_value(o.text, o.explanation)))
    embed = _embed(
        title=f"{_mark(bool(result.correct))} {result.message}",
        description=card.stem,
        fields=fields,
        footer=f"Question {card.question_no} · task {card.task} · {card.question_id}",
        colour=CORRECT_COLOR if result.correct else WRONG_COLOR,
    )
    return Message(embeds=[embed], view=report_view(card.question_id))


def _mark(correct: bool) -> str:
    return "✅" if correct else "❌"


def _option_value(text: str, explanation: str) -> str:
    # A quote line for the explanation: no closing markup that a cut could leave dangling.
    return f"{text}\n> {explanation}"


# ---- quiz summary, stats, leaderboard, help, settings ------------------------------------------------------------


def summary(card: QuizSummary) -> Message:
    """Score, time and accuracy by domain of a finished (or stopped) quiz."""
    minutes, seconds = divmod(card.seconds, 60)
    state = "Quiz ended early" if card.ended_early else "Quiz finished"
    text = (
        f"**{card.correct}/{card.answered} correct** ({_pct(card.correct, card.answered)}) · "
        f"{card.total} question{'s' if card.total != 1 else ''} · {minutes} min {seconds:02d} s"
    )
    fields = [
        (f"{d.id} · {d.name}", f"{d.correct}/{d.answered} · {_pct(d.correct, d.answered)}") for d in card.by_domain
    ]
    if not fields:
        text += "\nNo answers yet, so there is no accuracy by domain."
    return Message(embeds=[_embed(title=state, description=text, fields=fields, inline=True, colour=NEUTRAL_COLOR)])


def stats(card: StatsCard) -> Message:
    """Accuracy per domain, with each domain's task statements under it."""
    fields = []
    for d in card.domains:
        tasks = [t for t in card.tasks if t.id.split(".")[0] == d.id]
        lines = [f"`{t.id}` {cut(t.name, 48)} · {t.answered} answered · {_pct(t.correct, t.answered)}" for t in tasks]
        name = f"{d.id} · {d.name} · {d.answered} answered · {_pct(d.correct, d.answered)}"
        fields.append((name, "\n".join(lines) or "No task statements."))
    text = f"{card.answered} answered, {card.correct} correct ({_pct(card.correct, card.answered)})."
    fields += progress_fields(card)
    if card.rating:
        fields.append(("Duel rating", card.rating))
    return Message(embeds=[_embed(title=f"Stats for {card.user_name}", description=text, fields=fields)])


def leaderboard(card: LeaderboardCard) -> Message:
    """A ranked list by points."""
    if not card.lines:
        text = "No points yet: answer the question of the day (`/qotd`) to get on the board."
    else:
        text = "\n".join(
            f"**{s.rank}.** {s.name} · {s.points} pts · {_pct(s.correct, s.answered)} · {s.answered} answered"
            for s in card.lines
        )
    text = "\n".join(part for part in (text, leaderboard_extra(card)) if part)
    return Message(embeds=[_embed(title=card.title, description=text, colour=REVEAL_COLOR)])


def help_message(card: HelpCard) -> Message:
    """Every command as it is typed on Discord."""
    lines = [
        f"`{SLASH_USAGE.get(h.usage.split()[0], '/' + h.usage)}` · {h.summary}{' (Manage Server)' if h.admin else ''}"
        for h in card.lines
    ]
    lines += ["", "Answer with the letter buttons (or the menu for choose-N questions); answers are private."]
    return Message(embeds=[_embed(title="quizbot commands", description="\n".join(lines), colour=NEUTRAL_COLOR)])


def settings(card: SettingsCard) -> Message:
    """The settings in force for this channel."""
    state = "Saved. " if card.changed else ""
    return notice(f"{state}Timezone {card.timezone}; the question of the day is revealed at {card.reveal} local time.")


def card(reply: Reply) -> Message:
    """Any card a command returns."""
    match reply:
        case QuestionCard():
            return question(reply) if reply.your_choice is None else answered(reply)
        case RevealCard():
            return reveal(reply)
        case QuizSummary():
            return summary(reply)
        case StatsCard():
            return stats(reply)
        case LeaderboardCard():
            return leaderboard(reply)
        case HelpCard():
            return help_message(reply)
        case SettingsCard():
            return settings(reply)
        case ChartCard():
            return Message(content=cut(reply.caption, CONTENT_LIMIT), files=[chart_file(reply)])
        case ScheduleCard():
            return schedules(reply)


def schedules(card: ScheduleCard) -> Message:
    """A channel's schedules (rule, details, next post as a Discord timestamp) or its next run times."""
    fields = []
    for s in card.schedules:
        state = f"paused: {s.note}" if s.paused else f"next <t:{int(s.next_run.timestamp())}:F>" if s.next_run else ""
        fields.append((f"#{s.id} · {_KIND.get(s.kind, s.kind.value)} · {s.rule}", f"{s.details}\n{state}"))
    zone = ZoneInfo(card.timezone)
    runs = "\n".join(f"{r.astimezone(zone):%a %d %b %H:%M} {r.astimezone(zone).tzname()}" for r in card.runs)
    return Message(embeds=[_embed(title=card.message, description=runs, fields=fields, colour=NEUTRAL_COLOR)])


def notice(text: str) -> Message:
    """One sentence (acknowledgements, refusals)."""
    return Message(content=cut(text, CONTENT_LIMIT))


def _pct(correct: int, answered: int) -> str:
    return f"{100 * correct / answered:.0f}%" if answered else "-"


def _letters(choice: str) -> str:
    return ", ".join(c.upper() for c in choice)


# ---- embed limits ------------------------------------------------------------------------------------------------


def _embed(
    *,
    title: str,
    description: str = "",
    fields: Sequence[tuple[str, str]] = (),
    footer: str = "",
    colour: discord.Colour = QUESTION_COLOR,
    inline: bool = False,
) -> discord.Embed:
    """An embed whose every part fits Discord's limits; the longest texts are cut first, each ending in `…`."""
    title = cut(title, TITLE_LIMIT)
    footer = cut(footer, FOOTER_LIMIT)
    kept = list(fields[:FIELD_LIMIT])
    names = [cut(name, FIELD_NAME_LIMIT) for name, _ in kept]
    values = [cut(value, FIELD_VALUE_LIMIT) for _, value in kept]
    description = cut(description, DESCRIPTION_LIMIT)
    budget = TOTAL_LIMIT - len(title) - len(footer) - sum(len(n) for n in names)
    description, *values = _share(budget, [description, *values])
    embed = discord.Embed(title=title, description=description or None, colour=colour)
    for name, value in zip(names, values, strict=True):
        embed.add_field(name=name, value=value or ELLIPSIS, inline=inline)
    if footer:
        embed.set_footer(text=footer)
    return embed


def _share(budget: int, texts: list[str]) -> list[str]:
    """Cut the longest texts to one common cap so that together they fit `budget` characters."""
    if sum(len(t) for t in texts) <= budget:
        return texts
    low, high = 0, max(len(t) for t in texts)
    while low < high:  # the largest cap that fits
        cap = (low + high + 1) // 2
        if sum(min(len(t), cap) for t in texts) <= budget:
            low = cap
        else:
            high = cap - 1
    return [cut(t, low) for t in texts]


def cut(text: str, limit: int) -> str:
    """`text` shortened to at most `limit` characters, preferring a word boundary, ending in `…`."""
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return ELLIPSIS[:limit]
    head = text[: limit - len(ELLIPSIS)]
    space = head.rfind(" ")
    if space > limit * 0.8:
        head = head[:space]
    return head.rstrip() + ELLIPSIS
