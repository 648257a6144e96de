"""`python -m bench [NAME …]`: run every benchmark (or the named ones) and print figures, baselines and ratios."""

from __future__ import annotations

import importlib
import sys
import time

from bench.common import Report, machine

MODULES = {
    "answers": "Answer recording through QuizService on SQLite",
    "queries": "Leaderboard and member stats at 1,000,000 answers",
    "interactions": "Interaction handling: decoded interaction to ack, burst of 500 answers",
    "scheduler": "Scheduler lateness with 1,000 schedules; heap per open round",
    "crash": "kill -9 cycles of `quizbot console`",
}


def main(argv: list[str]) -> int:
    """Run the benchmarks named in argv (all when none), each printing its own figures."""
    names = argv or [n for n in MODULES if n != "crash"]
    unknown = [n for n in names if n not in MODULES]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(MODULES)}", file=sys.stderr)
        return 2
    print(f"machine: {machine()}", flush=True)
    for name in names:
        report = Report(MODULES[name])
        print(f"\n== {name}: {report.title}", flush=True)
        started = time.perf_counter()
        importlib.import_module(f"bench.{name}").run(report)
        print(f"  ({time.perf_counter() - started:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
