"""The shared command grammar."""

from __future__ import annotations

import pytest

from bot.bank import Bank
from bot.commands import CommandError, parse, quiz_request, settings_change


def test_grammar_accepts_colon_or_equals_and_any_case(bank: Bank) -> None:
    command = parse("QUIZ 7 Domain=security TASK:2.1 seed:9")
    assert (command.name, command.args) == ("quiz", ["7"])
    assert quiz_request(command, bank).__dict__ == {"count": 7, "domain": "2", "task": "2.1", "seed": 9}


def test_quick_quiz_and_defaults(bank: Bank) -> None:
    assert quiz_request(parse("quiz quick"), bank).count == 5
    assert quiz_request(parse("quiz"), bank).count == 10
    assert quiz_request(parse("quiz task:lambda"), bank).task == "1.2"
    assert quiz_request(parse("q domain:Troubleshooting"), bank).domain == "4"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("", "Type a command"),
        ("qiuz", "Did you mean `quiz`"),
        ("quiz 3 4", "Too many arguments"),
        ("quiz three", "whole number"),
        ("quiz 66", "1 to 65"),
        ("quiz domain:7", "Unknown domain"),
        ("quiz task:9.9", "Unknown task"),
        ("quiz domain:1 task:2.1", "not in domain 1"),
        ("stats colour:blue", "has no option"),
        ('quiz "unclosed', "quotes"),
    ],
)
def test_bad_input_gets_one_clear_sentence(bank: Bank, line: str, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        quiz_request(parse(line), bank)


def test_settings_values_are_checked() -> None:
    change = settings_change(parse("settings timezone:Europe/Berlin reveal:7:05"))
    assert change.timezone == "Europe/Berlin" and change.reveal is not None and change.reveal.minute == 5
    with pytest.raises(CommandError, match="IANA"):
        settings_change(parse("settings timezone:Nowhere/Land"))
    with pytest.raises(CommandError, match="HH:MM"):
        settings_change(parse("settings reveal:25:00"))
