"""CSV (or a spreadsheet saved as CSV): one question per row under a documented header.

Columns (case and spaces ignored, any order): `stem`, `a` … `f` (options), `answer` (letters: `b` or `a,c`) are
required; `id`, `task`, `difficulty`, `explanation_a` … `explanation_f`, `tags` (service tags, `;`-separated),
`source` (`;`-separated), `facts` and `refs` (one per line in the cell) and `verify` are optional. Commas,
semicolons and tabs are all accepted as the delimiter.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

from bot.formats.common import Draft, DraftOption, FormatError, split_list
from bot.models import LETTERS, Question

REQUIRED = ("stem", "a", "b", "answer")
OPTIONAL = (
    "id",
    "task",
    "difficulty",
    *LETTERS[2:],
    *(f"explanation_{letter}" for letter in LETTERS),
    "tags",
    "source",
    "facts",
    "refs",
    "verify",
)
HEADER = ["id", "task", "difficulty", "stem", *LETTERS, "answer", *(f"explanation_{x}" for x in LETTERS)]
HEADER += ["tags", "source", "facts", "refs", "verify"]
_ALIASES = {"question": "stem", "answers": "answer", "correct": "answer", "services": "tags", "category": "task"}
_LETTERS = re.compile(r"^[a-f](?:\s*[,;/ ]?\s*[a-f])*$")


def _column(name: str) -> str:
    key = re.sub(r"[\s-]+", "_", name.strip().lower())
    key = re.sub(r"^option_?([a-f])$", r"\1", key)
    key = re.sub(r"^explanation_?([a-f])$", r"explanation_\1", key)
    return _ALIASES.get(key, key)


def parse(text: str) -> list[Draft]:
    """Every row of a CSV file as a draft; a wrong header refuses the whole file."""
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [_column(c) for c in next(reader)]
    except StopIteration:
        raise FormatError(1, "the file is empty; the first line must be the header") from None
    except csv.Error as exc:
        raise FormatError(1, f"the header cannot be read: {exc}") from None
    unknown = [c for c in header if c and c not in REQUIRED and c not in OPTIONAL]
    missing = [c for c in REQUIRED if c not in header]
    if unknown or missing:
        said = []
        if missing:
            said.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            said.append(f"unknown column(s) {', '.join(unknown)}")
        raise FormatError(1, f"wrong header: {'; '.join(said)} (expected: {', '.join(HEADER)})", "header")
    repeated = sorted({c for c in header if c and header.count(c) > 1})
    if repeated:
        raise FormatError(1, f"wrong header: column(s) {', '.join(repeated)} appear twice", "header")
    drafts: list[Draft] = []
    line = reader.line_num + 1
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                drafts.append(_row(dict(zip(header, row, strict=False)), line, len(drafts) + 1, len(row), len(header)))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise FormatError(line, f"the row cannot be read: {exc}") from None
    return drafts


def _row(cells: dict[str, str], line: int, index: int, width: int, expected: int) -> Draft:
    def cell(name: str) -> str:
        return (cells.get(name) or "").strip()

    draft = Draft(line=line, label=cell("id") or f"row {index}", stem=cell("stem"), options=[], qid=cell("id"))
    if width > expected:
        draft.errors.append(f"the row has {width} cells; the header has {expected}")
    draft.task = cell("task") or None
    answer = cell("answer").lower()
    if answer and not _LETTERS.match(answer):
        draft.errors.append(f"answer {cell('answer')!r} is not option letters such as b or a,c")
    keys = set(re.sub(r"[^a-f]", "", answer))
    for letter in LETTERS:
        text = cell(letter)
        if text:
            draft.options.append(DraftOption(text, letter in keys, cell(f"explanation_{letter}") or None))
        elif letter in keys:
            draft.errors.append(f"the answer names {letter.upper()} but option {letter} is empty")
    present = [x for x in LETTERS if cell(x)]
    if present != list(LETTERS[: len(present)]):
        draft.errors.append("options must fill a, b, c … without gaps")
    difficulty = cell("difficulty")
    if difficulty:
        if difficulty in ("1", "2", "3"):
            draft.difficulty = int(difficulty)
        else:
            draft.warnings.append(f"difficulty {difficulty!r} is not 1, 2 or 3; the default was used")
    draft.services = split_list(cell("tags"))
    draft.source = split_list(cell("source"))
    draft.facts = split_list(cell("facts"), "\n")
    draft.refs = split_list(cell("refs"), "\n")
    draft.verify = cell("verify").lower() in ("true", "yes", "1", "y")
    return draft


def export(questions: Iterable[Question]) -> str:
    """Questions as CSV under the documented header (lists: tags and source `;`-separated, facts one per line)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for q in questions:
        texts = [o.text for o in q.options] + [""] * (len(LETTERS) - len(q.options))
        notes = [o.explanation for o in q.options] + [""] * (len(LETTERS) - len(q.options))
        writer.writerow(
            [
                *(q.id, q.task, q.difficulty, q.stem, *texts, ",".join(sorted(q.keys)), *notes),
                *("; ".join(q.services), "; ".join(q.source), "\n".join(q.facts), "\n".join(q.refs)),
                "true" if q.verify else "",
            ]
        )
    return out.getvalue()
