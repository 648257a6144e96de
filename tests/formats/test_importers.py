"""Each importer on a realistic file written for these tests: what maps, and a report line for what does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.bank import Bank
from bot.formats import ImportContext, ImportResult, import_bytes
from bot.formats.common import NO_EXPLANATION

FILES = Path(__file__).parent.parent / "data" / "formats"

GIFT = (FILES / "lambda-set.gift").read_text(encoding="utf-8")

MOODLE = (FILES / "security-set.xml").read_text(encoding="utf-8")

CSV = (FILES / "data-stores.csv").read_text(encoding="utf-8")

MARKDOWN = (FILES / "cicd-practice.md").read_text(encoding="utf-8")

OPENTDB = (FILES / "opentdb-computers.json").read_text(encoding="utf-8")


def run(bank: Bank, text: str, fmt: str, **ctx: object) -> ImportResult:
    context = ImportContext(bank.exam, source="set3.txt", **ctx)  # type: ignore[arg-type]
    return import_bytes(text.encode(), fmt, context, f"set3.{fmt}")


def test_gift_maps_titles_feedback_weights_true_false_and_reports_the_rest(bank: Bank) -> None:
    result = run(bank, GIFT, "gift", categories={"$course$/top/DVA/Serverless": "1.2"})
    assert result.ok, result.lines()
    timeout, sources, layers, partial = result.questions
    assert timeout.task == "1.2" and timeout.id == "1.2-lambda-0001"
    assert timeout.stem.startswith("A function that calls a slow partner API") and "\n" in timeout.stem
    assert timeout.answer == "b"
    assert timeout.options[1].explanation.startswith("The timeout (up to 900 seconds)")
    assert sources.stem.endswith("event source mapping: {poll-based}? (Choose two.)")
    assert sources.answer == ["a", "b"] and sources.options[2].explanation == "S3 pushes events; it is not polled."
    assert [o.text for o in layers.options] == ["True", "False"] and layers.answer == "a"
    assert layers.options[0].explanation == "Right: a layer is a zip of shared code."
    assert layers.options[1].explanation == "Layers are not limited that way."
    assert partial.stem == "Which value of MemorySize is the default & the minimum?"
    lines = "\n".join(result.lines())
    assert "set3.gift:4: 1.2-lambda-0001: warning: title 'Lambda timeout' is not a question id" in lines
    assert "Choose two" in lines and "partial credit dropped (b 50%)" in lines
    assert "general feedback dropped" in lines
    assert "Essay: warning: not imported: an essay question" in lines


def test_gift_without_a_task_for_its_category_imports_nothing(bank: Bank) -> None:
    result = run(bank, GIFT, "gift")
    assert result.questions == []
    assert "category '$course$/top/DVA/Serverless' names no task of the exam" in "\n".join(result.lines())


def test_moodle_xml_maps_single_multiple_true_false_and_feedback(bank: Bank) -> None:
    result = run(bank, MOODLE, "moodle", default_task="2.2")
    assert result.ok, result.lines()
    kms, cognito, iam = result.questions
    assert kms.task == "2.2" and kms.answer == "a" and kms.services == ["kms"]
    assert kms.stem.startswith("Data larger than 4 KB") and kms.options[2].text == "CreateKey & Encrypt"
    assert kms.options[1].explanation == "Encrypt takes at most 4 KB."
    assert cognito.answer == ["a", "b"] and cognito.stem.endswith("(Choose two.)")
    assert [o.text for o in iam.options] == ["True", "False"] and iam.answer == "b"
    lines = "\n".join(result.lines())
    assert "general feedback dropped" in lines
    assert "category '$course$/top/DVA/Security' is not mapped to a task; put in task 2.2" in lines
    assert ":33: Short: warning: not imported: a shortanswer question" in lines


def test_moodle_categories_map_to_tasks_through_the_mapping(bank: Bank) -> None:
    result = run(bank, MOODLE, "moodle", categories={"$course$/top/DVA/Security": "2.1-authn-authz"})
    assert result.ok and {q.task for q in result.questions} == {"2.1"}


def test_csv_reads_the_documented_header_multiline_cells_and_tags(bank: Bank) -> None:
    result = run(bank, CSV, "csv")
    assert result.ok, result.lines()
    dax, reads = result.questions
    assert dax.id == "1.3-data-stores-0001" and dax.services == ["dax", "dynamodb"] and dax.answer == "a"
    assert reads.answer == ["a", "c"] and reads.options[2].explanation == "Only the needed attributes\nare returned."
    assert reads.options[3].text == "Scan, then filter"
    assert any("source (the file name)" in line for line in result.lines())
    assert dax.source == ["set3.txt"]


def test_markdown_checklists_count_choose_n_and_keep_images_as_links(bank: Bank) -> None:
    result = run(bank, MARKDOWN, "markdown", categories={"CI/CD": "3.4"})
    assert result.ok, result.lines()
    build, deploy = result.questions
    assert build.answer == "b" and build.task == "3.4"
    assert build.options[1].explanation == NO_EXPLANATION
    assert deploy.answer == ["a", "b"]
    assert "[Diagram](images/codedeploy.png)" in deploy.stem and "![" not in deploy.stem
    assert deploy.options[0].explanation.startswith("See the [CodeDeploy guide](https://docs.aws.amazon.com/")
    assert deploy.options[2].explanation == NO_EXPLANATION


def test_markdown_choose_count_that_disagrees_with_the_ticks_is_an_error(bank: Bank) -> None:
    text = "### Pick two things. (Choose two)\n- [x] one\n- [ ] two\n- [ ] three\n"
    result = run(bank, text, "markdown", default_task="1.1")
    assert result.questions == []
    assert result.lines() == [
        "set3.markdown:1: #1: the text says choose 2 but only one option is marked correct",
    ]


def test_opentdb_decodes_entities_and_maps_both_types(bank: Bank) -> None:
    result = run(bank, OPENTDB, "opentdb", default_task="4.1")
    assert result.ok, result.lines()
    status, s3 = result.questions
    assert status.stem == 'Which HTTP status means "Too Many Requests"?'
    assert status.difficulty == 3 and status.options[ord(status.answer[0]) - ord("a")].text == "429"
    assert sorted(o.text for o in status.options) == ["403", "418", "429", "503"]
    assert s3.stem.startswith('"S3"') and s3.answer == "a" and s3.difficulty == 1
    again = run(bank, OPENTDB, "opentdb", default_task="4.1")
    assert again.questions == result.questions  # the key's place is repeatable


def test_ids_in_use_are_never_reused(bank: Bank) -> None:
    taken = {"1.3-data-stores-0001", "1.3-data-stores-0002"}
    result = run(bank, CSV, "csv", taken=set(taken))
    assert [q.id for q in result.questions] == ["1.3-data-stores-0003", "1.3-data-stores-0004"]


@pytest.mark.parametrize("fmt", ["gift", "markdown", "csv"])
def test_every_report_line_names_file_line_and_question(bank: Bank, fmt: str) -> None:
    text = {"gift": GIFT, "markdown": MARKDOWN, "csv": CSV}[fmt]
    result = run(bank, text, fmt, default_task="1.1")
    for line in result.lines():
        file, number, _label, _message = line.split(":", 3)
        assert file == f"set3.{fmt}" and int(number) > 0
