"""GIFT, Moodle's plain-text question format: `::title:: stem {=right #feedback ~wrong #feedback}`.

Supported: multiple choice (`=` right, `~` wrong), multiple response (`~%50%` weights; positive weights are the
keys), true/false (`{T}`, `{FALSE#wrong feedback#right feedback}`), per-answer `#` feedback, `$CATEGORY:` lines,
`//` comments, `[html]`/`[markdown]`/`[plain]` text formats and the escapes `\\~ \\= \\# \\{ \\} \\: \\\\ \\n`.
Short answer, matching, numeric and essay questions have no place in our model and are reported, not imported.
Our exporter writes one `// quizbot: {json}` comment before each question with the fields GIFT has no room for.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.formats.common import Draft, DraftOption, FormatError, html_to_text
from bot.models import Question

META = "// quizbot:"
_ESCAPED = "~=#{}:\\"
_WEIGHT = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
_FORMAT = re.compile(r"^\[(html|markdown|plain|moodle)\]", re.IGNORECASE)
_TRUE = {"T": True, "TRUE": True, "F": False, "FALSE": False}


@dataclass
class _Chunk:
    line: int
    text: str
    category: str | None
    meta: dict[str, object]


def parse(text: str) -> list[Draft]:
    """Every question of a GIFT file as a draft."""
    return [_question(chunk, index) for index, chunk in enumerate(_chunks(text), start=1)]


def _chunks(text: str) -> Iterable[_Chunk]:
    """Questions separated by blank lines (a blank line inside an open `{…}` does not end one)."""
    category: str | None = None
    meta: dict[str, object] = {}
    lines: list[str] = []
    start = 0
    for number, raw in enumerate([*text.splitlines(), ""], start=1):
        stripped = raw.strip()
        if stripped.startswith(META):
            try:
                found = json.loads(stripped[len(META) :])
            except ValueError:
                raise FormatError(number, "the quizbot comment is not valid JSON") from None
            if not isinstance(found, dict):
                raise FormatError(number, "the quizbot comment must hold a JSON object")
            meta = found
            continue
        if stripped.startswith("//"):
            continue
        if not lines and stripped.upper().startswith("$CATEGORY:"):
            category = stripped.split(":", 1)[1].strip() or None
            continue
        if stripped or (lines and _open_brace(lines)):
            if not lines:
                start = number
            lines.append(raw)
            continue
        if lines:
            yield _Chunk(start, "\n".join(lines), category, meta)
            lines, meta = [], {}
    if lines:  # pragma: no cover - the sentinel blank line above always flushes
        yield _Chunk(start, "\n".join(lines), category, meta)


def _open_brace(lines: list[str]) -> bool:
    depth = 0
    text = "\n".join(lines)
    i = 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        i += 1
    return depth > 0


def _find_unescaped(text: str, char: str, start: int = 0) -> int:
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == char:
            return i
        i += 1
    return -1


def unescape(text: str) -> str:
    """GIFT escapes undone (`\\n` becomes a newline)."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append("\n" if nxt == "n" else nxt)
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def escape(text: str) -> str:
    """Text safe inside GIFT: the special characters escaped, newlines as `\\n`."""
    out = "".join("\\" + c if c in _ESCAPED else c for c in text)
    if out.startswith("%"):  # a leading %N% would read as an answer weight
        out = "\\" + out
    return out.replace("\r\n", "\n").replace("\n", "\\n")


def _question(chunk: _Chunk, index: int) -> Draft:
    text = chunk.text.strip()
    title = None
    if text.startswith("::"):
        end = _find_unescaped(text, ":", 2)
        while end != -1 and not text.startswith("::", end):
            end = _find_unescaped(text, ":", end + 1)
        if end == -1:
            raise FormatError(chunk.line, "the title has no closing '::'", f"#{index}")
        title, text = unescape(text[2:end]).strip(), text[end + 2 :].strip()
    label = title or f"#{index}"
    draft = Draft(line=chunk.line, label=label, stem="", options=[], qid=title, category=chunk.category)
    _apply_meta(draft, chunk.meta)
    opening = _find_unescaped(text, "{")
    closing = _find_unescaped(text, "}", opening + 1) if opening != -1 else -1
    if opening == -1 or closing == -1:
        what = "no answer block '{…}'" if opening == -1 else "the answer block has no closing '}'"
        raise FormatError(chunk.line, what, label)
    before, body, after = text[:opening], text[opening + 1 : closing], text[closing + 1 :]
    draft.stem = _stem(before, after, draft)
    _answers(body, draft)
    return draft


def _stem(before: str, after: str, draft: Draft) -> str:
    fmt = _FORMAT.match(before.strip())
    raw = before.strip()
    kind = "plain"
    if fmt:
        kind = fmt.group(1).lower()
        raw = raw[fmt.end() :]
    if after.strip():
        raw = f"{raw.rstrip()} _____ {after.strip()}"
        draft.warnings.append("a missing-word question: the gap is shown as _____")
    stem = unescape(raw).strip()
    if kind == "html":
        stem = html_to_text(stem)
    return stem


