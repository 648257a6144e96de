"""Load and validate a question bank folder (`exam.yaml` + one YAML file per task) and pick questions from it."""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from bot.models import Domain, Exam, Question, Task

MANIFEST = "exam.yaml"
TEXT_FIELDS = ("stem",)
OPTION_TEXT_FIELDS = ("text", "explanation")
# YAML 1.1 readers (PyYAML, many editors) turn these plain words into booleans; quoting keeps every reader agreed.
_BOOLEAN_WORDS = {"yes", "no", "on", "off", "y", "n", "true", "false"}
# Share of shared word pairs (Jaccard) above which two questions read as the same question.
NEAR_DUPLICATE_OVERLAP = 0.5
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in a bank file, printed as `file:line: question-id: message`."""

    file: str
    line: int
    qid: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.qid}: {self.message}"


class BankError(Exception):
    """A bank that cannot be used; carries every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Bank:
    """A validated bank: the exam manifest and its questions in file order."""

    exam: Exam
    questions: dict[str, Question]
    root: Path
    files: dict[str, str] = field(default_factory=dict)

    def get(self, question_id: str) -> Question | None:
        """The question with this id, or None."""
        return self.questions.get(question_id)

    def select(self, domain: str | None = None, task: str | None = None) -> list[Question]:
        """Questions filtered by domain id and/or task id."""
        return [
            q
            for q in self.questions.values()
            if (domain is None or q.domain_id == domain) and (task is None or q.task == task)
        ]

    def pick(
        self,
        count: int,
        rng: random.Random,
        domain: str | None = None,
        task: str | None = None,
        avoid: Iterable[str] = (),
    ) -> list[Question]:
        """Up to `count` random questions, preferring ones not in `avoid`."""
        pool = self.select(domain, task)
        avoided = set(avoid)
        fresh = [q for q in pool if q.id not in avoided]
        seen = [q for q in pool if q.id in avoided]
        rng.shuffle(fresh)
        rng.shuffle(seen)
        return (fresh + seen)[:count]

    def visible_in(self, view: Bank) -> Bank:
        """This bank's questions that `view` (a server's bank, minus hidden questions) also shows."""
        return Bank(self.exam, {k: q for k, q in self.questions.items() if k in view.questions}, self.root, self.files)

    def resolve_domain(self, text: str) -> Domain | None:
        """A domain by id (`2`), slug or a unique prefix of its name (`security`)."""
        wanted = text.strip().lower()
        exact = [d for d in self.exam.domains if wanted in (d.id, d.slug.lower(), d.name.lower())]
        if exact:
            return exact[0]
        prefixed = [d for d in self.exam.domains if wanted and d.name.lower().startswith(wanted)]
        return prefixed[0] if len(prefixed) == 1 else None

    def resolve_task(self, text: str) -> Task | None:
        """A task by id (`1.2`), slug (`1.2-lambda`) or the slug's name part (`lambda`)."""
        wanted = text.strip().lower()
        for task in self.exam.tasks:
            if wanted in (task.id, task.slug.lower(), task.slug.lower().split("-", 1)[-1]):
                return task
        return None


def default_bank_dir() -> Path:
    """The DVA-C02 bank shipped inside the installed package."""
    return Path(str(resources.files("questions"))) / "dva-c02"


def load_bank(root: Path) -> Bank:
    """Load a bank folder, raising BankError with every problem when anything is wrong."""
    bank, problems = _read_bank(root)
    if problems or bank is None:
        raise BankError(problems)
    return bank


def validate_paths(paths: Sequence[Path]) -> list[Problem]:
    """Every problem in the given bank folders or question files (a file is checked against its folder's manifest)."""
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            problems += _read_bank(path)[1]
            problems += near_duplicates(path)
        elif path.is_file():
            problems += _read_bank(path.parent, only=path)[1]
        else:
            problems.append(Problem(str(path), 0, "-", "no such file or folder"))
    return sorted(set(problems))


def near_duplicates(root: Path) -> list[Problem]:
    """Pairs of questions anywhere in the bank whose stem and options share most of their word pairs."""
    try:
        bank = load_bank(root)
    except BankError:
        return []
    problems: list[Problem] = []
    items = [(q, _shingles(q)) for q in bank.questions.values()]
    for i, (a, sa) in enumerate(items):
        for b, sb in items[i + 1 :]:
            union = len(sa | sb)
            overlap = len(sa & sb) / union if union else 0.0
            if overlap >= NEAR_DUPLICATE_OVERLAP:
                message = f"reads almost the same as {a.id} ({overlap:.0%} shared word pairs)"
                problems.append(Problem(bank.files[b.id], 0, b.id, message))
    return problems


def _shingles(q: Question) -> frozenset[tuple[str, str]]:
    words = _WORD.findall(" ".join([q.stem, *sorted(o.text for o in q.options)]).lower())
    return frozenset(itertools.pairwise(words))


def _read_bank(root: Path, only: Path | None = None) -> tuple[Bank | None, list[Problem]]:
    manifest_path = root / MANIFEST
    exam, problems = _read_manifest(manifest_path)
    if exam is None:
        return None, problems
    questions: dict[str, Question] = {}
    files: dict[str, str] = {}
    question_files = sorted(p for p in root.glob("*.yaml") if p.name != MANIFEST)
    for path in question_files:
        found, file_problems = _read_question_file(path, exam)
        if only is None or path.resolve() == only.resolve():
            problems += file_problems
        for line, question in found:
            if question.id in questions:
                if only is None or path.resolve() == only.resolve():
                    problems.append(
                        Problem(str(path), line, question.id, f"duplicate id (first in {files[question.id]})")
                    )
                continue
            questions[question.id] = question
            files[question.id] = str(path)
    if not question_files and only is None:
        problems.append(Problem(str(root), 0, "-", "no question files next to exam.yaml"))
    return Bank(exam, questions, root, files), problems


