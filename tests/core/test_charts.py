"""Charts: real PNGs (signature and pixel size) rendered off the event loop, reached through `stats chart:…`."""

from __future__ import annotations

import struct
from datetime import date, timedelta

from bot import charts
from bot.cards import ChartCard, QuestionCard
from bot.models import Target
from bot.service import QuizService
from tests.conftest import member

ALICE = member("alice")


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == charts.PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def test_domain_chart_is_a_png_of_the_expected_size() -> None:
    bars = [charts.Bar("1 Development", 81.0, 40), charts.Bar("2 Security", None, 0)]
    data = await charts.render_domains("Accuracy by domain", bars, 72)
    assert png_size(data) == (700, 360)
    assert 5_000 < len(data) < 200_000


def test_progress_chart_copes_with_empty_weeks() -> None:
    points = [charts.Point(date(2026, 9, 7) + timedelta(weeks=i), None if i % 3 else 60.0, i) for i in range(12)]
    assert png_size(charts.progress_png("Weekly progress", points, 72)) == (700, 360)


async def test_stats_chart_commands_return_png_cards(service: QuizService, channel: Target) -> None:
    card = await service.run(ALICE, channel, "quiz 1 seed:2")
    assert isinstance(card, QuestionCard)
    question = service.bank.get(card.question_id)
    assert question is not None
    await service.answer(ALICE, channel, card.round_id, 1, "".join(sorted(question.keys)))
    domains = await service.run(ALICE, channel, "stats chart:domains")
    progress = await service.run(ALICE, channel, "stats group chart:progress")
    assert isinstance(domains, ChartCard) and isinstance(progress, ChartCard)
    assert domains.filename.startswith("domains-alice-") and domains.filename.endswith(".png")
    assert progress.filename.startswith("progress-this-channel-")
    assert png_size(domains.png) == png_size(progress.png) == (700, 360)
