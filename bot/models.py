"""Pydantic models for the bank (exam manifest, questions) and for who and where a call comes from."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator, model_validator

LETTERS = "abcdef"
_CHOOSE = re.compile(r"\(choose (two|three|four|five)\.?\)", re.IGNORECASE)
_CHOOSE_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5}

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Letter = Annotated[str, StringConstraints(pattern=r"^[a-f]$")]


class Frozen(BaseModel):
    """Base for every model: immutable, unknown fields rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Domain(Frozen):
    """One exam domain with its weight in percent."""

    id: str
    slug: str
    name: str
    weight: int = Field(ge=0, le=100)


class Task(Frozen):
    """One task statement of an exam, with the bank's target question count."""

    id: str = Field(pattern=r"^\d+\.\d+$")
    slug: str
    name: str
    target: int = Field(ge=0)

    @property
    def domain_id(self) -> str:
        """The domain a task belongs to is the part of its id before the dot."""
        return self.id.split(".")[0]


class ShortExam(Frozen):
    """Size of the shortened practice exam."""

    questions: int = Field(ge=1)
    minutes: int = Field(ge=1)


class Exam(Frozen):
    """An exam manifest (`exam.yaml`): the taxonomy question files are checked against."""

    id: str
    name: str
    questions: int = Field(ge=1)
    minutes: int = Field(ge=1)
    score_min: int
    score_max: int
    pass_mark: int
    short_exam: ShortExam
    domains: list[Domain]
    tasks: list[Task]
    services: list[str]
    sources: list[str] = []

    @model_validator(mode="after")
    def _tasks_belong_to_domains(self) -> Exam:
        ids = {d.id for d in self.domains}
        for task in self.tasks:
            if task.domain_id not in ids:
                raise ValueError(f"task {task.id} names domain {task.domain_id}, which the manifest does not define")
        return self

    def task(self, task_id: str) -> Task | None:
        """The task with this id, or None."""
        return next((t for t in self.tasks if t.id == task_id), None)

    def domain(self, domain_id: str) -> Domain | None:
        """The domain with this id, or None."""
        return next((d for d in self.domains if d.id == domain_id), None)


class Option(Frozen):
    """One answer option with the explanation shown whichever option a member picked."""

    text: Text
    explanation: Text


class Question(Frozen):
    """One exam-style question: single answer (one letter) or choose-N (a list of N letters)."""

    id: str = Field(pattern=r"^[a-z0-9.-]+-\d{4}$")
    task: str = Field(pattern=r"^\d+\.\d+$")
    difficulty: int = Field(ge=1, le=3)
    services: list[str] = Field(min_length=1)
    stem: Text
    options: list[Option] = Field(min_length=2, max_length=6)
    answer: Letter | list[Letter]
    source: list[str] = Field(min_length=1)
    facts: list[str] = []
    refs: list[str] = []
    verify: bool = False

    @field_validator("answer")
    @classmethod
    def _answer_fits_stem_and_options(cls, value: str | list[str], info: ValidationInfo) -> str | list[str]:
        keys = value if isinstance(value, list) else [value]
        if len(set(keys)) != len(keys):
            raise ValueError("answer letters repeat")
        options = info.data.get("options")
        if options is not None:
            letters = LETTERS[: len(options)]
            outside = sorted(k for k in keys if k not in letters)
            if outside:
                raise ValueError(f"letter(s) {', '.join(outside)} outside the options a-{letters[-1]}")
        stated = stated_choose_count(info.data.get("stem", ""))
        if isinstance(value, list) and stated != len(value):
            said = f"says choose {stated}" if stated else "does not say '(Choose N.)'"
            raise ValueError(f"{len(value)} letters but the stem {said}")
        if isinstance(value, list) and options is not None and len(options) <= len(value):
            raise ValueError("a choose-N question needs more options than keys")
        if isinstance(value, list) and len(value) < 2:
            raise ValueError("a choose-N answer lists at least two letters; use a single letter otherwise")
        if isinstance(value, str) and stated:
            raise ValueError(f"the stem says choose {stated} but the answer is a single letter")
        return value

    @property
    def keys(self) -> frozenset[str]:
        """The set of correct letters."""
        return frozenset(self.answer) if isinstance(self.answer, list) else frozenset({self.answer})

    @property
    def choose(self) -> int:
        """How many options a member must pick."""
        return len(self.keys)

    @property
    def domain_id(self) -> str:
        """The domain id, derived from the task id."""
        return self.task.split(".")[0]

    @property
    def letters(self) -> str:
        """The option letters this question offers, e.g. 'abcd'."""
        return LETTERS[: len(self.options)]


def stated_choose_count(stem: str) -> int:
    """The N of '(Choose N.)' in a stem, or 0 when the stem asks for one answer."""
    match = _CHOOSE.search(stem)
    return _CHOOSE_WORDS[match.group(1).lower()] if match else 0


class UserRef(Frozen):
    """A member as a front door identifies them; `is_admin` is decided by the front door's permissions."""

    platform: str
    user_id: str
    name: str
    is_admin: bool = False
    is_bot: bool = False  # set by front doors that can tell (a bot cannot be challenged to a duel)

    @property
    def key(self) -> str:
        """Stable key used in storage."""
        return f"{self.platform}:{self.user_id}"


class Target(Frozen):
    """Where a round lives: a channel (or DM) in a workspace (guild, Slack team, console) of a platform."""

    platform: str
    workspace: str
    channel: str

    @property
    def channel_key(self) -> str:
        """Scope key of the channel."""
        return f"ch:{self.platform}:{self.workspace}:{self.channel}"

    @property
    def workspace_key(self) -> str:
        """Scope key of the workspace (Discord server, Slack workspace)."""
        return f"ws:{self.platform}:{self.workspace}"


class RoundKind(StrEnum):
    """What a round is for; decides points and visibility."""

    QOTD = "qotd"
    DRILL = "drill"
    QUIZ = "quiz"
    GROUP = "group"
    DUEL = "duel"
    EXAM = "exam"
    RECAP = "recap"  # a study plan's weekly recap post (a schedule kind only; bot.study_plans)
    COUNTDOWN = "countdown"  # a study plan's final-week daily countdown (a schedule kind only)


class Round(Frozen):
    """A stored round: questions in a fixed order, a target, an owner for private rounds, open until `closes_at`."""

    id: int
    kind: RoundKind
    target: Target
    owner: str | None
    question_ids: list[str]
    opened_at: datetime
    closes_at: datetime | None
    closed_at: datetime | None
    slot: str | None = None

    @property
    def is_open(self) -> bool:
        """True until the round is closed."""
        return self.closed_at is None


class Answer(Frozen):
    """One member's answer to one question of a round."""

    round_id: int
    question_no: int
    user_key: str
    question_id: str
    choice: str
    correct: bool
    points: int
    answered_at: datetime
    elapsed_ms: int


class Tally(Frozen):
    """What one answer adds to the aggregates: its task and the score scopes and periods it counts toward."""

    answer: Answer
    task: str
    scopes: list[str]
    periods: list[str]
    day: date | None = None  # the answer's local date, for streaks and trends (bot.progress)
    rating: int | None = None  # the FSRS rating of this answer for the member's review card (bot.review)
