"""The write gate: single-statement writes side by side, a transaction alone, a waiting transaction served first."""

from __future__ import annotations

import asyncio

from bot.storage.write_gate import WriteGate


async def test_single_writes_share_the_gate_and_a_transaction_waits_for_them() -> None:
    gate, events = WriteGate(), []

    async def single(name: str, release: asyncio.Event) -> None:
        async with gate.single():
            events.append(f"{name} in")
            await release.wait()
            events.append(f"{name} out")

    async def transaction() -> None:
        async with gate.transaction():
            events.append("transaction")

    first, second = asyncio.Event(), asyncio.Event()
    a = asyncio.create_task(single("a", first))
    b = asyncio.create_task(single("b", second))
    await asyncio.sleep(0.01)
    assert events == ["a in", "b in"]  # both inside at once
    t = asyncio.create_task(transaction())
    late = asyncio.create_task(single("late", asyncio.Event()))
    await asyncio.sleep(0.01)
    assert events == ["a in", "b in"]  # the transaction waits for both; the late single waits behind it
    first.set()
    second.set()
    await asyncio.gather(a, b, t)
    await asyncio.sleep(0.01)
    assert events[2:] == ["a out", "b out", "transaction", "late in"]  # then the late single write
    late.cancel()


async def test_a_transaction_given_up_lets_single_writes_through() -> None:
    gate = WriteGate()
    release = asyncio.Event()

    async def hold() -> None:
        async with gate.single():
            await release.wait()

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0.01)
    waiting = asyncio.create_task(gate.transaction().__aenter__())
    await asyncio.sleep(0.01)
    blocked = asyncio.create_task(gate.single().__aenter__())
    await asyncio.sleep(0.01)
    assert not blocked.done()  # held back for the waiting transaction
    waiting.cancel()
    await asyncio.sleep(0.01)
    assert blocked.done()  # the transaction gave up: the single write goes
    release.set()
    await holder
