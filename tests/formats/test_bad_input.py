"""Malformed files: a report naming the line (or question) and nothing imported from that file."""

from __future__ import annotations

import pytest

from bot.bank import Bank
from bot.formats import ImportContext, ImportResult, import_bytes
from bot.formats.common import MAX_BYTES

GOOD_ROW = "stem,a,b,answer\nWhich one?,This,That,a\n"


def run(bank: Bank, data: bytes, fmt: str) -> ImportResult:
    return import_bytes(data, fmt, ImportContext(bank.exam, default_task="1.1"), f"upload.{fmt}")


@pytest.mark.parametrize(
    ("fmt", "data", "expected"),
    [
        (
            "moodle",
            b'<?xml version="1.0"?>\n<quiz>\n  <question type="multichoice">\n'
            b"    <name><text>x</text></name>\n</quiz>\n",
            "upload.moodle:5: -: broken XML at column 3: mismatched tag",
        ),
        (
            "moodle",
            b'<?xml version="1.0"?>\n<!DOCTYPE quiz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>\n'
            b"<quiz><question type='truefalse'><questiontext><text>&lol2;</text></questiontext></question></quiz>\n",
            "upload.moodle:2: -: DTDs and entity declarations are not allowed in an imported file",
        ),
        (
            "moodle",
            b"<?xml version='1.0'?>\n<quiz><question type='truefalse'><name><text>t</text></name>"
            b"<questiontext><text>&unknown;</text></questiontext></question></quiz>\n",
            "upload.moodle:2: -: broken XML at column",
        ),
        ("moodle", b"<questions/>", "upload.moodle:1: -: the root element is <questions>"),
        (
            "csv",
            b"question text,first,second,key\nWhich one?,This,That,a\n",
            "upload.csv:1: header: wrong header: missing column(s) stem, a, b, answer; unknown column(s) question_text",
        ),
        ("csv", b"stem,a,b,answer\nWhich one?,This,That,\n", "upload.csv:2: row 1: no correct option"),
        ("csv", b"stem,a,b,answer\nWhich one?,This,That,z\n", "upload.csv:2: row 1: answer 'z' is not option letters"),
        (
            "csv",
            b"stem,a,b,answer\nWhich?,This,That,c\n",
            "upload.csv:2: row 1: the answer names C but option c is empty",
        ),
        ("csv", b"", "upload.csv:1: -: the file is empty"),
        ("gift", b"::q1:: Which one? {\n=This\n~That\n", "upload.gift:1: q1: the answer block has no closing '}'"),
        ("gift", b"::q1:: Which one? {~This ~That}\n", "upload.gift:1: q1: no correct option"),
        ("gift", b"Just a sentence with no answers.\n", "upload.gift:1: #1: no answer block"),
        ("gift", b"// only a comment\n", "upload.gift:0: -: the file holds no questions"),
        ("markdown", b"Some notes without questions.\n", "upload.markdown:1: -: no questions found"),
        ("markdown", b"### Which one?\nNo options here.\n", "upload.markdown:1: #1: no '- [x]' / '- [ ]' options"),
        ("opentdb", b'{"response_code": 1, "results": []}', "upload.opentdb:1: -: the response reports code 1"),
        ("opentdb", b'{"results": [\n{"type": "multiple",}\n]}', "upload.opentdb:2: -: broken JSON"),
        ("yaml", b"- id: x\n  stem: [unclosed\n", "upload.yaml:3: -: YAML syntax"),
        (
            "gift",
            "::q:: Caf\u00e9 {=yes ~no}\n".encode("latin-1") + b"\n",
            "upload.gift:1: -: not UTF-8 text (byte 0xe9); save the file as UTF-8",
        ),
        ("csv", b"stem,a,b,answer\n" + b"x" * MAX_BYTES, f"upload.csv:0: -: the file has {MAX_BYTES + 16:,} bytes"),
    ],
)
def test_a_malformed_file_imports_nothing_and_says_where(bank: Bank, fmt: str, data: bytes, expected: str) -> None:
    result = run(bank, data, fmt)
    assert result.questions == []
    assert not result.ok
    assert any(line.startswith(expected) for line in result.lines()), result.lines()


def test_one_bad_question_stops_the_whole_file(bank: Bank) -> None:
    good = "::a:: First? {=Yes ~No}\n\n"
    bad = "::b:: Second? {~Yes ~No}\n\n"
    result = run(bank, (good + bad + good.replace("::a::", "::c::")).encode(), "gift")
    assert result.questions == []
    assert [n.render("f") for n in result.errors] == ["f:3: b: no correct option"]


def test_a_non_utf8_line_is_named(bank: Bank) -> None:
    data = b"stem,a,b,answer\nOne?,x,y,a\nTwo?,\xff,y,a\n"
    assert run(bank, data, "csv").lines() == ["upload.csv:3: -: not UTF-8 text (byte 0xff); save the file as UTF-8"]


def test_too_many_options_and_duplicate_ids_are_errors(bank: Bank) -> None:
    header = "id,stem,a,b,c,d,e,f,answer\n"
    rows = "1.1-app-code-0007,One?,a,b,c,d,e,f,a\n1.1-app-code-0007,Two?,a,b,c,d,e,f,b\n"
    result = run(bank, (header + rows).encode(), "csv")
    assert result.questions == []
    assert "upload.csv:3: 1.1-app-code-0007: duplicate id 1.1-app-code-0007 (first at line 2)" in result.lines()
