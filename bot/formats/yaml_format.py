"""Our own YAML question files: written exactly as the bank keeps them, and read back as drafts for uploads."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from bot.formats.common import Draft, DraftOption, FormatError
from bot.models import LETTERS, Question


def parse(text: str) -> list[Draft]:
    """Every question of one of our YAML files as a draft (missing explanations etc. become warnings later)."""
    yaml = YAML(typ="rt")
    try:
        data = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise FormatError(mark.line + 1 if mark else 0, f"YAML syntax: {exc.problem or exc.context}") from None
    except YAMLError as exc:
        raise FormatError(0, f"YAML: {exc}") from None
    if not isinstance(data, CommentedSeq):
        raise FormatError(1, "the file must be a YAML list of questions")
    return [_item(item, data.lc.item(i)[0] + 1, i + 1) for i, item in enumerate(data)]


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else ([str(value)] if value else [])


def _item(item: Any, line: int, index: int) -> Draft:
    if not isinstance(item, CommentedMap):
        return Draft(line=line, label=f"#{index}", stem="", options=[], errors=["each item must be a question mapping"])
    qid = str(item.get("id") or "") or None
    draft = Draft(line=line, label=qid or f"#{index}", stem=str(item.get("stem") or ""), options=[], qid=qid)
    answer = item.get("answer")
    keys = set(_strings(answer))
    for i, option in enumerate(item.get("options") or []):
        if isinstance(option, CommentedMap):
            explanation = option.get("explanation")
            draft.options.append(
                DraftOption(
                    str(option.get("text") or ""),
                    LETTERS[i] in keys if i < 6 else False,
                    explanation and str(explanation),
                )
            )
        else:
            draft.errors.append(f"option {i + 1} must be a mapping with text and explanation")
    known = {"id", "task", "difficulty", "services", "stem", "options", "answer", "source", "facts", "refs", "verify"}
    unknown = sorted(str(k) for k in item if k not in known)
    if unknown:
        draft.warnings.append(f"unknown field(s) {', '.join(unknown)} dropped")
    draft.task = str(item["task"]) if item.get("task") is not None else None
    difficulty = item.get("difficulty")
    draft.difficulty = difficulty if isinstance(difficulty, int) and 1 <= difficulty <= 3 else None
    draft.services = _strings(item.get("services"))
    draft.source = _strings(item.get("source"))
    draft.facts = _strings(item.get("facts"))
    draft.refs = _strings(item.get("refs"))
    draft.verify = item.get("verify") is True
    return draft


def export(questions: Iterable[Question]) -> str:
    """Questions as one of our YAML files (every text double-quoted, so no YAML reader mistypes it)."""
    yaml = YAML(typ="rt")
    yaml.width = 120
    yaml.indent(mapping=2, sequence=2, offset=0)
    items = CommentedSeq()
    for q in questions:
        data = q.model_dump(exclude_defaults=True)
        data["task"] = q.task
        data["stem"] = DoubleQuotedScalarString(q.stem)
        data["options"] = [
            {"text": DoubleQuotedScalarString(o.text), "explanation": DoubleQuotedScalarString(o.explanation)}
            for o in q.options
        ]
        order = ["id", "task", "difficulty", "services", "stem", "options", "answer", "source", "facts", "refs"]
        items.append(CommentedMap((k, data[k]) for k in [*order, "verify"] if k in data))
    out = io.StringIO()
    yaml.dump(items, out)
    return out.getvalue()
