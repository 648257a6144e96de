"""The bank report: counts per domain and task against the manifest's targets, and the bank's quality rules."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bot.bank import Bank
from bot.models import Question

MAX_KEY_SHARE = 0.30
MIN_CHOOSE_N_SHARE = 0.20
# Shares mean little on a handful of questions; the rules apply once a domain holds this many.
MIN_FOR_SHARES = 10


@dataclass
class Group:
    """Figures for a domain or a task."""

    id: str
    name: str
    target: int
    count: int = 0
    choose_n: int = 0
    difficulty: Counter[int] = field(default_factory=Counter)
    keys: Counter[str] = field(default_factory=Counter)

    def add(self, q: Question) -> None:
        """Count one question."""
        self.count += 1
        self.difficulty[q.difficulty] += 1
        if q.choose > 1:
            self.choose_n += 1
        else:
            self.keys[next(iter(q.keys))] += 1

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready figures."""
        return {
            "id": self.id,
            "name": self.name,
            "count": self.count,
            "target": self.target,
            "choose_n": self.choose_n,
            "difficulty": {str(k): v for k, v in sorted(self.difficulty.items())},
            "single_answer_keys": dict(sorted(self.keys.items())),
        }


@dataclass
class Report:
    """Everything `quizbot bank report` prints."""

    total: int
    target: int
    domains: list[Group]
    tasks: list[Group]
    violations: list[str]
    missed_targets: list[str]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready report."""
        return {
            "total": self.total,
            "target": self.target,
            "domains": [d.as_dict() for d in self.domains],
            "tasks": [t.as_dict() for t in self.tasks],
            "violations": self.violations,
            "missed_targets": self.missed_targets,
        }

    def exit_code(self, strict: bool) -> int:
        """1 on a rule violation, or on a missed target with --strict."""
        return 1 if self.violations or (strict and self.missed_targets) else 0


def build_report(bank: Bank) -> Report:
    """Count the bank and check its rules."""
    exam = bank.exam
    tasks = {t.id: Group(t.id, t.name, t.target) for t in exam.tasks}
    domains = {
        d.id: Group(d.id, d.name, sum(t.target for t in exam.tasks if t.domain_id == d.id)) for d in exam.domains
    }
    for q in bank.questions.values():
        tasks[q.task].add(q)
        domains[q.domain_id].add(q)
    return Report(
        total=len(bank.questions),
        target=sum(t.target for t in exam.tasks),
        domains=list(domains.values()),
        tasks=list(tasks.values()),
        violations=_violations(list(domains.values())),
        missed_targets=_missed(list(tasks.values())),
    )


def _violations(domains: list[Group]) -> list[str]:
    found = []
    for d in domains:
        single = sum(d.keys.values())
        if single >= MIN_FOR_SHARES:
            letter, most = d.keys.most_common(1)[0]
            if most / single > MAX_KEY_SHARE:
                found.append(
                    f"domain {d.id}: key letter {letter.upper()} answers {most} of {single} single-answer "
                    f"questions ({most / single:.0%} > {MAX_KEY_SHARE:.0%})"
                )
        if d.count >= MIN_FOR_SHARES and d.choose_n / d.count < MIN_CHOOSE_N_SHARE:
            found.append(
                f"domain {d.id}: {d.choose_n / d.count:.0%} choose-N questions "
                f"(at least {MIN_CHOOSE_N_SHARE:.0%} required)"
            )
    return found


def _missed(tasks: list[Group]) -> list[str]:
    found = []
    for t in tasks:
        if t.count < t.target:
            found.append(f"task {t.id}: {t.count} of {t.target} questions")
        missing = [str(level) for level in (1, 2, 3) if not t.difficulty[level]]
        if t.count and missing:
            found.append(f"task {t.id}: no difficulty {', '.join(missing)} question")
    return found


def render_text(report: Report) -> str:
    """The report as a table."""
    lines = [
        f"Bank: {report.total} of {report.target} questions",
        "",
        f"{'':<5}{'name':<52}{'count':>12}{'choose-N':>10}  difficulty 1/2/3   keys a/b/c/d",
    ]
    for group in [*report.domains, None, *report.tasks]:
        if group is None:
            lines.append("")
            continue
        share = f"{group.choose_n / group.count:.0%}" if group.count else "-"
        diff = "/".join(str(group.difficulty[level]) for level in (1, 2, 3))
        keys = "/".join(str(group.keys[letter]) for letter in "abcd")
        lines.append(
            f"{group.id:<5}{group.name[:50]:<52}{group.count:>5} / {group.target:<4}{share:>10}  {diff:<17} {keys}"
        )
    lines.append("")
    lines += [f"RULE  {v}" for v in report.violations] or ["Rules: all hold."]
    lines += [f"TARGET  {m}" for m in report.missed_targets] or ["Targets: all met."]
    return "\n".join(lines)