def _tokens(body: str) -> list[tuple[str, str]]:
    """(marker, raw text) pieces of an answer block; markers are `=`, `~`, `#`, `####` or '' for leading text."""
    tokens: list[tuple[str, str]] = []
    marker, buffer, i = "", [], 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            buffer.append(body[i : i + 2])
            i += 2
            continue
        if char in "=~#":
            if marker or "".join(buffer).strip():
                tokens.append((marker, "".join(buffer)))
            marker = "####" if body.startswith("####", i) else char
            i += len(marker)
            buffer = []
            continue
        buffer.append(char)
        i += 1
    if marker or "".join(buffer).strip():
        tokens.append((marker, "".join(buffer)))
    return tokens


def _answers(body: str, draft: Draft) -> None:
    stripped = body.strip()
    if not stripped:
        draft.skipped = "an essay question (empty answer block) has no options"
        return
    if stripped.startswith("#") and not stripped.startswith("####"):
        draft.skipped = "a numeric question has no options"
        return
    tokens = _tokens(body)
    if tokens and tokens[0][0] == "" and tokens[0][1].strip().upper() in _TRUE:
        _true_false(tokens, draft)
        return
    weights: list[float | None] = []
    for marker, raw in tokens:
        if marker in ("=", "~"):
            value = raw.strip()
            weight = _WEIGHT.match(value)
            if weight:
                value = value[weight.end() :]
            draft.options.append(DraftOption(unescape(value).strip(), marker == "="))
            weights.append(float(weight.group(1)) if weight else None)
        elif marker == "#" and draft.options:
            draft.options[-1].explanation = unescape(raw).strip()
        elif marker == "####":
            draft.warnings.append("general feedback dropped (our explanations belong to each option)")
        elif raw.strip():
            draft.errors.append(f"text {raw.strip()!r} in the answer block is not an answer")
    markers = {marker for marker, _ in tokens if marker in ("=", "~")}
    if markers == {"="} and all("->" in o.text for o in draft.options):
        draft.skipped = "a matching question has no place in our model"
        return
    _keys(draft, weights)


def _keys(draft: Draft, weights: list[float | None]) -> None:
    rights = [o for o in draft.options if o.correct]
    if rights and len(rights) == len(draft.options):
        draft.skipped = "a short-answer question (only '=' answers) has no wrong options"
        return
    if rights:
        partial = [
            f"{draft_letter(i)} {w:g}%" for i, w in enumerate(weights) if w and w > 0 and not draft.options[i].correct
        ]
        if partial:
            draft.warnings.append(f"partial credit dropped ({', '.join(partial)}); scoring is all-or-nothing")
        return
    positive = [i for i, w in enumerate(weights) if w is not None and w > 0]
    for i in positive:
        draft.options[i].correct = True
    if len({weights[i] for i in positive}) > 1:
        draft.warnings.append("unequal answer weights dropped; all keys must be chosen (all-or-nothing)")


def draft_letter(index: int) -> str:
    """The letter of the option at `index`."""
    return "abcdef"[index] if index < 6 else f"#{index + 1}"


def _true_false(tokens: list[tuple[str, str]], draft: Draft) -> None:
    truth = _TRUE[tokens[0][1].strip().upper()]
    feedback = [unescape(raw).strip() for marker, raw in tokens[1:] if marker == "#"]
    # GIFT: the first feedback is shown for a wrong answer, the second for a right one.
    wrong, right = [*feedback, "", ""][:2]
    draft.options = [
        DraftOption("True", truth, (right if truth else wrong) or None),
        DraftOption("False", not truth, (wrong if truth else right) or None),
    ]


def _apply_meta(draft: Draft, meta: dict[str, object]) -> None:
    def strings(key: str) -> list[str]:
        value = meta.get(key)
        return [str(v) for v in value] if isinstance(value, list) else []

    if isinstance(meta.get("task"), str):
        draft.task = str(meta["task"])
    difficulty = meta.get("difficulty")
    if isinstance(difficulty, int):
        draft.difficulty = difficulty
    draft.services = strings("services")
    draft.source = strings("source")
    draft.facts = strings("facts")
    draft.refs = strings("refs")
    draft.verify = meta.get("verify") is True


def export(questions: Iterable[Question]) -> str:
    """Questions as GIFT, grouped under `$CATEGORY: <task slug>` lines, every option with its feedback."""
    out: list[str] = []
    category = None
    for q in questions:
        if q.task != category:
            category = q.task
            out.append(f"$CATEGORY: {q.task}\n")
        meta = {
            "task": q.task,
            "difficulty": q.difficulty,
            "services": q.services,
            "source": q.source,
            "facts": q.facts,
            "refs": q.refs,
            "verify": q.verify,
        }
        out.append(META + " " + json.dumps(meta, ensure_ascii=False, separators=(",", ":")))
        out.append(f"::{escape(q.id)}:: {escape(q.stem)} {{")
        multi = q.choose > 1
        share = _share(q.choose)
        for letter, option in zip(q.letters, q.options, strict=True):
            right = letter in q.keys
            mark = (f"~%{share}%" if right else "~%-100%") if multi else ("=" if right else "~")
            out.append(f"\t{mark}{escape(option.text)} #{escape(option.explanation)}")
        out.append("}\n")
    return "\n".join(out)


def _share(keys: int) -> str:
    """Moodle accepts only its own list of weights; 33.33333 and 20 are on it."""
    return {2: "50", 3: "33.33333", 4: "25", 5: "20"}.get(keys, "50")
