"""An Anki import file: tab-separated notes (front, back, tags) with the header lines Anki 2.1.54+ reads.

Front: the question and its lettered options. Back: the key and every option's explanation. Tags: exam, domain and
task (`dva-c02::domain-1::task-1.2`) plus the service tags, so a deck can be filtered by any of them.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from bot.models import Exam, Question


def _cell(text: str) -> str:
    return html.escape(text).replace("\t", " ").replace("\r\n", "\n").replace("\n", "<br>")


def export(questions: Iterable[Question], exam: Exam) -> str:
    """Questions as an Anki text import: one note per question, the question id as its GUID."""
    lines = ["#separator:tab", "#html:true", "#guid column:1", "#tags column:4"]
    for q in questions:
        front = (
            _cell(q.stem)
            + "<br><br>"
            + "<br>".join(
                f"<b>{letter.upper()}.</b> {_cell(o.text)}" for letter, o in zip(q.letters, q.options, strict=True)
            )
        )
        key = ", ".join(letter.upper() for letter in sorted(q.keys))
        back = f"<b>Answer: {key}</b><br><br>" + "<br>".join(
            f"{'✓' if letter in q.keys else '✗'} <b>{letter.upper()}.</b> {_cell(o.explanation)}"
            for letter, o in zip(q.letters, q.options, strict=True)
        )
        tags = [f"{exam.id}::domain-{q.domain_id}::task-{q.task}", *(f"{exam.id}::service::{s}" for s in q.services)]
        lines.append("\t".join([q.id, front, back, " ".join(tags)]))
    return "\n".join(lines) + "\n"
