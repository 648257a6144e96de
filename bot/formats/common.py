"""What every importer shares: the draft a parser extracts, the report lines, and turning drafts into questions.

A parser reads one file into `Draft`s (and whole-file `FormatError`s); `build` checks each draft and turns it into
a `Question`. Anything a format carries that our model cannot hold becomes a warning naming the question; anything
that makes a question unusable becomes an error, and a file with any error imports nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser

from pydantic import ValidationError

from bot.models import LETTERS, Exam, Option, Question, Task, stated_choose_count

MAX_BYTES = 2_000_000  # a bank file far larger than any real one is refused before parsing
MAX_OPTIONS = len(LETTERS)
NO_EXPLANATION = "No explanation was given in the imported file."
DEFAULT_SERVICE = "general"
DEFAULT_DIFFICULTY = 2
CHOOSE_WORDS = {2: "two", 3: "three", 4: "four", 5: "five"}
_ID = re.compile(r"^[a-z0-9.-]+-\d{4}$")


class FormatError(Exception):
    """A file that cannot be read at all (size, encoding, syntax); nothing is imported from it."""

    def __init__(self, line: int, message: str, label: str = "-") -> None:
        super().__init__(message)
        self.line = line
        self.label = label
        self.message = message


@dataclass(frozen=True, order=True)
class Note:
    """One report line about an import: an error (nothing imported) or a warning (imported, something not kept)."""

    line: int
    label: str
    message: str
    error: bool = False

    def render(self, file: str) -> str:
        """`file:line: question: message`, the same shape as `quizbot validate` prints."""
        kind = "" if self.error else "warning: "
        return f"{file}:{self.line}: {self.label}: {kind}{self.message}"


@dataclass
class DraftOption:
    """An option as a file states it."""

    text: str
    correct: bool
    explanation: str | None = None


@dataclass
class Draft:
    """A question as a parser found it, before it is checked against our model."""

    line: int
    label: str
    stem: str
    options: list[DraftOption]
    qid: str | None = None
    category: str | None = None
    task: str | None = None
    difficulty: int | None = None
    services: list[str] = field(default_factory=list)
    source: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)
    verify: bool = False
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: str | None = None  # why a question of a kind we cannot hold is left out (reported, never silent)


@dataclass
class ImportContext:
    """What an import maps onto: the exam's tasks, a category → task mapping, a default task and ids in use."""

    exam: Exam
    default_task: str | None = None
    categories: dict[str, str] = field(default_factory=dict)
    taken: set[str] = field(default_factory=set)
    source: str = "imported"
    first_number: int = 0  # new ids count up from here (server banks start high, clear of the shipped bank's)


@dataclass
class ImportResult:
    """The questions of one file (empty when any error was found) and every report line."""

    file: str
    questions: list[Question]
    notes: list[Note]

    @property
    def ok(self) -> bool:
        """True when nothing stopped the import."""
        return not any(n.error for n in self.notes)

    @property
    def errors(self) -> list[Note]:
        """The notes that stopped the import."""
        return [n for n in self.notes if n.error]

    @property
    def warnings(self) -> list[Note]:
        """What was imported with something left out or filled in."""
        return [n for n in self.notes if not n.error]

    def lines(self) -> list[str]:
        """Every note as a report line, in file order."""
        return [n.render(self.file) for n in sorted(self.notes)]