def _read_manifest(path: Path) -> tuple[Exam | None, list[Problem]]:
    data, problems = _parse_yaml(path)
    if problems:
        return None, problems
    try:
        return Exam.model_validate(_plain(data)), []
    except ValidationError as exc:
        return None, [Problem(str(path), _line_of(data, err["loc"]), "exam", _message(err)) for err in exc.errors()]


def _read_question_file(path: Path, exam: Exam) -> tuple[list[tuple[int, Question]], list[Problem]]:
    data, problems = _parse_yaml(path)
    if problems:
        return [], problems
    if not isinstance(data, CommentedSeq):
        return [], [Problem(str(path), 1, "-", "the file must be a YAML list of questions")]
    found: list[tuple[int, Question]] = []
    for index, item in enumerate(data):
        line = data.lc.item(index)[0] + 1
        if not isinstance(item, CommentedMap):
            problems.append(Problem(str(path), line, f"#{index + 1}", "each list item must be a question mapping"))
            continue
        qid = str(item.get("id", f"#{index + 1}"))
        item_problems = [Problem(str(path), ln, qid, msg) for ln, msg in _text_field_problems(item)]
        question: Question | None = None
        try:
            question = Question.model_validate(_plain(item))
        except ValidationError as exc:
            item_problems += [
                Problem(str(path), _line_of(item, e["loc"], line), qid, _message(e)) for e in exc.errors()
            ]
        if question is not None:
            item_problems += [Problem(str(path), line, qid, msg) for msg in _manifest_problems(question, exam, path)]
        problems += item_problems
        if question is not None and not item_problems:
            found.append((line, question))
    return found, problems


def _manifest_problems(q: Question, exam: Exam, path: Path) -> list[str]:
    task = exam.task(q.task)
    if task is None:
        return [f"unknown task {q.task!r} (the manifest has {', '.join(t.id for t in exam.tasks)})"]
    problems = []
    if not q.id.startswith(task.slug + "-"):
        problems.append(f"id must start with its task's slug {task.slug!r}")
    if path.stem != task.slug:
        problems.append(f"task {q.task} questions belong in {task.slug}.yaml")
    unknown = [s for s in q.services if s not in exam.services]
    if unknown:
        problems.append(f"unknown service tag(s) {', '.join(unknown)} (see services in exam.yaml)")
    if exam.sources:
        strangers = [s for s in q.source if s not in exam.sources]
        if strangers:
            problems.append(f"unknown source file(s) {', '.join(strangers)}")
    return problems


def _text_field_problems(item: CommentedMap) -> list[tuple[int, str]]:
    """Text that YAML typed as something else, or that a YAML 1.1 reader would turn into a boolean."""
    found: list[tuple[int, str]] = []
    checks: list[tuple[CommentedMap, str, str]] = [(item, f, f) for f in TEXT_FIELDS if f in item]
    options = item.get("options")
    if isinstance(options, CommentedSeq):
        for i, opt in enumerate(options):
            if isinstance(opt, CommentedMap):
                checks += [(opt, f, f"options[{i}].{f}") for f in OPTION_TEXT_FIELDS if f in opt]
    for node, key, label in checks:
        value = node[key]
        line = node.lc.key(key)[0] + 1
        if value is None:
            found.append((line, f"{label} is empty"))
        elif not isinstance(value, str):
            found.append((line, f"{label} was read as {type(value).__name__} {value!r}; quote the text"))
        elif type(value) is str and value.strip().lower() in _BOOLEAN_WORDS:
            found.append((line, f"{label} is the bare word {value!r}, a boolean in YAML 1.1; quote it"))
    return found


def _parse_yaml(path: Path) -> tuple[Any, list[Problem]]:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(str(path), 0, "-", f"cannot read: {exc}")]
    try:
        return yaml.load(text), []
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        return None, [Problem(str(path), line, "-", f"YAML syntax: {exc.problem or exc.context}")]
    except YAMLError as exc:
        return None, [Problem(str(path), 0, "-", f"YAML: {exc}")]


def _plain(node: Any) -> Any:
    """ruamel's round-trip types as plain dicts, lists and str."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return node


def _line_of(node: Any, loc: tuple[int | str, ...], default: int = 0) -> int:
    """The line of the deepest part of `loc` that the YAML tree knows."""
    line = default
    for part in loc:
        try:
            if isinstance(node, CommentedMap) and part in node:
                line = node.lc.key(part)[0] + 1
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
                line = node.lc.item(part)[0] + 1
            else:
                break
            node = node[part]
        except (KeyError, IndexError, TypeError, AttributeError):
            break
    return line


def _message(error: Any) -> str:
    where = ""
    for part in error["loc"]:
        if isinstance(part, int):
            where += f"[{part}]"
        elif not str(part).startswith(("function-after", "list[", "str", "constrained")):
            where += f".{part}" if where else str(part)
    msg = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "missing":
        return f"missing required field {where}"
    if error["type"] == "extra_forbidden":
        return f"unknown field {where}"
    return f"{where}: {msg}" if where else msg
