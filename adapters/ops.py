"""Operations: an HTTP endpoint with /healthz (database and gateway state) and /metrics, and JSON log lines."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from bot.metrics import METRICS, Metrics


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, and the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class DiscordRateLimitCounter(logging.Handler):
    """Counts the 429s discord.py reports (it retries them itself) into quizbot_rate_limited_total by scope."""

    def emit(self, record: logging.LogRecord) -> None:
        """Count one rate-limit warning: `discord:global` or `discord:<METHOD>` (routes would be too many series)."""
        message = str(record.msg)
        if message.startswith("Global rate limit has been hit"):
            METRICS.rate_limited.inc(1, "discord:global")
        elif "responded with 429" in message and record.args:
            method = record.args[0] if isinstance(record.args, tuple) else "?"
            METRICS.rate_limited.inc(1, f"discord:{method}")


_DISCORD_COUNTER = DiscordRateLimitCounter(logging.WARNING)
logging.getLogger("discord.http").addHandler(_DISCORD_COUNTER)  # by name: the console never imports discord


def configure_logging(level: str, fmt: str) -> None:
    """Root logging as text for people or JSON (`fmt == "json"`) for collectors."""
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    if not root.handlers:  # like logging.basicConfig: a handler already installed (a test's, a host's) stays
        root.addHandler(handler)
    root.setLevel(level.upper())


async def database_ok(repo: Any) -> bool:
    """True when the repository answers a trivial query."""
    ping = getattr(repo, "ping", None)
    try:
        if ping is not None:
            return bool(await ping())
        await repo.schema_version()
    except Exception:  # any failure to answer is "unreachable"; /healthz reports it rather than crashing
        return False
    return True


def door_state(door: Any) -> str:
    """A front door's gateway state: `ready`, `connecting`, `closed` or (console) `running`."""
    client = getattr(door, "client", None)
    if client is not None and hasattr(client, "is_ready"):
        if client.is_closed():
            return "closed"
        return "ready" if client.is_ready() else "connecting"
    ready = getattr(door, "ready", None)
    if ready is not None and hasattr(ready, "is_set"):
        return "ready" if ready.is_set() else "connecting"
    return "running"


def door_name(door: Any) -> str:
    """A short name for a front door (`discord`, `slack`, `console`)."""
    return type(door).__name__.removesuffix("Door").lower() or "door"


def ops_app(repo: Any, doors: Callable[[], Sequence[Any]], metrics: Metrics = METRICS) -> web.Application:
    """The /healthz and /metrics application."""

    async def healthz(request: web.Request) -> web.Response:
        db = await database_ok(repo)
        states = {door_name(d): door_state(d) for d in doors()}
        healthy = db and all(s in ("ready", "running") for s in states.values())
        body = {"status": "ok" if healthy else "unhealthy", "database": "ok" if db else "unreachable", "doors": states}
        return web.json_response(body, status=200 if healthy else 503)

    async def metrics_text(request: web.Request) -> web.Response:
        return web.Response(text=metrics.render(), content_type="text/plain", charset="utf-8")

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_text)
    return app


async def start_ops(
    repo: Any, doors: Callable[[], Sequence[Any]], host: str, port: int, metrics: Metrics = METRICS
) -> web.AppRunner:
    """Serve the ops endpoint; the caller cleans the returned runner up on shutdown."""
    runner = web.AppRunner(ops_app(repo, doors, metrics), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