def decode(data: bytes) -> str:
    """The text of an uploaded file: refused when too large or not UTF-8 (the line of the first bad byte named)."""
    if len(data) > MAX_BYTES:
        raise FormatError(0, f"the file has {len(data):,} bytes; the limit is {MAX_BYTES:,}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FormatError(line, f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8") from None


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment: paragraphs and breaks become newlines; images and links stay as links."""
    parser = _TextParser()
    parser.feed(markup)
    parser.close()
    lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in "".join(parser.parts).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._href: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "br":
            self.parts.append("\n")
        elif tag == "img":
            self.parts.append(f"[{found.get('alt') or 'image'}]({found.get('src') or ''})")
        elif tag == "a":
            self._href.append(found.get("href"))
            self.parts.append("[")
        elif tag == "li":
            self.parts.append("\n- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("p", "div", "ul", "ol", "pre", "h1", "h2", "h3", "h4", "h5", "h6"):
            self.parts.append("\n")
        elif tag == "a":
            href = self._href.pop() if self._href else None
            self.parts.append(f"]({href})" if href else "]")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def resolve_task(exam: Exam, hint: str | None, categories: dict[str, str]) -> Task | None:
    """The exam task a category or task hint names: through the mapping, then by id or slug (last path part)."""
    if not hint:
        return None
    hint = hint.strip()
    candidates = [categories.get(hint), hint, hint.rstrip("/").rsplit("/", 1)[-1]]
    for candidate in candidates:
        if not candidate:
            continue
        wanted = candidate.strip().lower()
        for task in exam.tasks:
            if wanted in (task.id, task.slug.lower(), task.slug.lower().split("-", 1)[-1]):
                return task
    return None


def build(drafts: Iterable[Draft], ctx: ImportContext) -> tuple[list[Question], list[Note]]:
    """Check every draft and turn it into a question; with any error, no question is returned."""
    questions: list[Question] = []
    notes: list[Note] = []
    used = set(ctx.taken)
    seen_ids: dict[str, int] = {}
    counters = {task.slug: ctx.first_number for task in ctx.exam.tasks}
    for draft in drafts:
        if draft.skipped:
            notes.append(Note(draft.line, draft.label, f"not imported: {draft.skipped}"))
            continue
        question, draft_notes = _build_one(draft, ctx, used, seen_ids, counters)
        notes += draft_notes
        if question is not None:
            questions.append(question)
            used.add(question.id)
    if any(n.error for n in notes):
        return [], notes
    return questions, notes


def _build_one(
    draft: Draft, ctx: ImportContext, used: set[str], seen_ids: dict[str, int], counters: dict[str, int]
) -> tuple[Question | None, list[Note]]:
    errors = list(draft.errors)
    warnings = list(draft.warnings)
    task = resolve_task(ctx.exam, draft.task, ctx.categories) if draft.task else None
    if task is None:
        task = resolve_task(ctx.exam, draft.category, ctx.categories)
    if task is None and ctx.default_task:
        task = resolve_task(ctx.exam, ctx.default_task, {})
        if draft.category:
            warnings.append(f"category {draft.category!r} is not mapped to a task; put in task {ctx.default_task}")
    if task is None:
        where = f"category {draft.category!r}" if draft.category else "no category"
        errors.append(f"{where} names no task of the exam; map it in a mapping file or give a default task")
    stem = draft.stem.strip()
    if not stem:
        errors.append("the question has no text")
    options = draft.options
    if len(options) > MAX_OPTIONS:
        errors.append(f"{len(options)} options; a question has at most {MAX_OPTIONS}")
    elif len(options) < 2:
        errors.append(f"{len(options)} option(s); a question needs at least two")
    empty = [LETTERS[i] for i, o in enumerate(options[:MAX_OPTIONS]) if not o.text.strip()]
    if empty:
        errors.append(f"option(s) {', '.join(empty)} have no text")
    keys = [LETTERS[i] for i, o in enumerate(options[:MAX_OPTIONS]) if o.correct]
    if not keys:
        errors.append("no correct option")
    elif len(keys) > 1 and len(keys) >= len(options):
        errors.append("every option is marked correct; a choose-N question needs at least one wrong option")
    stated = stated_choose_count(stem)
    if len(keys) > 1 and not errors:
        if stated == 0:
            stem = f"{stem} (Choose {CHOOSE_WORDS[len(keys)]}.)"
            warnings.append(f"{len(keys)} correct options: added '(Choose {CHOOSE_WORDS[len(keys)]}.)' to the text")
        elif stated != len(keys):
            errors.append(f"the text says choose {stated} but {len(keys)} options are marked correct")
    elif len(keys) == 1 and stated:
        errors.append(f"the text says choose {stated} but only one option is marked correct")
    if errors or task is None:
        return None, _notes(draft, errors, warnings)
    missing = [LETTERS[i] for i, o in enumerate(options) if not (o.explanation or "").strip()]
    filled = []
    if missing:
        filled.append(f"explanation of {', '.join(missing)}")
    services = [s.strip().lower() for s in draft.services if s.strip()] or [DEFAULT_SERVICE]
    if not draft.services:
        filled.append(f"services ({DEFAULT_SERVICE})")
    source = draft.source or [ctx.source]
    if not draft.source:
        filled.append("source (the file name)")
    if filled:
        warnings.append("not in the file, filled in: " + "; ".join(filled))
    unknown = [s for s in services if s != DEFAULT_SERVICE and s not in ctx.exam.services]
    if unknown:
        warnings.append(f"service tag(s) {', '.join(unknown)} are not in the exam's list")
    qid = _question_id(draft, task, used, seen_ids, counters, warnings, errors)
    if qid is None:
        return None, _notes(draft, errors, warnings)
    try:
        question = Question(
            id=qid,
            task=task.id,
            difficulty=draft.difficulty or DEFAULT_DIFFICULTY,
            services=list(dict.fromkeys(services)),
            stem=stem,
            options=[
                Option(text=o.text.strip(), explanation=(o.explanation or "").strip() or NO_EXPLANATION)
                for o in options
            ],
            answer=keys if len(keys) > 1 else keys[0],
            source=source,
            facts=draft.facts,
            refs=draft.refs,
            verify=draft.verify,
        )
    except ValidationError as exc:
        errors += [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}".lstrip(": ") for e in exc.errors()]
        return None, _notes(draft, errors, warnings)
    return question, _notes(draft, errors, warnings, question.id)


def _question_id(
    draft: Draft,
    task: Task,
    used: set[str],
    seen_ids: dict[str, int],
    counters: dict[str, int],
    warnings: list[str],
    errors: list[str],
) -> str | None:
    wanted = (draft.qid or "").strip()
    if wanted and _ID.match(wanted) and wanted.startswith(task.slug + "-"):
        if wanted in seen_ids:
            errors.append(f"duplicate id {wanted} (first at line {seen_ids[wanted]})")
            return None
        seen_ids[wanted] = draft.line
        if wanted not in used:
            return wanted
        warnings.append(f"id {wanted} is already in use")
    elif wanted:
        warnings.append(f"title {wanted!r} is not a question id of task {task.id}; a new id was given")
    number = counters.get(task.slug, 0)
    while True:
        number += 1
        candidate = f"{task.slug}-{number:04d}"
        if candidate not in used and candidate not in seen_ids:
            counters[task.slug] = number
            if wanted and wanted in used:
                warnings[-1] += f"; imported as {candidate}"
            return candidate


def _notes(draft: Draft, errors: list[str], warnings: list[str], label: str | None = None) -> list[Note]:
    name = label or draft.label
    return [Note(draft.line, name, m, error=True) for m in errors] + [Note(draft.line, name, m) for m in warnings]


def split_list(text: str, separators: str = ";,\n") -> list[str]:
    """A cell or field holding several values, split on any of `separators`."""
    return [part.strip() for part in re.split(f"[{re.escape(separators)}]", text) if part.strip()]
