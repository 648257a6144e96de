"""Plain-text rendering of the bring-your-own-questions cards (pure functions)."""

from __future__ import annotations

from bot.bank_cards import BankListCard, ExportCard, HealthLine, ImportCard, NoticeCard, ReportsCard
from bot.question_reports import REASONS

ByoCard = NoticeCard | ImportCard | BankListCard | ExportCard | ReportsCard


def report_hint(question_id: str) -> str:
    """How to report the question just shown."""
    return f'Something wrong? report {question_id} reason:{"|".join(REASONS)} comment:"…"'


def render(card: ByoCard) -> str:
    """Any of the cards as text."""
    match card:
        case NoticeCard():
            return card.text
        case ImportCard():
            return import_report(card)
        case BankListCard():
            return bank_list(card)
        case ExportCard():
            return card.text
        case ReportsCard():
            return reports(card)


def import_report(card: ImportCard) -> str:
    """The validation report, then what was imported."""
    lines = list(card.lines)
    if not card.ok:
        lines.append(f"Nothing imported from {card.file}: fix the error(s) above and upload it again.")
    elif card.repeated:
        lines.append(f"{card.file} was already imported (import {card.import_id}); nothing changed.")
    else:
        warned = f" with {len(card.lines)} warning(s)" if card.lines else ""
        lines.append(f"Imported {card.imported} question(s) from {card.file} as import {card.import_id}{warned}.")
    return "\n".join(lines)


def bank_list(card: BankListCard) -> str:
    """The bank in use and the server's imports."""
    lines = [f"Quizzes use: {card.mode} (shipped {card.shipped} questions, own {card.own})."]
    if card.imports:
        lines.append("Imports:")
        lines += [
            f"  {i.id:>3}  {i.name[:40]:<40} {i.format:<8} {i.questions:>4} questions  "
            f"{'enabled' if i.enabled else 'disabled'}  {i.imported_at:%Y-%m-%d}"
            for i in card.imports
        ]
    else:
        lines.append("No uploads yet: `bank import PATH format:gift|moodle|csv|markdown|opentdb|yaml`.")
    if card.hidden:
        lines.append(f"Hidden here: {', '.join(card.hidden)}")
    return "\n".join(lines)


def health_line(h: HealthLine) -> str:
    """One question's item analysis on one line, flags after it."""
    r = f"{h.discrimination:+.2f}" if h.discrimination is not None else "n/a"
    shares = " ".join(f"{k.upper()}{'*' if k in h.keys else ''} {v:.0%}" for k, v in h.shares.items())
    text = f"  {h.question_id:<24} n={h.answered:<4} p={h.p_value:.2f} r={r:<5}  {shares}"
    return "\n".join([text, *(f"      ! {flag}" for flag in h.flags)])


def reports(card: ReportsCard) -> str:
    """Reports grouped by question, then questions flagged by their answers."""
    lines = ["Reported questions:" if card.groups else "No reports."]
    for g in card.groups:
        reasons = ", ".join(f"{reason} x{count}" for reason, count in g.reasons.items())
        state = " (hidden)" if g.hidden else ""
        lines.append(f"  {g.question_id}{state}: {g.count} report(s): {reasons}")
        lines += [f"      “{c}”" for c in g.comments]
    if card.flagged:
        lines.append("Flagged by their answers (key may be wrong):")
        lines += [health_line(h) for h in card.flagged]
    if card.hidden:
        lines.append(f"Hidden here: {', '.join(card.hidden)}. `unhide ID` shows one again.")
    return "\n".join(lines)
