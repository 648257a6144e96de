"""Hostile input, generated: forged component ids, random command lines, oversized and odd unicode text, broken
bank files. The member only ever gets a QuizError sentence (never a traceback) and a refusal writes nothing."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import component_ids
from bot.bank import load_bank, validate_paths
from bot.models import Target, UserRef
from bot.service import QuizError, QuizService
from bot.storage.sqlite import SqliteRepository
from tests.conftest import MINI_BANK, FakeScheduler, FixedClock
from tests.reliability.conftest import row_counts

HERE = Target(platform="console", workspace="console", channel="study")
ELSEWHERE = Target(platform="console", workspace="console", channel="elsewhere")
MEMBER = UserRef(platform="console", user_id="mallory", name="Mallory")
FAST = settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

odd_text = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=40).map(lambda s: s * 400),  # oversized
    st.sampled_from(
        [
            "\x00",
            "\u202equiz",
            "quiz\u200b",
            "\uff31\uff35\uff29\uff3a 5",
            "quiz 99999999999999999999",
            "quiz -1",
            "\U0001f4a5" * 5000,
        ]
    ),
)


class World:
    """A service on a real SQLite file in its own event loop, with open rounds in another channel to aim at."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.loop = asyncio.new_event_loop()
        self.repo = self.loop.run_until_complete(SqliteRepository.open(path))
        clock = FixedClock(datetime(2026, 11, 23, 9, tzinfo=UTC))
        self.service = QuizService(load_bank(MINI_BANK), self.repo, FakeScheduler(), clock)
        owner = UserRef(platform="console", user_id="owner", name="Owner", is_admin=True)
        self.loop.run_until_complete(self.service.qotd(owner, ELSEWHERE))  # round 1: another channel's question
        self.loop.run_until_complete(self.service.run(owner, ELSEWHERE, "quiz 3"))  # round 2: another member's quiz

    def call(self, work: object) -> object:
        """Run a service call; return its reply or the QuizError it raised (anything else fails the test)."""
        try:
            return self.loop.run_until_complete(work)  # type: ignore[arg-type]
        except QuizError as exc:
            assert str(exc).strip() and "\n" not in str(exc) and "Traceback" not in str(exc)
            return exc

    def close(self) -> None:
        self.loop.run_until_complete(self.repo.close())
        self.loop.close()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path / "quizbot.sqlite3")
    yield w
    w.close()


forged_ids = st.one_of(
    st.text(max_size=120),
    st.from_regex(r"\Aquiz:\d{1,14}:\d{1,4}:[a-z]{0,8}\Z"),
    st.builds(
        component_ids.encode, st.integers(0, 10**12), st.integers(0, 999), st.text(alphabet="abcdefz", max_size=7)
    ),
)


@FAST
@given(custom_id=forged_ids, raw=st.one_of(st.text(max_size=30), st.sampled_from(["a", "b", "a,c", "f", ""])))
def test_forged_component_ids_are_refused_and_write_nothing(world: World, custom_id: str, raw: str) -> None:
    before = row_counts(world.path)
    decoded = component_ids.decode(custom_id)
    if decoded is None:
        return  # the front doors answer "not one of mine" without calling the service
    outcome = world.call(
        world.service.answer(MEMBER, HERE, decoded.round_id, decoded.question_no, decoded.choice or raw)
    )
    assert isinstance(outcome, QuizError), f"{custom_id!r} was accepted: {outcome!r}"
    assert row_counts(world.path) == before


@FAST
@given(line=odd_text)
def test_random_command_lines_get_a_sentence_and_a_refusal_writes_nothing(world: World, line: str) -> None:
    before = row_counts(world.path)
    outcome = world.call(world.service.run(MEMBER, HERE, line))
    if isinstance(outcome, QuizError):
        assert row_counts(world.path) == before, f"{line[:80]!r} was refused but wrote"


@FAST
@given(name=st.sampled_from(["quiz", "leaderboard", "settings", "stats", "qotd", "stop", "help"]), args=odd_text)
def test_known_commands_with_hostile_arguments(world: World, name: str, args: str) -> None:
    before = row_counts(world.path)
    outcome = world.call(world.service.run(MEMBER, HERE, f"{name} {args}"))
    if isinstance(outcome, QuizError):
        assert row_counts(world.path) == before, f"{name} {args[:80]!r} was refused but wrote"


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
question_keys = st.fixed_dictionaries(
    {},
    optional={
        k: yaml_values
        for k in ("id", "task", "difficulty", "services", "stem", "options", "answer", "source", "explanation")
    },
)


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.one_of(st.text(max_size=400), st.lists(question_keys, max_size=3).map(repr), yaml_values.map(repr)))
def test_random_bank_files_give_problems_never_a_crash(tmp_path: Path, content: str) -> None:
    folder = tmp_path / "bank"
    if not folder.exists():
        shutil.copytree(MINI_BANK, folder)
    target = folder / "1.1-app-code.yaml"
    target.write_text(content, encoding="utf-8")
    problems = validate_paths([target])
    for problem in problems:
        assert str(problem).strip() and "Traceback" not in str(problem)
