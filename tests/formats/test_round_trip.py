"""Ours → GIFT / CSV / YAML → ours loses nothing; the exporters' output is what each tool expects."""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.bank import Bank
from bot.formats import ImportContext, export, import_bytes
from bot.models import LETTERS, Option, Question, stated_choose_count

_TEXT = st.text(
    alphabet=st.characters(categories=("L", "N", "P", "S", "Zs"), include_characters="\n~=#{}:\\%,;\"'<>&"),
    min_size=1,
    max_size=60,
).filter(lambda t: bool(t.strip()) and t == t.strip() and "\n\n" not in t)


@st.composite
def questions(draw: st.DrawFn) -> Question:
    count = draw(st.integers(2, 6))
    keys = draw(st.integers(1, min(5, count - 1)))
    stem = draw(_TEXT.filter(lambda t: stated_choose_count(t) == 0 and not t.startswith("[")))
    if keys > 1:
        stem += f" (Choose {['', '', 'two', 'three', 'four', 'five'][keys]}.)"
    letters = draw(st.permutations(LETTERS[:count]))[:keys]
    return Question(
        id=f"1.2-lambda-{draw(st.integers(1, 9999)):04d}",
        task="1.2",
        difficulty=draw(st.integers(1, 3)),
        services=draw(st.lists(st.sampled_from(["lambda", "s3", "sqs"]), min_size=1, max_size=3, unique=True)),
        stem=stem,
        options=[Option(text=draw(_TEXT), explanation=draw(_TEXT)) for _ in range(count)],
        answer=sorted(letters) if keys > 1 else letters[0],
        source=["notes.txt"],
        facts=draw(st.lists(_TEXT.filter(lambda t: "\n" not in t and ";" not in t), max_size=2)),
        refs=[],
        verify=draw(st.booleans()),
    )


def _round_trip(bank: Bank, items: list[Question], fmt: str) -> list[Question]:
    text = export(items, fmt, bank.exam)
    result = import_bytes(text.encode(), fmt, ImportContext(bank.exam), f"out.{fmt}")
    assert result.ok, result.lines()
    assert result.warnings == [], result.lines()
    return result.questions


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(item=questions())
def test_gift_round_trip_keeps_every_field(bank: Bank, item: Question) -> None:
    assert _round_trip(bank, [item], "gift") == [item]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(item=questions())
def test_csv_round_trip_keeps_every_field(bank: Bank, item: Question) -> None:
    assert _round_trip(bank, [item], "csv") == [item]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(item=questions())
def test_yaml_round_trip_keeps_every_field(bank: Bank, item: Question) -> None:
    assert _round_trip(bank, [item], "yaml") == [item]


def test_the_whole_mini_bank_round_trips_through_each_format(bank: Bank) -> None:
    items = list(bank.questions.values())
    for fmt in ("gift", "csv", "yaml"):
        assert _round_trip(bank, items, fmt) == items, fmt


def test_yaml_export_is_a_valid_bank_file(bank: Bank, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot.bank import validate_paths

    root = tmp_path / "bank"
    root.mkdir()
    (root / "exam.yaml").write_text((bank.root / "exam.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    for slug in ("1.1-app-code", "2.1-authn-authz"):
        items = [q for q in bank.questions.values() if q.id.startswith(slug)]
        (root / f"{slug}.yaml").write_text(export(items, "yaml", bank.exam), encoding="utf-8")
    assert [str(p) for p in validate_paths([root])] == []


def test_csv_export_has_the_documented_header(bank: Bank) -> None:
    rows = list(csv.reader(io.StringIO(export(bank.questions.values(), "csv", bank.exam))))
    assert rows[0][:5] == ["id", "task", "difficulty", "stem", "a"] and "answer" in rows[0] and "tags" in rows[0]
    assert len(rows) == len(bank.questions) + 1


def test_anki_file_has_one_note_per_question_with_domain_and_task_tags(bank: Bank) -> None:
    lines = export(bank.questions.values(), "anki", bank.exam).splitlines()
    assert lines[:4] == ["#separator:tab", "#html:true", "#guid column:1", "#tags column:4"]
    notes = [line.split("\t") for line in lines[4:]]
    assert len(notes) == len(bank.questions) and all(len(n) == 4 for n in notes)
    guid, front, back, tags = notes[1]
    assert guid == "1.1-app-code-0002" and "<b>E.</b> A CloudWatch alarm" in front
    assert back.startswith("<b>Answer: A, C</b>") and "✓ <b>C.</b>" in back
    assert tags.split() == ["dva-c02::domain-1::task-1.1", "dva-c02::service::sns", "dva-c02::service::sqs"]
