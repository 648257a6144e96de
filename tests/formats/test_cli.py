"""`quizbot import | export | bank health | reports export` as a maintainer runs them."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from adapters.main import main
from bot.bank import load_bank, validate_paths
from bot.formats import ImportContext, import_bytes
from bot.models import Target
from bot.service import QuizService
from tests.conftest import MINI_BANK, member

FILES = Path(__file__).parent.parent / "data" / "formats"


def test_import_writes_yaml_that_loads_into_the_bank(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mapping = tmp_path / "map.yaml"
    mapping.write_text('"$course$/top/DVA/Serverless": "1.2"\n', encoding="utf-8")
    out = tmp_path / "bank" / "1.2-lambda.yaml"
    out.parent.mkdir()
    (out.parent / "exam.yaml").write_text((MINI_BANK / "exam.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    code = main(
        ["import", str(FILES / "lambda-set.gift"), "--exam", str(out.parent), "--map", str(mapping), "--out", str(out)]
    )
    err = capsys.readouterr().err
    assert code == 0, err
    assert "4 question(s)" in err and "lambda-set.gift:28: Essay: warning: not imported" in err
    # The file is valid YAML of our model; what the strict shipped-bank rules still want is what the warnings said.
    problems = {p.message for p in validate_paths([out.parent])}
    assert problems == {
        "unknown service tag(s) general (see services in exam.yaml)",
        "unknown source file(s) lambda-set.gift",
    }
    assert "filled in: services (general); source (the file name)" in err
    result = import_bytes(out.read_bytes(), "yaml", ImportContext(load_bank(MINI_BANK).exam), "again.yaml")
    assert [q.id for q in result.questions] == [f"1.2-lambda-{n:04d}" for n in range(1, 5)]


def test_import_with_an_error_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "broken.xml"
    bad.write_text("<quiz><question type='multichoice'>\n</quiz>", encoding="utf-8")
    out = tmp_path / "out.yaml"
    code = main(["import", str(bad), "--exam", str(MINI_BANK), "--task", "1.1", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1 and not out.exists()
    assert f"{bad}:2: -: broken XML" in err and "nothing written" in err


def test_export_every_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for fmt in ("yaml", "gift", "csv", "anki"):
        out = tmp_path / f"bank.{fmt}"
        assert main(["export", "--format", fmt, "--bank", str(MINI_BANK), "--out", str(out)]) == 0
        assert "1.1-app-code-0002" in out.read_text(encoding="utf-8")
    assert main(["export", "--format", "csv", "--bank", str(MINI_BANK), "--task", "2.1"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert [r[0] for r in rows[1:]] == ["2.1-authn-authz-0001", "2.1-authn-authz-0002"]


async def test_health_and_reports_export_read_the_database(
    service: QuizService, channel: Target, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await service.report_question(member("alice"), channel, "1.1-app-code-0003", "outdated", "Wait states changed")
    await service.report_question(member("bob"), channel, "1.1-app-code-0003", "unclear")
    for i in range(3):
        card = await service.run(member(f"m{i}"), channel, "quiz 1 seed:2")
        await service.answer(member(f"m{i}"), channel, card.round_id, 1, "a")  # type: ignore[union-attr]
    db = tmp_path / "quizbot.sqlite3"
    out = tmp_path / "reports.csv"
    assert await _main(["reports", "export", "--db", str(db), "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [(r["question_id"], r["reports_on_question"], r["reason"]) for r in rows] == [
        ("1.1-app-code-0003", "2", "outdated"),
        ("1.1-app-code-0003", "2", "unclear"),
    ]
    assert "user" not in ",".join(rows[0])  # maintainers get no member ids
    assert await _main(["bank", "health", "--db", str(db), "--bank", str(MINI_BANK), "--all"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("0 of 1 answered question(s) flagged") and "n=3" in printed
    assert await _main(["bank", "health", "--db", str(tmp_path / "none.sqlite3")]) == 2


async def _main(argv: list[str]) -> int:
    import asyncio

    # The CLI runs its own event loop; from inside a test's loop it runs in a worker thread.
    return await asyncio.to_thread(main, argv)
