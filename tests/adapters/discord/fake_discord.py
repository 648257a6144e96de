"""A minimal, local fake of the Discord REST API + gateway, good enough to drive a
real discord.py 2.7.x client end to end (login -> READY -> interactions -> close).

Adapted from the verified proof of concept in the shared notes (fake-discord/), plus: member permissions per
interaction, resolved users, autocomplete interactions (type 4 -> callback type 8), guild commands, and channels
that answer 403 like a channel the bot cannot see.

Only the standard library and aiohttp are used. Everything binds to 127.0.0.1 on a
random free port. Every REST request is recorded (method, path, query, JSON body,
headers) so tests can assert on the exact bodies the client sent.

Usage (the `fake` fixture and `running_bot()` in conftest.py do this):

    fake = FakeDiscord()
    await fake.start()
    # point discord.py at it (see point_discord_py_at() below)
    ...
    interaction = fake.slash_command('ping', options=[...])
    await fake.send_interaction(interaction)
    body = await fake.wait_for_callback(interaction)   # the POST /interactions/{id}/{token}/callback JSON
    ...
    await fake.stop()
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import hashlib
import itertools
import json
import re
import socket
import ssl
import time
import zlib
from collections.abc import Callable
from typing import Any

import aiohttp
import aiohttp.abc
from aiohttp import web

DISCORD_EPOCH_MS = 1420070400000
# A member without Administrator (1 << 3) and Manage Server (1 << 5); ADMIN_PERMISSIONS adds Manage Server.
MEMBER_PERMISSIONS = str(2248473465835073 & ~((1 << 3) | (1 << 5)))
ADMIN_PERMISSIONS = str(int(MEMBER_PERMISSIONS) | (1 << 5))

# per-request storage key for the parsed body (aiohttp >= 3.12 warns on plain str keys)
_BODY: Any = web.RequestKey("fake_discord_body", object) if hasattr(web, "RequestKey") else "fake_discord_body"

Json = dict[str, Any]


def _iso(dt: datetime.datetime | None = None) -> str:
    dt = dt or datetime.datetime.now(datetime.UTC)
    return dt.isoformat()


@dataclasses.dataclass
class RecordedRequest:
    method: str
    path: str  # path *without* the /api/v{N} prefix, e.g. '/users/@me'
    raw_path: str  # full path as received, e.g. '/api/v10/users/@me'
    query: dict[str, str]
    json: Any
    headers: dict[str, str]
    status: int = 0
    files: dict[str, bytes] = dataclasses.field(default_factory=dict)  # multipart attachments by form name

    def __repr__(self) -> str:  # compact for assertion messages
        return f"<{self.method} {self.path} q={self.query} json={self.json!r} -> {self.status}>"


class GatewayConnection:
    """One client websocket connection to the fake gateway."""

    def __init__(self, fake: FakeDiscord, ws: web.WebSocketResponse, query: dict[str, str], host: str = "") -> None:
        self.fake = fake
        self.ws = ws
        self.query = query
        self.host = host  # Host header of the websocket upgrade request
        self.session_id: str | None = None
        self.seq = 0
        self.identify: Json | None = None
        self.resume: Json | None = None
        self.heartbeats: list[Any] = []
        self.received: list[Json] = []
        self.ready = asyncio.Event()  # READY (or RESUMED) sent
        self.closed = asyncio.Event()
        self.close_code: int | None = None
        # transport compression is only used when asked for AND enabled on the fake
        self._compressor = None
        if fake.transport_compression and query.get("compress") == "zlib-stream":
            self._compressor = zlib.compressobj()

    async def send(self, payload: Json) -> None:
        text = json.dumps(payload, separators=(",", ":"))
        if self._compressor is not None:
            data = self._compressor.compress(text.encode()) + self._compressor.flush(zlib.Z_SYNC_FLUSH)
            await self.ws.send_bytes(data)
        else:
            await self.ws.send_str(text)

    async def dispatch(self, event: str, data: Json) -> int:
        self.seq += 1
        if self.session_id is not None:
            self.fake._sessions[self.session_id] = self.seq
        await self.send({"op": 0, "t": event, "s": self.seq, "d": data})
        return self.seq


class FakeDiscord:
    """Fake Discord REST + gateway server on 127.0.0.1:<random port>."""

    def __init__(
        self,
        *,
        token: str = "fake-bot-token",
        bot_id: int = 1111111111111111111,
        application_id: int | None = None,
        guild_id: int = 2222222222222222222,
        channel_id: int = 3333333333333333333,
        heartbeat_interval_ms: int = 41250,
        send_guild_create: bool = True,
        transport_compression: bool = False,
        ratelimit_headers: bool = True,
        tls: ssl.SSLContext | None = None,
        api_version: int = 10,
    ) -> None:
        self.token = token
        self.bot_id = bot_id
        self.application_id = application_id or bot_id
        self.guild_id = guild_id
        self.channel_id = channel_id
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.send_guild_create = send_guild_create
        self.transport_compression = transport_compression
        self.ratelimit_headers = ratelimit_headers
        self.tls = tls
        self.forbidden_channels: set[int] = set()  # channel routes answer 403 Missing Access
        self.forbidden_guilds: set[int] = set()  # command syncs there answer 403 (no applications.commands scope)
        self.api_version = api_version

        self.requests: list[RecordedRequest] = []
        self.errors: list[str] = []  # exceptions raised inside the fake's own handlers
        self.connections: list[GatewayConnection] = []
        self.global_commands: list[Json] = []
        self.guild_commands: dict[int, list[Json]] = {}
        self.messages: dict[int, Json] = {}
        self.dm_channels: dict[int, int] = {}  # user id -> the DM channel the bot opened with them
        self.nonces: dict[tuple[int, str], int] = {}  # (channel, nonce) -> message id, for enforce_nonce
        self.uploads: dict[str, bytes] = {}  # attachment files members "uploaded", served at /attachments/{id}
        self._original_by_token: dict[str, int] = {}
        self._followups_by_token: dict[str, list[int]] = {}
        self._interactions: dict[int, Json] = {}  # interaction id -> payload we sent
        self._sessions: dict[str, int] = {}  # session id -> last seq
        self._counter = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port: int = 0

        self.bot_user: Json = {
            "id": str(bot_id),
            "username": "fakebot",
            "global_name": None,
            "discriminator": "0000",
            "avatar": None,
            "bot": True,
            "flags": 0,
            "public_flags": 0,
            "verified": True,
            "mfa_enabled": False,
        }
        self.owner_user: Json = self.user(4444444444444444444, "owner")

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> FakeDiscord:
        app = web.Application(middlewares=[self._record_middleware])
        v = r"{version:\d+}"
        r = app.router
        # gateway websocket; discord.py's DEFAULT_GATEWAY is 'wss://gateway.discord.gg/' -> path '/'
        r.add_get("/", self._gateway)
        r.add_get("/gateway", self._gateway)
        r.add_get(f"/api/v{v}/gateway", self._get_gateway)
        r.add_get(f"/api/v{v}/gateway/bot", self._get_gateway_bot)
        r.add_get(f"/api/v{v}/users/@me", self._get_me)
        r.add_post(f"/api/v{v}/users/@me/channels", self._open_dm)
        r.add_get(f"/api/v{v}/oauth2/applications/@me", self._get_application)
        r.add_get(f"/api/v{v}/applications/@me", self._get_application)
        r.add_get(f"/api/v{v}/applications/{{app_id}}/commands", self._get_commands)
        r.add_put(f"/api/v{v}/applications/{{app_id}}/commands", self._put_commands)
        r.add_get(f"/api/v{v}/applications/{{app_id}}/guilds/{{guild_id}}/commands", self._get_commands)
        r.add_put(f"/api/v{v}/applications/{{app_id}}/guilds/{{guild_id}}/commands", self._put_commands)
        r.add_post(f"/api/v{v}/interactions/{{iid}}/{{token}}/callback", self._interaction_callback)
        r.add_post(f"/api/v{v}/webhooks/{{wid}}/{{token}}", self._webhook_execute)
        r.add_get(f"/api/v{v}/webhooks/{{wid}}/{{token}}/messages/{{mid}}", self._webhook_get_message)
        r.add_patch(f"/api/v{v}/webhooks/{{wid}}/{{token}}/messages/{{mid}}", self._webhook_edit_message)
        r.add_delete(f"/api/v{v}/webhooks/{{wid}}/{{token}}/messages/{{mid}}", self._webhook_delete_message)
        r.add_post(f"/api/v{v}/channels/{{cid}}/messages", self._channel_send)
        r.add_patch(f"/api/v{v}/channels/{{cid}}/messages/{{mid}}", self._channel_edit)
        r.add_delete(f"/api/v{v}/channels/{{cid}}/messages/{{mid}}", self._channel_delete)
        r.add_get("/attachments/{aid}", self._attachment)
        r.add_route("*", "/{tail:.*}", self._not_found)

        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self.tls)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        for conn in self.connections:
            if not conn.ws.closed:
                await conn.ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()

    # ------------------------------------------------------------------ urls
    @property
    def http_base(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """Value for discord.http.Route.BASE."""
        return f"{self.http_base}/api/v{self.api_version}"

    @property
    def gateway_url(self) -> str:
        """Value for discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY (and what /gateway/bot returns)."""
        scheme = "wss" if self.tls else "ws"
        return f"{scheme}://127.0.0.1:{self.port}/"

    # ------------------------------------------------------------------ ids / objects
    def snowflake(self) -> int:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (ms << 22) | (next(self._counter) & 0x3FFFFF)

    @staticmethod
    def user(user_id: int, username: str = "alice") -> Json:
        return {
            "id": str(user_id),
            "username": username,
            "global_name": username.title(),
            "discriminator": "0",
            "avatar": None,
            "public_flags": 0,
        }

    def member(
        self, user_id: int = 5555555555555555555, username: str = "alice", permissions: str = MEMBER_PERMISSIONS
    ) -> Json:
        return {
            "user": self.user(user_id, username),
            "roles": [],
            "joined_at": _iso(),
            "deaf": False,
            "mute": False,
            "flags": 0,  # REQUIRED by discord.Member (KeyError without it)
            "pending": False,
            "nick": None,
            "avatar": None,
            "premium_since": None,
            "communication_disabled_until": None,
            "permissions": permissions,  # only present in interaction payloads
        }

    def text_channel(self, channel_id: int | None = None, name: str = "general") -> Json:
        return {
            "id": str(channel_id or self.channel_id),
            "type": 0,
            "guild_id": str(self.guild_id),
            "name": name,
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
            "permissions": "2248473465835073",  # only in interaction payloads
        }

    def guild(self) -> Json:
        """A small but complete GUILD_CREATE payload."""
        everyone = {
            "id": str(self.guild_id),
            "name": "@everyone",
            "permissions": "2248473465835073",
            "position": 0,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }
        ch = dict(self.text_channel())
        ch.pop("permissions")
        me = self.member(self.bot_id, "fakebot")
        me["user"] = dict(self.bot_user)
        me.pop("permissions")
        return {
            "id": str(self.guild_id),
            "name": "Fake Guild",
            "icon": None,
            "owner_id": self.owner_user["id"],
            "features": [],
            "roles": [everyone],
            "emojis": [],
            "stickers": [],
            "channels": [ch],
            "threads": [],
            "members": [me],
            "member_count": 2,
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "large": False,
            "unavailable": False,
            "joined_at": _iso(),
            "preferred_locale": "en-US",
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "system_channel_flags": 0,
            "afk_timeout": 300,
        }

    def application(self) -> Json:
        # Required by discord.AppInfo: id, name, description, icon, bot_public,
        # bot_require_code_grant, owner, verify_key. interactions_endpoint_url must be
        # None, otherwise discord.py logs a warning that app commands won't be received.
        return {
            "id": str(self.application_id),
            "name": "Fake App",
            "description": "",
            "icon": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": self.owner_user,
            "verify_key": "00" * 32,
            "team": None,
            "flags": 0,
            "interactions_endpoint_url": None,
            "bot": self.bot_user,
        }

    def message(
        self,
        *,
        channel_id: int | None = None,
        content: str = "",
        components: list[Json] | None = None,
        embeds: list[Json] | None = None,
        flags: int = 0,
        author: Json | None = None,
        webhook_id: int | None = None,
        interaction_metadata: Json | None = None,
        message_type: int = 0,
    ) -> Json:
        mid = self.snowflake()
        msg: Json = {
            "id": str(mid),
            "type": message_type,
            "channel_id": str(channel_id or self.channel_id),
            "content": content or "",
            "author": author or self.bot_user,
            "timestamp": _iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": embeds or [],
            "components": components or [],
            "pinned": False,
            "flags": flags,
        }
        if webhook_id is not None:
            msg["webhook_id"] = str(webhook_id)
            msg["application_id"] = str(self.application_id)
        if interaction_metadata is not None:
            msg["interaction_metadata"] = interaction_metadata
        self.messages[mid] = msg
        return msg

    # ------------------------------------------------------------------ interactions
    def _interaction_base(
        self, itype: int, *, user_id: int, username: str, in_guild: bool, permissions: str = MEMBER_PERMISSIONS
    ) -> Json:
        iid = self.snowflake()
        payload: Json = {
            "id": str(iid),
            "application_id": str(self.application_id),  # REQUIRED
            "type": itype,  # REQUIRED
            "token": f"itoken-{iid}",  # REQUIRED (used in callback / webhook URLs)
            "version": 1,  # REQUIRED
            "attachment_size_limit": 10 * 1024 * 1024,  # REQUIRED (KeyError in 2.7 without it)
            "locale": "en-US",
            "app_permissions": "2248473465835073",
            "entitlements": [],
            "entitlement_sku_ids": [],
        }
        if in_guild:
            payload["guild_id"] = str(self.guild_id)
            payload["guild"] = {"id": str(self.guild_id), "locale": "en-US", "features": []}
            payload["guild_locale"] = "en-US"
            payload["channel_id"] = str(self.channel_id)
            payload["channel"] = self.text_channel()
            payload["member"] = self.member(user_id, username, permissions)  # guild -> 'member' (with nested user)
            payload["authorizing_integration_owners"] = {"0": str(self.guild_id)}
            payload["context"] = 0  # GUILD
        else:
            dm_id = self.dm_channels.get(user_id) or self.snowflake()  # the bot's DM with them, once opened
            payload["channel_id"] = str(dm_id)
            payload["channel"] = {
                "id": str(dm_id),
                "type": 1,
                "recipients": [self.user(user_id, username)],
                "last_message_id": None,
                "flags": 0,
            }
            payload["user"] = self.user(user_id, username)  # DM -> 'user'
            payload["authorizing_integration_owners"] = {"1": str(user_id)}
            payload["context"] = 1  # BOT_DM
        return payload

    def slash_command(
        self,
        name: str,
        *,
        options: list[Json] | None = None,
        command_id: int | None = None,
        user_id: int = 5555555555555555555,
        username: str = "alice",
        in_guild: bool = True,
        permissions: str = MEMBER_PERMISSIONS,
        resolved: Json | None = None,
        itype: int = 2,
    ) -> Json:
        """INTERACTION_CREATE payload for a CHAT_INPUT application command (type 2; autocomplete is type 4)."""
        payload = self._interaction_base(
            itype, user_id=user_id, username=username, in_guild=in_guild, permissions=permissions
        )
        if command_id is None:
            synced = {c["name"]: c for c in self.global_commands}
            command_id = int(synced[name]["id"]) if name in synced else self.snowflake()
        payload["data"] = {
            "id": str(command_id),
            "name": name,  # discord.py resolves the command by NAME (and data.guild_id for guild cmds)
            "type": 1,  # CHAT_INPUT
            "options": options or [],  # [{'name': 'text', 'type': 3, 'value': 'hi'}]
        }
        if resolved is not None:
            payload["data"]["resolved"] = resolved
        return payload

    def autocomplete(self, name: str, *, options: list[Json], **kwargs: Any) -> Json:
        """INTERACTION_CREATE payload for APPLICATION_COMMAND_AUTOCOMPLETE (type 4); one option has focused=True."""
        return self.slash_command(name, options=options, itype=4, **kwargs)

    def resolved_member(self, user_id: int, username: str) -> Json:
        """`data.resolved` for a USER option naming a member of the guild."""
        member = self.member(user_id, username)
        user = member.pop("user")
        return {"users": {str(user_id): user}, "members": {str(user_id): member}}

    def component_click(
        self,
        message: Json,
        custom_id: str,
        *,
        component_type: int = 2,
        user_id: int = 5555555555555555555,
        username: str = "alice",
        in_guild: bool = True,
        values: list[str] | None = None,
        permissions: str = MEMBER_PERMISSIONS,
    ) -> Json:
        """INTERACTION_CREATE payload for a MESSAGE_COMPONENT click (type 3).

        ``message`` must carry the components (DynamicItem dispatch rebuilds the view
        from message['components'] and silently ignores the click if the custom_id is
        not found there).
        """
        payload = self._interaction_base(
            3, user_id=user_id, username=username, in_guild=in_guild, permissions=permissions
        )
        payload["data"] = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            payload["data"]["values"] = values
        payload["message"] = message
        return payload

    async def send_interaction(self, payload: Json, conn: GatewayConnection | None = None) -> None:
        self._interactions[int(payload["id"])] = payload
        await self.dispatch("INTERACTION_CREATE", payload, conn)

    def original_response(self, interaction: Json) -> Json:
        """The message the bot's response to ``interaction`` created/updated (what the user sees)."""
        return self.messages[self._original_by_token[interaction["token"]]]

    def followup_messages(self, interaction: Json) -> list[Json]:
        """The follow-up messages the bot sent for ``interaction``, oldest first."""
        return [self.messages[mid] for mid in self._followups_by_token.get(interaction["token"], [])]

    async def wait_for_callback(self, interaction: Json, within: float = 5.0) -> RecordedRequest:
        iid = interaction["id"]
        return await self.wait_for_request("POST", rf"/interactions/{iid}/[^/]+/callback", within=within)

    # ------------------------------------------------------------------ gateway control
    @property
    def connection(self) -> GatewayConnection:
        live = [c for c in self.connections if not c.ws.closed]
        if not live:
            raise RuntimeError("no live gateway connection")
        return live[-1]

    async def dispatch(self, event: str, data: Json, conn: GatewayConnection | None = None) -> int:
        return await (conn or self.connection).dispatch(event, data)

    async def wait_for_connection_ready(
        self, within: float = 5.0, *, after: GatewayConnection | None = None
    ) -> GatewayConnection:
        """Wait for a live connection that got READY/RESUMED; with ``after``, only one opened later than it."""
        start = self.connections.index(after) + 1 if after is not None else 0

        def _pick() -> GatewayConnection | None:
            live = [c for c in self.connections[start:] if c.ready.is_set() and not c.ws.closed]
            return live[-1] if live else None

        async def _wait() -> GatewayConnection:
            async with self._changed:
                await self._changed.wait_for(lambda: _pick() is not None)
            return _pick()  # type: ignore[return-value]

        return await asyncio.wait_for(_wait(), within)

    async def request_reconnect(self) -> None:
        """op 7 RECONNECT: client closes and RESUMEs at READY.resume_gateway_url."""
        await self.connection.send({"op": 7, "d": None})

    async def invalidate_session(self, resumable: bool = False) -> None:
        await self.connection.send({"op": 9, "d": resumable})

    # ------------------------------------------------------------------ request log helpers
    def find_requests(self, method: str | None = None, path: str | None = None) -> list[RecordedRequest]:
        out = []
        for r in self.requests:
            if method and r.method != method:
                continue
            if path and not re.fullmatch(path, r.path):
                continue
            out.append(r)
        return out

    async def wait_for_request(
        self, method: str, path: str, within: float = 5.0, predicate: Callable[[RecordedRequest], bool] | None = None
    ) -> RecordedRequest:
        def _match() -> RecordedRequest | None:
            for r in self.find_requests(method, path):
                if r.status and (predicate is None or predicate(r)):
                    return r
            return None

        async def _wait() -> RecordedRequest:
            async with self._changed:
                await self._changed.wait_for(lambda: _match() is not None)
            return _match()  # type: ignore[return-value]

        try:
            return await asyncio.wait_for(_wait(), within)
        except TimeoutError:
            raise AssertionError(f"no {method} {path} within {within}s; got: {self.requests!r}") from None

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # ------------------------------------------------------------------ http plumbing
    def _json(self, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
        # NB: discord.py's json_or_text() only parses the body if Content-Type is EXACTLY
        # 'application/json'. aiohttp's web.json_response() sends 'application/json; charset=utf-8'
        # which makes discord.py treat the body as a str -> TypeError later. So build it by hand.
        h = {"Content-Type": "application/json"}
        if self.ratelimit_headers:
            # Either send a *consistent* set or none at all: with X-RateLimit-Remaining present
            # discord.py also needs X-RateLimit-Reset-After (or X-RateLimit-Reset), and a
            # Remaining of 0 makes it sleep Reset-After seconds before the next call.
            h.update(
                {
                    "X-RateLimit-Limit": "50",
                    "X-RateLimit-Remaining": "49",
                    "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
                    "X-RateLimit-Reset-After": "1.000",
                    "X-RateLimit-Bucket": "fakebucket",
                }
            )
        if headers:
            h.update(headers)
        return web.Response(status=status, body=json.dumps(data).encode(), headers=h)

    @web.middleware
    async def _record_middleware(self, request: web.Request, handler: Callable[..., Any]) -> web.StreamResponse:
        if request.path in ("/", "/gateway"):
            return await handler(request)
        body: Any = None
        files: dict[str, bytes] = {}
        ctype = request.headers.get("Content-Type", "")
        if request.can_read_body:
            if ctype.startswith("multipart/"):
                form = await request.post()
                raw = form.get("payload_json")
                body = json.loads(raw) if isinstance(raw, str) else None
                files = {k: v.file.read() for k, v in form.items() if isinstance(v, web.FileField)}
            else:
                text = await request.text()
                body = json.loads(text) if text and "json" in ctype else (text or None)
        request[_BODY] = body
        m = re.match(r"^/api/v\d+", request.path)
        rec = RecordedRequest(
            method=request.method,
            path=request.path[m.end() :] if m else request.path,
            raw_path=request.path,
            query=dict(request.query),
            json=body,
            headers=dict(request.headers),
            files=files,
        )
        self.requests.append(rec)
        auth = request.headers.get("Authorization")
        is_webhookish = rec.path.startswith(("/interactions/", "/webhooks/", "/attachments/"))  # CDN: no token
        if not is_webhookish and auth != f"Bot {self.token}":
            resp: web.StreamResponse = self._json({"message": "401: Unauthorized", "code": 0}, status=401)
        else:
            try:
                resp = await handler(request)
            except Exception as exc:  # a bug in the fake: surface it, don't let discord.py retry
                self.errors.append(f"{request.method} {request.path}: {exc!r}")
                # 503 -> discord.py raises DiscordServerError at once (500/502/504/524 are retried with 1-9 s sleeps)
                resp = self._json({"message": f"fake error: {exc!r}", "code": 0}, status=503)
        if "X-RateLimit-Bucket" in resp.headers:
            # one bucket per route, like Discord (a single shared bucket would make every
            # route share one discord.py limiter)
            resource = request.match_info.route.resource
            route = f"{request.method} {resource.canonical if resource else '?'}"
            resp.headers["X-RateLimit-Bucket"] = hashlib.sha1(route.encode()).hexdigest()[:16]
        rec.status = resp.status
        await self._notify()
        return resp

    def attachment(self, filename: str, data: bytes) -> Json:
        """An attachment a member uploaded with a slash command (for `data.resolved.attachments`), served by us."""
        aid = str(self.snowflake())
        self.uploads[aid] = data
        url = f"{self.http_base}/attachments/{aid}"
        return {"id": aid, "filename": filename, "size": len(data), "url": url, "proxy_url": url}

    def modal_submit(
        self,
        custom_id: str,
        components: list[Json],
        *,
        user_id: int = 5555555555555555555,
        username: str = "alice",
        in_guild: bool = True,
        permissions: str = MEMBER_PERMISSIONS,
    ) -> Json:
        """INTERACTION_CREATE payload for a MODAL_SUBMIT (type 5) with the submitted components' values."""
        payload = self._interaction_base(
            5, user_id=user_id, username=username, in_guild=in_guild, permissions=permissions
        )
        payload["data"] = {"custom_id": custom_id, "components": components}
        return payload

    async def _attachment(self, request: web.Request) -> web.Response:
        data = self.uploads.get(request.match_info["aid"])
        return web.Response(body=data) if data is not None else web.Response(status=404)

    async def _not_found(self, request: web.Request) -> web.Response:
        return self._json(
            {"message": f"404: Not Found (fake has no route for {request.method} {request.path})", "code": 0}, 404
        )

    # ------------------------------------------------------------------ REST handlers
    async def _get_gateway(self, request: web.Request) -> web.Response:
        return self._json({"url": self.gateway_url})

    async def _get_gateway_bot(self, request: web.Request) -> web.Response:
        return self._json(
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 14400000, "max_concurrency": 1},
            }
        )

    async def _open_dm(self, request: web.Request) -> web.Response:
        """POST /users/@me/channels: the DM channel with a user (the same one on every call, as on Discord)."""
        recipient = int((request[_BODY] or {})["recipient_id"])
        channel_id = self.dm_channels.setdefault(recipient, self.snowflake())
        return self._json(
            {
                "id": str(channel_id),
                "type": 1,
                "recipients": [self.user(recipient, "alice")],
                "last_message_id": None,
                "flags": 0,
            }
        )

    async def _get_me(self, request: web.Request) -> web.Response:
        return self._json(self.bot_user)

    async def _get_application(self, request: web.Request) -> web.Response:
        return self._json(self.application())

    def _command_store(self, request: web.Request) -> list[Json]:
        gid = request.match_info.get("guild_id")
        return self.global_commands if gid is None else self.guild_commands.setdefault(int(gid), [])

    async def _get_commands(self, request: web.Request) -> web.Response:
        return self._json(self._command_store(request))

    async def _put_commands(self, request: web.Request) -> web.Response:
        gid = request.match_info.get("guild_id")
        if gid is not None and int(gid) in self.forbidden_guilds:
            return self._json({"message": "Missing Access", "code": 50001}, 403)
        existing = {c["name"]: c for c in self._command_store(request)}
        out = []
        for cmd in request[_BODY] or []:
            c = dict(cmd)
            c["id"] = existing.get(cmd["name"], {}).get("id") or str(self.snowflake())
            c["application_id"] = str(self.application_id)
            c["version"] = str(self.snowflake())
            c.setdefault("type", 1)
            c.setdefault("description", "")
            if gid is not None:
                c["guild_id"] = gid
            out.append(c)
        if gid is None:
            self.global_commands = out
        else:
            self.guild_commands[int(gid)] = out
        return self._json(out)

    async def _interaction_callback(self, request: web.Request) -> web.StreamResponse:
        iid = int(request.match_info["iid"])
        token = request.match_info["token"]
        body = request[_BODY] or {}
        cb_type = body.get("type")
        data = body.get("data") or {}
        interaction = self._interactions.get(iid, {})
        channel_id = int(interaction.get("channel_id") or self.channel_id)
        flags = int(data.get("flags") or 0)
        message: Json | None = None
        meta = {
            "id": str(iid),
            "type": interaction.get("type", 2),
            "user": (interaction.get("member") or {}).get("user") or interaction.get("user"),
            "authorizing_integration_owners": interaction.get("authorizing_integration_owners", {}),
        }
        if cb_type == 4:  # CHANNEL_MESSAGE_WITH_SOURCE
            message = self.message(
                channel_id=channel_id,
                content=data.get("content") or "",
                components=data.get("components"),
                embeds=data.get("embeds"),
                flags=flags,
                webhook_id=self.application_id,
                interaction_metadata=meta,
                message_type=20,
            )
            self._original_by_token[token] = int(message["id"])
        elif cb_type == 5:  # DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE ("thinking")
            message = self.message(
                channel_id=channel_id,
                flags=flags | 128,
                webhook_id=self.application_id,
                interaction_metadata=meta,
                message_type=20,
            )
            self._original_by_token[token] = int(message["id"])
        elif cb_type in (6, 7):  # DEFERRED_UPDATE_MESSAGE / UPDATE_MESSAGE (components)
            src = interaction.get("message")
            if src is not None:
                message = self.messages.setdefault(int(src["id"]), dict(src))
                if cb_type == 7:
                    for key in ("content", "components", "embeds"):
                        if key in data:
                            message[key] = data[key]
                    message["edited_timestamp"] = _iso()
                self._original_by_token[token] = int(message["id"])
        if request.query.get("with_response") not in ("1", "true", "True"):
            return web.Response(status=204)
        result: Json = {
            "interaction": {
                "id": str(iid),
                "type": interaction.get("type", 2),
                "response_message_loading": cb_type == 5,
                "response_message_ephemeral": bool(flags & 64),
            }
        }
        if message is not None:
            result["interaction"]["response_message_id"] = message["id"]
            if cb_type in (4, 5, 7):
                result["resource"] = {"type": cb_type, "message": message}
        return self._json(result)

    def _resolve_webhook_message(self, request: web.Request) -> Json | None:
        mid = request.match_info["mid"]
        mid_int = self._original_by_token.get(request.match_info["token"]) if mid == "@original" else int(mid)
        return self.messages.get(mid_int) if mid_int is not None else None

    async def _webhook_execute(self, request: web.Request) -> web.StreamResponse:
        data = request[_BODY] or {}
        msg = self.message(
            content=data.get("content") or "",
            components=data.get("components"),
            embeds=data.get("embeds"),
            flags=int(data.get("flags") or 0),
            webhook_id=int(request.match_info["wid"]),
        )
        self._followups_by_token.setdefault(request.match_info["token"], []).append(int(msg["id"]))
        if request.query.get("wait") in ("1", "true", "True"):
            return self._json(msg)
        return web.Response(status=204)

    async def _webhook_get_message(self, request: web.Request) -> web.Response:
        msg = self._resolve_webhook_message(request)
        if msg is None:
            return self._json({"message": "Unknown Message", "code": 10008}, 404)
        return self._json(msg)

    async def _webhook_edit_message(self, request: web.Request) -> web.Response:
        msg = self._resolve_webhook_message(request)
        if msg is None:
            return self._json({"message": "Unknown Message", "code": 10008}, 404)
        data = request[_BODY] or {}
        for key in ("content", "components", "embeds"):
            if key in data:
                msg[key] = data[key]
        msg["flags"] = int(msg.get("flags", 0)) & ~128  # no longer "loading"
        msg["edited_timestamp"] = _iso()
        return self._json(msg)

    async def _webhook_delete_message(self, request: web.Request) -> web.Response:
        msg = self._resolve_webhook_message(request)
        if msg is not None:
            self.messages.pop(int(msg["id"]), None)
        return web.Response(status=204)

    def _forbidden(self, request: web.Request) -> web.Response | None:
        if int(request.match_info["cid"]) in self.forbidden_channels:
            return self._json({"message": "Missing Access", "code": 50001}, 403)
        return None

    async def _channel_send(self, request: web.Request) -> web.Response:
        if (refused := self._forbidden(request)) is not None:
            return refused
        data = request[_BODY] or {}
        channel_id = int(request.match_info["cid"])
        nonce = data.get("nonce")
        if nonce is not None and data.get("enforce_nonce"):
            # Like Discord: a repeated nonce from the same author (within a few minutes) returns the first message.
            earlier = self.messages.get(self.nonces.get((channel_id, str(nonce)), 0))
            if earlier is not None:
                return self._json(earlier)
        msg = self.message(
            channel_id=channel_id,
            content=data.get("content") or "",
            components=data.get("components"),
            embeds=data.get("embeds"),
            flags=int(data.get("flags") or 0),
        )
        if nonce is not None:
            msg["nonce"] = str(nonce)
            self.nonces[(channel_id, str(nonce))] = int(msg["id"])
        return self._json(msg)

    async def _channel_edit(self, request: web.Request) -> web.Response:
        if (refused := self._forbidden(request)) is not None:
            return refused
        msg = self.messages.get(int(request.match_info["mid"]))
        if msg is None:
            return self._json({"message": "Unknown Message", "code": 10008}, 404)
        data = request[_BODY] or {}
        for key in ("content", "components", "embeds", "flags"):
            if key in data:
                msg[key] = data[key]
        msg["edited_timestamp"] = _iso()
        return self._json(msg)

    async def _channel_delete(self, request: web.Request) -> web.Response:
        self.messages.pop(int(request.match_info["mid"]), None)
        return web.Response(status=204)

    # ------------------------------------------------------------------ gateway
    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        conn = GatewayConnection(self, ws, dict(request.query), request.host)
        self.connections.append(conn)
        try:
            await conn.send({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
            async for msg in ws:
                if msg.type is aiohttp.WSMsgType.TEXT:  # discord.py only ever sends text frames
                    try:
                        await self._on_gateway_payload(conn, json.loads(msg.data))
                    except Exception as exc:  # a bug in the fake: surface it
                        self.errors.append(f"gateway payload {msg.data[:200]!r}: {exc!r}")
                        await ws.close(code=1011)
                elif msg.type is aiohttp.WSMsgType.ERROR:
                    break
        finally:
            conn.close_code = ws.close_code
            conn.closed.set()
            await self._notify()
        return ws

    async def _on_gateway_payload(self, conn: GatewayConnection, payload: Json) -> None:
        conn.received.append(payload)
        op = payload.get("op")
        d = payload.get("d")
        if op == 1:  # HEARTBEAT -> HEARTBEAT_ACK
            conn.heartbeats.append(d)
            await conn.send({"op": 11})
        elif op == 2:  # IDENTIFY
            conn.identify = d
            if d.get("token") != self.token:
                await conn.ws.close(code=4004, message=b"Authentication failed.")
                return
            conn.session_id = f"fake-session-{self.snowflake()}"
            shard = d.get("shard") or [0, 1]
            ready: Json = {
                "v": self.api_version,
                "user": self.bot_user,
                "guilds": [{"id": str(self.guild_id), "unavailable": True}] if self.send_guild_create else [],
                "session_id": conn.session_id,
                "resume_gateway_url": self.gateway_url,  # MUST be local: used for RESUME
                "shard": shard,  # AutoShardedClient reads data['shard'][0]
                "application": {"id": str(self.application_id), "flags": 0},
                "private_channels": [],
                "relationships": [],
                "presences": [],
                "guild_join_requests": [],
                "geo_ordered_rtc_regions": [],
                "user_settings": {},
                "_trace": ['["fake-discord",{"micros":0}]'],
            }
            await conn.dispatch("READY", ready)
            if self.send_guild_create:
                await conn.dispatch("GUILD_CREATE", self.guild())
            conn.ready.set()
            await self._notify()
        elif op == 6:  # RESUME
            conn.resume = d
            if d.get("token") != self.token or d.get("session_id") not in self._sessions:
                await conn.send({"op": 9, "d": False})
                return
            conn.session_id = d["session_id"]
            conn.seq = self._sessions[conn.session_id]
            await conn.dispatch("RESUMED", {"_trace": ["fake"]})
            conn.ready.set()
            await self._notify()
        # op 3 (presence), 4 (voice state), 8 (request members): ignored


def point_discord_py_at(fake: FakeDiscord, monkeypatch: Any) -> None:
    """Least invasive redirection that needs no TLS: two class attributes.

    * discord.http.Route.BASE (http.py:310) -- every REST call *and* every webhook /
      interaction-callback call (webhook/async_.py imports the same Route) is built
      from it at Route() construction time.
    * discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY (gateway.py:314) -- a plain
      discord.Client never asks /gateway or /gateway/bot in 2.7; it connects straight
      to DEFAULT_GATEWAY. (AutoShardedClient asks /gateway/bot when shard_count is None.)
    """
    import discord.gateway
    import discord.http
    import yarl

    monkeypatch.setattr(discord.http.Route, "BASE", fake.api_base)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake.gateway_url))


class RefuseAllResolver(aiohttp.abc.AbstractResolver):
    """DNS resolver that refuses every hostname. aiohttp does not resolve IP literals, so
    http://127.0.0.1:<port> (the fake) still works while anything else the bot might
    reach for (cdn.discordapp.com, discord.com when a patch was forgotten, ...) fails fast."""

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[Any]:
        raise OSError(f"offline test: refusing to resolve {host!r}")

    async def close(self) -> None:
        pass


def offline_connector() -> aiohttp.TCPConnector:
    """Pass as discord.Client(connector=...) together with point_discord_py_at().
    Create it inside the running loop; the client's session owns and closes it, so use
    one per client instance."""
    return aiohttp.TCPConnector(resolver=RefuseAllResolver(), limit=0)
