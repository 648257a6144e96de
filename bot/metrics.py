"""Process metrics in the Prometheus text format: a few counters and histograms, no dependency, no I/O."""

from __future__ import annotations

import bisect
import threading
from collections.abc import Sequence


def _labels(names: Sequence[str], values: Sequence[str]) -> str:
    if not names:
        return ""
    inner = ",".join(f'{n}="{_escape(v)}"' for n, v in zip(names, values, strict=True))
    return "{" + inner + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Counter:
    """A monotonically increasing count, optionally split by labels."""

    def __init__(self, name: str, help_text: str, labels: Sequence[str] = ()) -> None:
        self.name, self.help, self.label_names = name, help_text, tuple(labels)
        self._values: dict[tuple[str, ...], float] = {}
        self._lock = threading.Lock()

    def inc(self, amount: float = 1, *labels: str) -> None:
        """Add `amount` to the series of `labels`."""
        with self._lock:
            self._values[labels] = self._values.get(labels, 0) + amount

    def value(self, *labels: str) -> float:
        """The current count of a series."""
        return self._values.get(labels, 0)

    def render(self) -> list[str]:
        """Exposition lines."""
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} counter"]
        series = self._values or ({(): 0.0} if not self.label_names else {})
        for key, val in sorted(series.items()):
            lines.append(f"{self.name}{_labels(self.label_names, key)} {val:g}")
        return lines


class Histogram:
    """Observations counted into cumulative buckets (seconds)."""

    def __init__(self, name: str, help_text: str, buckets: Sequence[float]) -> None:
        self.name, self.help, self.buckets = name, help_text, tuple(sorted(buckets))
        self._counts = [0] * (len(self.buckets) + 1)
        self._sum = 0.0
        self._lock = threading.Lock()

    def observe(self, value: float) -> None:
        """Record one observation."""
        with self._lock:
            self._counts[bisect.bisect_left(self.buckets, value)] += 1
            self._sum += value

    @property
    def count(self) -> int:
        """How many observations."""
        return sum(self._counts)

    def render(self) -> list[str]:
        """Exposition lines (cumulative buckets, +Inf, sum, count)."""
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} histogram"]
        running = 0
        for bound, n in zip(self.buckets, self._counts, strict=False):
            running += n
            lines.append(f'{self.name}_bucket{{le="{bound:g}"}} {running}')
        lines.append(f'{self.name}_bucket{{le="+Inf"}} {self.count}')
        lines += [f"{self.name}_sum {self._sum:g}", f"{self.name}_count {self.count}"]
        return lines


class Metrics:
    """The metrics quizbot exports at /metrics."""

    def __init__(self) -> None:
        self.answers_recorded = Counter("quizbot_answers_recorded_total", "Answers stored (first delivery only).")
        self.ack_latency = Histogram(
            "quizbot_interaction_ack_seconds",
            "Time from a platform interaction arriving to its acknowledgement.",
            (0.05, 0.1, 0.25, 0.5, 1, 2, 2.5, 3),
        )
        self.scheduler_lateness = Histogram(
            "quizbot_scheduler_lateness_seconds",
            "How late a scheduled post ran after its due time.",
            (0.1, 0.5, 1, 5, 15, 60, 300, 3600),
        )
        self.rate_limited = Counter("quizbot_rate_limited_total", "HTTP 429 answers from a platform.", ("scope",))
        self.leader_changes = Counter(
            "quizbot_schedule_leader_changes_total", "Times this process became schedule leader."
        )

    def render(self) -> str:
        """The whole exposition text."""
        parts: list[Counter | Histogram] = [
            self.answers_recorded,
            self.ack_latency,
            self.scheduler_lateness,
            self.rate_limited,
            self.leader_changes,
        ]
        return "\n".join(line for metric in parts for line in metric.render()) + "\n"


METRICS = Metrics()
