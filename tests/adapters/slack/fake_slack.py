"""A local fake of the Slack platform for end-to-end tests of the Bolt (AsyncApp) front door.

Adapted from the verified recipe in shared/notes/fake-slack. One aiohttp server on 127.0.0.1 (random port) plays
every Slack endpoint quizbot talks to:

* Web API            POST/GET /api/{method}          (point ``AsyncWebClient(base_url=fake.api_url)`` here)
* response_url       POST /commands/... /actions/... (what ``respond()`` posts to; put ``fake.response_url(...)``
                                                      into the payloads you send)
* OAuth consent page GET  /oauth/v2/authorize        (``authorization_url=fake.authorization_url``)
* Socket Mode        GET  /link/?ticket=...          (websocket URL handed out by apps.connections.open)

Every request is recorded as a ``Call`` (method name, query, form, JSON body, headers, token) in ``fake.calls``;
``await fake.wait_for("chat.postMessage")`` waits for work a listener does after its ack. Answers follow the shapes
of the real API (``ok``/``error``, HTTP 200 for API errors, ``x-oauth-scopes``), including common errors, and
``fail_next`` injects one failure (e.g. a 429 with Retry-After). Signing helpers and payload builders live here too.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import itertools
import json
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aiohttp import WSMsgType, web

JSON = dict[str, Any]


# ----------------------------------------------------------------------------------------------
# recorded traffic
# ----------------------------------------------------------------------------------------------


@dataclass
class Call:
    """One request the fake received."""

    method: str  # Web API method ("chat.postMessage"), or "response_url", "oauth.authorize"
    http_method: str
    path: str
    headers: dict[str, str]
    query: dict[str, str]
    form: dict[str, str]
    json: JSON | None
    raw: bytes
    token: str | None
    at: float = field(default_factory=time.monotonic)

    @property
    def args(self) -> JSON:
        """All arguments merged the way Slack reads them: query < form < JSON body.

        JSON-encoded form fields (``blocks``, ``view`` ...) are decoded."""
        merged: JSON = {}
        merged.update(self.query)
        merged.update(self.form)
        if self.json:
            merged.update(self.json)
        merged.pop("token", None)
        for key in ("blocks", "attachments", "view", "metadata", "files"):
            value = merged.get(key)
            if isinstance(value, str) and value[:1] in "[{":
                with contextlib.suppress(ValueError):
                    merged[key] = json.loads(value)
        return merged


@dataclass
class Workspace:
    team_id: str
    name: str
    domain: str
    bot_token: str
    bot_user_id: str
    bot_id: str
    scopes: str = "chat:write,chat:write.public,commands,im:write,users:read,channels:history,groups:history"
    enterprise_id: str | None = None
    bot_refresh_token: str | None = None


@dataclass
class SocketEnvelopeAck:
    envelope_id: str
    frame: JSON

    @property
    def payload(self) -> JSON | None:
        return self.frame.get("payload")


class FakeSlack:
    """The fake. Use ``async with FakeSlack() as fake:`` or ``await fake.start()`` / ``await fake.close()``."""

    def __init__(
        self,
        *,
        app_id: str = "A0QUIZBOT1",
        client_id: str = "1111111111.2222222222",
        client_secret: str = "fake-client-secret",
        app_token: str = "xapp-1-A0QUIZBOT1-1111-fakeapptoken",
        signing_secret: str = "fake-signing-secret",
    ) -> None:
        self.app_id = app_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.app_token = app_token
        self.signing_secret = signing_secret

        self.calls: list[Call] = []
        self.workspaces: dict[str, Workspace] = {}
        self.users: dict[str, JSON] = {}
        self.messages: dict[tuple[str, str], JSON] = {}
        self.views: list[JSON] = []
        self.uploads: dict[str, JSON] = {}  # file id -> name, length, data (bytes once uploaded), channel, ...
        self.private_files: dict[str, bytes] = {}  # files members put in a modal's file input, behind the bot token
        # token -> (team_id, kind, user_id)
        self._tokens: dict[str, tuple[str, str, str]] = {}
        self._oauth_codes: dict[str, JSON] = {}
        self._pending_consent: JSON | None = None
        self._failures: dict[str, list[tuple[int, JSON, dict[str, str]]]] = {}
        self._delays: dict[str, float] = {}
        self._seq = itertools.count(1)
        self._ts_base = int(time.time())
        self._changed = asyncio.Condition()

        # Socket Mode
        self.socket_tickets: dict[str, float] = {}
        self.sockets: list[web.WebSocketResponse] = []
        self.socket_frames: list[JSON] = []  # every text frame the client sent us
        self._socket_acks: dict[str, asyncio.Future[JSON]] = {}
        self._socket_connected = asyncio.Event()
        self.socket_connections = 0

        self.redirect_uri: str | None = None  # the app's registered OAuth redirect URL
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

        self._handlers: dict[str, Callable[[Call], Awaitable[tuple[int, JSON]]]] = {
            "api.test": self._api_test,
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "views.publish": self._views_publish,
            "views.open": self._views_open,
            "users.info": self._users_info,
            "conversations.open": self._conversations_open,
            "conversations.history": self._conversations_history,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
            "oauth.v2.access": self._oauth_v2_access,
            "apps.connections.open": self._apps_connections_open,
        }
        # methods that authenticate with something other than a workspace token
        self._no_workspace_token = {"api.test", "oauth.v2.access", "apps.connections.open"}

    # ------------------------------------------------------------------ lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/upload/v1/{file_id}", self._handle_upload)
        app.router.add_get("/files-pri/{file_id}", self._handle_private_file)
        app.router.add_post("/commands/{team_id}/{hook_id}/{secret}", self._handle_response_url)
        app.router.add_post("/actions/{team_id}/{hook_id}/{secret}", self._handle_response_url)
        app.router.add_get("/oauth/v2/authorize", self._handle_authorize)
        app.router.add_get("/link/", self._handle_socket)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        for ws in list(self.sockets):
            if not ws.closed:
                await ws.close()
        for fut in self._socket_acks.values():
            if not fut.done():
                fut.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeSlack:
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """Pass to ``AsyncWebClient(base_url=...)``."""
        return f"{self.base_url}/api/"

    @property
    def authorization_url(self) -> str:
        """Pass to ``AsyncOAuthSettings(authorization_url=...)``."""
        return f"{self.base_url}/oauth/v2/authorize"

    # ------------------------------------------------------------------ the "world"

    def add_workspace(
        self,
        team_id: str,
        name: str | None = None,
        *,
        scopes: str | None = None,
        installed: bool = True,
    ) -> Workspace:
        """Create a workspace. With ``installed=True`` its bot token is valid at once (single-workspace apps);
        otherwise the token only becomes valid after an OAuth install (``consent_next_install``)."""
        n = len(self.workspaces) + 1
        name = name or f"Team {team_id}"
        ws = Workspace(
            team_id=team_id,
            name=name,
            domain=name.lower().replace(" ", "-"),
            bot_token=f"xoxb-{n}0000-{secrets.token_hex(6)}",
            bot_user_id=f"UBOT{team_id}",
            bot_id=f"BBOT{team_id}",
        )
        if scopes:
            ws.scopes = scopes
        self.workspaces[team_id] = ws
        if installed:
            self._tokens[ws.bot_token] = (team_id, "bot", ws.bot_user_id)
        return ws

    def add_user(
        self,
        team_id: str,
        user_id: str,
        name: str,
        *,
        real_name: str | None = None,
        tz: str = "Europe/Berlin",
        is_admin: bool = False,
        is_owner: bool = False,
    ) -> JSON:
        user = {
            "id": user_id,
            "team_id": team_id,
            "name": name,
            "deleted": False,
            "real_name": real_name or name.title(),
            "tz": tz,
            "tz_label": "Central European Time",
            "tz_offset": 3600,
            "is_admin": is_admin,
            "is_owner": is_owner,
            "is_bot": False,
            "is_app_user": False,
            "updated": 1700000000,
            "profile": {
                "real_name": real_name or name.title(),
                "display_name": name,
                "image_48": "https://example.invalid/avatar_48.png",
                "team": team_id,
            },
        }
        self.users[user_id] = user
        return user

    def consent_next_install(
        self, team_id: str, *, user_id: str = "UINSTALLER", user_token: bool = True, rotate: bool = False
    ) -> None:
        """The next visit to the fake's /oauth/v2/authorize behaves as if ``user_id`` clicked "Allow" for
        ``team_id`` (the workspace must exist; see ``add_workspace(installed=False)``)."""
        self._pending_consent = {"team_id": team_id, "user_id": user_id, "user_token": user_token, "rotate": rotate}

    def issue_oauth_code(
        self, team_id: str, *, user_id: str = "UINSTALLER", user_token: bool = True, rotate: bool = False
    ) -> str:
        """A one-time code for oauth.v2.access, as Slack appends to the redirect URL."""
        code = f"{secrets.token_hex(4)}.{secrets.token_hex(8)}"
        self._oauth_codes[code] = {"team_id": team_id, "user_id": user_id, "user_token": user_token, "rotate": rotate}
        return code

    def response_url(self, team_id: str = "T0QUIZ01", kind: str = "commands") -> str:
        """A response_url that points at the fake (``kind`` is "commands" or "actions")."""
        return f"{self.base_url}/{kind}/{team_id}/{next(self._seq)}{int(time.time())}/{secrets.token_hex(12)}"

    def fail_next(
        self, method: str, error: str = "internal_error", *, status: int = 200, headers: dict[str, str] | None = None
    ) -> None:
        """Make the next call to ``method`` fail, e.g. ``fail_next("chat.postMessage", "ratelimited", status=429,
        headers={"Retry-After": "1"})``."""
        self._failures.setdefault(method, []).append((status, {"ok": False, "error": error}, headers or {}))

    def slow_down(self, method: str, seconds: float) -> None:
        """Make every call to ``method`` take this long before it is answered (a slow Slack)."""
        self._delays[method] = seconds

    # ------------------------------------------------------------------ queries

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def method_names(self) -> list[str]:
        return [c.method for c in self.calls]

    async def wait_for(self, method: str, count: int = 1, within: float = 3.0) -> list[Call]:
        """Wait until at least ``count`` calls to ``method`` were recorded; return them."""

        def enough() -> bool:
            return len(self.calls_to(method)) >= count

        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(enough), within)
            except TimeoutError:
                raise AssertionError(
                    f"expected {count} call(s) to {method} within {within}s; got {len(self.calls_to(method))}. "
                    f"All calls: {self.method_names()}"
                ) from None
        return self.calls_to(method)

    async def _record(self, call: Call) -> None:
        self.calls.append(call)
        async with self._changed:
            self._changed.notify_all()

    # ------------------------------------------------------------------ HTTP plumbing

    @staticmethod
    async def _parse(request: web.Request, method: str) -> Call:
        raw = await request.read()
        form: dict[str, str] = {}
        body_json: JSON | None = None
        ctype = request.content_type
        if ctype == "application/json" and raw:
            body_json = json.loads(raw.decode("utf-8"))
        elif ctype == "application/x-www-form-urlencoded" and raw:
            form = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        elif ctype.startswith("multipart/"):
            post = await request.post()
            form = {k: v for k, v in post.items() if isinstance(v, str)}
        token = None
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            token = auth[len("Bearer ") :].strip()
        token = token or form.get("token") or request.query.get("token")
        return Call(
            method=method,
            http_method=request.method,
            path=request.path,
            headers=dict(request.headers),
            query=dict(request.query),
            form=form,
            json=body_json,
            raw=raw,
            token=token,
        )

    def _json_response(self, status: int, payload: JSON, headers: dict[str, str] | None = None) -> web.Response:
        return web.Response(
            status=status,
            text=json.dumps(payload),
            content_type="application/json",
            charset="utf-8",
            headers=headers,
        )

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        call = await self._parse(request, method)
        await self._record(call)

        if self._delays.get(method):
            await asyncio.sleep(self._delays[method])
        if self._failures.get(method):
            status, payload, headers = self._failures[method].pop(0)
            return self._json_response(status, payload, headers)

        handler = self._handlers.get(method)
        if handler is None:
            return self._json_response(200, {"ok": False, "error": "unknown_method", "req_method": method})

        headers: dict[str, str] = {}
        if method not in self._no_workspace_token:
            if not call.token:
                return self._json_response(200, {"ok": False, "error": "not_authed"})
            if call.token not in self._tokens:
                return self._json_response(200, {"ok": False, "error": "invalid_auth"})
            team_id, _, _ = self._tokens[call.token]
            headers["x-oauth-scopes"] = self.workspaces[team_id].scopes
        status, payload = await handler(call)
        return self._json_response(status, payload, headers)

    def _who(self, call: Call) -> tuple[Workspace, str, str]:
        team_id, kind, user_id = self._tokens[call.token]  # type: ignore[index]
        return self.workspaces[team_id], kind, user_id

    def _next_ts(self) -> str:
        return f"{self._ts_base}.{next(self._seq):06d}"

    # ------------------------------------------------------------------ Web API methods

    async def _api_test(self, call: Call) -> tuple[int, JSON]:
        return 200, {"ok": True, "args": call.args}

    async def _auth_test(self, call: Call) -> tuple[int, JSON]:
        ws, kind, user_id = self._who(call)
        body: JSON = {
            "ok": True,
            "url": f"https://{ws.domain}.slack.com/",
            "team": ws.name,
            "user": "quizbot" if kind == "bot" else self.users.get(user_id, {}).get("name", "installer"),
            "team_id": ws.team_id,
            "user_id": user_id,
            "is_enterprise_install": False,
        }
        if kind == "bot":
            body["bot_id"] = ws.bot_id
        return 200, body

    @staticmethod
    def _has_content(args: JSON) -> bool:
        return bool(args.get("text") or args.get("blocks") or args.get("attachments") or args.get("markdown_text"))

    @staticmethod
    def _blocks_problem(args: JSON) -> str | None:
        blocks = args.get("blocks")
        if blocks is None:
            return None
        if not isinstance(blocks, list) or not all(isinstance(b, dict) and "type" in b for b in blocks):
            return "invalid_blocks_format"
        if len(blocks) > 50:
            return "invalid_blocks"
        return None

    async def _chat_post_message(self, call: Call) -> tuple[int, JSON]:
        ws, _, user_id = self._who(call)
        args = call.args
        channel = args.get("channel")
        if not channel:
            return 200, {"ok": False, "error": "channel_not_found"}
        if not self._has_content(args):
            return 200, {"ok": False, "error": "no_text"}
        problem = self._blocks_problem(args)
        if problem:
            return 200, {"ok": False, "error": problem}
        ts = self._next_ts()
        message = {
            "type": "message",
            "subtype": "bot_message",
            "text": args.get("text", ""),
            "user": user_id,
            "bot_id": ws.bot_id,
            "app_id": self.app_id,
            "team": ws.team_id,
            "ts": ts,
            "blocks": args.get("blocks", []),
        }
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        if isinstance(args.get("metadata"), dict):
            message["metadata"] = args["metadata"]  # returned by conversations.history with include_all_metadata
        self.messages[(channel, ts)] = message
        return 200, {"ok": True, "channel": channel, "ts": ts, "message": message}

    async def _chat_update(self, call: Call) -> tuple[int, JSON]:
        args = call.args
        channel, ts = args.get("channel"), args.get("ts")
        if not channel:
            return 200, {"ok": False, "error": "channel_not_found"}
        if (channel, ts) not in self.messages:
            return 200, {"ok": False, "error": "message_not_found"}
        problem = self._blocks_problem(args)
        if problem:
            return 200, {"ok": False, "error": problem}
        message = dict(self.messages[(channel, ts)])
        for key in ("text", "blocks"):
            if key in args:
                message[key] = args[key]
        message["edited"] = {"user": message["user"], "ts": self._next_ts()}
        self.messages[(channel, ts)] = message
        return 200, {"ok": True, "channel": channel, "ts": ts, "text": message["text"], "message": message}

    async def _chat_post_ephemeral(self, call: Call) -> tuple[int, JSON]:
        args = call.args
        if not args.get("channel"):
            return 200, {"ok": False, "error": "channel_not_found"}
        if not args.get("user"):
            return 200, {"ok": False, "error": "user_not_in_channel"}
        if not self._has_content(args):
            return 200, {"ok": False, "error": "no_text"}
        return 200, {"ok": True, "message_ts": self._next_ts()}

    def _view(self, ws: Workspace, view: JSON, kind: str) -> JSON:
        n = next(self._seq)
        stored = {
            "id": f"V{n:09d}",
            "team_id": ws.team_id,
            "type": view.get("type", kind),
            "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "title": view.get("title"),
            "close": view.get("close"),
            "submit": view.get("submit"),
            "clear_on_close": False,
            "notify_on_close": False,
            "root_view_id": f"V{n:09d}",
            "app_id": self.app_id,
            "external_id": view.get("external_id", ""),
            "app_installed_team_id": ws.team_id,
            "bot_id": ws.bot_id,
        }
        self.views.append(stored)
        return stored

    async def _views_publish(self, call: Call) -> tuple[int, JSON]:
        ws, _, _ = self._who(call)
        args = call.args
        view = args.get("view")
        if not args.get("user_id"):
            return 200, {"ok": False, "error": "invalid_arguments"}
        if not isinstance(view, dict) or view.get("type") != "home":
            return 200, {"ok": False, "error": "invalid_arguments"}
        if len(view.get("blocks", [])) > 100:
            return 200, {"ok": False, "error": "invalid_arguments"}
        return 200, {"ok": True, "view": self._view(ws, view, "home")}

    async def _views_open(self, call: Call) -> tuple[int, JSON]:
        ws, _, _ = self._who(call)
        view = call.args.get("view")
        if not call.args.get("trigger_id") or not isinstance(view, dict) or view.get("type") != "modal":
            return 200, {"ok": False, "error": "invalid_arguments"}
        if not view.get("title") or len(view.get("blocks", [])) > 100:
            return 200, {"ok": False, "error": "invalid_arguments"}
        return 200, {"ok": True, "view": self._view(ws, view, "modal")}

    def private_file(self, name: str, data: bytes) -> JSON:
        """A file a member put in a modal's file input, as the view_submission lists it (download needs a token)."""
        file_id = f"F{next(self._seq):09d}"
        self.private_files[file_id] = data
        url = f"{self.base_url}/files-pri/{file_id}"
        return {"id": file_id, "name": name, "size": len(data), "url_private": url, "url_private_download": url}

    async def _handle_private_file(self, request: web.Request) -> web.Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if self._tokens.get(token, ("", ""))[1] != "bot":
            return web.Response(status=302, headers={"Location": "/login"})  # Slack's answer without a token
        data = self.private_files.get(request.match_info["file_id"])
        return web.Response(body=data) if data is not None else web.Response(status=404)

    async def _files_get_upload_url_external(self, call: Call) -> tuple[int, JSON]:
        # Step 1 of files_upload_v2: the client announces name and size and gets a URL to send the bytes to.
        args = call.args
        if not args.get("filename") or not str(args.get("length", "")).isdigit():
            return 200, {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._seq):010d}"
        self.uploads[file_id] = {
            "id": file_id,
            "name": args["filename"],
            "length": int(args["length"]),
            "alt_txt": args.get("alt_txt"),
            "data": None,
        }
        return 200, {"ok": True, "file_id": file_id, "upload_url": f"{self.base_url}/upload/v1/{file_id}"}

    async def _handle_upload(self, request: web.Request) -> web.Response:
        # Step 2: the bytes themselves, posted to the URL from step 1 (no token; the URL is the secret).
        call = await self._parse(request, "file_upload")
        await self._record(call)
        upload = self.uploads.get(request.match_info["file_id"])
        if upload is None:
            return web.Response(status=404, text="no such upload")
        upload["data"] = call.raw
        return web.Response(status=200, text=f"OK - {len(call.raw)}")

    async def _files_complete_upload_external(self, call: Call) -> tuple[int, JSON]:
        # Step 3: the uploaded files are shared into a conversation, optionally with a comment.
        ws, _, user_id = self._who(call)
        args = call.args
        files = args.get("files")
        if not isinstance(files, list) or not files:
            return 200, {"ok": False, "error": "invalid_arguments"}
        shared = []
        for item in files:
            upload = self.uploads.get(str(item.get("id", "")))
            if upload is None or upload["data"] is None:
                return 200, {"ok": False, "error": "file_not_found"}
            upload.update(
                channel_id=args.get("channel_id"),
                initial_comment=args.get("initial_comment"),
                title=item.get("title") or upload["name"],
                completed=True,
            )
            shared.append(
                {
                    "id": upload["id"],
                    "name": upload["name"],
                    "title": upload["title"],
                    "size": len(upload["data"]),
                    "user": user_id,
                    "user_team": ws.team_id,
                }
            )
        return 200, {"ok": True, "files": shared}

    async def _users_info(self, call: Call) -> tuple[int, JSON]:
        user = self.users.get(call.args.get("user", ""))
        if user is None:
            return 200, {"ok": False, "error": "user_not_found"}
        return 200, {"ok": True, "user": user}

    async def _conversations_history(self, call: Call) -> tuple[int, JSON]:
        """Newest first; message metadata only with include_all_metadata; needs channels:history (groups:history)."""
        ws, _, _ = self._who(call)
        args = call.args
        channel = args.get("channel")
        if not channel:
            return 200, {"ok": False, "error": "channel_not_found"}
        if "channels:history" not in ws.scopes.split(","):
            return 200, {"ok": False, "error": "missing_scope", "needed": "channels:history"}
        with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        found = sorted((m for (c, _), m in self.messages.items() if c == channel), key=lambda m: m["ts"], reverse=True)
        limit = int(args.get("limit") or 100)
        shown = [m if with_metadata else {k: v for k, v in m.items() if k != "metadata"} for m in found[:limit]]
        return 200, {"ok": True, "messages": shown, "has_more": len(found) > limit}

    async def _conversations_open(self, call: Call) -> tuple[int, JSON]:
        args = call.args
        users = [u for u in str(args.get("users", "")).split(",") if u]
        if not users and not args.get("channel"):
            return 200, {"ok": False, "error": "users_list_not_supplied"}
        if len(users) == 1:
            return 200, {"ok": True, "no_op": True, "already_open": True, "channel": {"id": "D" + users[0][1:]}}
        return 200, {"ok": True, "channel": {"id": "G" + secrets.token_hex(4).upper()}}

    def _grant(self, ws: Workspace, grant: JSON) -> JSON:
        """Make the workspace's bot token valid and build the oauth.v2.access answer."""
        self._tokens[ws.bot_token] = (ws.team_id, "bot", ws.bot_user_id)
        body: JSON = {
            "ok": True,
            "app_id": self.app_id,
            "authed_user": {"id": grant["user_id"]},
            "scope": ws.scopes,
            "token_type": "bot",
            "access_token": ws.bot_token,
            "bot_user_id": ws.bot_user_id,
            "team": {"id": ws.team_id, "name": ws.name},
            "enterprise": None,
            "is_enterprise_install": False,
        }
        if grant.get("user_token"):
            user_token = f"xoxp-{ws.team_id}-{secrets.token_hex(6)}"
            self._tokens[user_token] = (ws.team_id, "user", grant["user_id"])
            body["authed_user"].update({"scope": "identify", "access_token": user_token, "token_type": "user"})
        if grant.get("rotate"):
            ws.bot_refresh_token = f"xoxe-1-{secrets.token_hex(8)}"
            body["refresh_token"] = ws.bot_refresh_token
            body["expires_in"] = 43200
        return body

    async def _oauth_v2_access(self, call: Call) -> tuple[int, JSON]:
        auth = call.headers.get("Authorization", "")
        client_id = call.args.get("client_id")
        client_secret = call.args.get("client_secret")
        if auth.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(auth[6:]).decode().partition(":")
        if client_id != self.client_id:
            return 200, {"ok": False, "error": "invalid_client_id"}
        if client_secret != self.client_secret:
            return 200, {"ok": False, "error": "bad_client_secret"}
        args = call.args
        if args.get("grant_type") == "refresh_token":
            for ws in self.workspaces.values():
                if ws.bot_refresh_token and ws.bot_refresh_token == args.get("refresh_token"):
                    self._tokens.pop(ws.bot_token, None)
                    ws.bot_token = f"xoxe.xoxb-1-{secrets.token_hex(6)}"
                    return 200, self._grant(ws, {"user_id": "UINSTALLER", "rotate": True})
            return 200, {"ok": False, "error": "invalid_refresh_token"}
        grant = self._oauth_codes.pop(args.get("code", ""), None)
        if grant is None:
            return 200, {"ok": False, "error": "invalid_code"}
        ws = self.workspaces[grant["team_id"]]
        return 200, self._grant(ws, grant)

    async def _apps_connections_open(self, call: Call) -> tuple[int, JSON]:
        if not call.token:
            return 200, {"ok": False, "error": "not_authed"}
        if call.token != self.app_token:
            return 200, {"ok": False, "error": "invalid_auth"}
        ticket = secrets.token_hex(16)
        self.socket_tickets[ticket] = time.time()
        return 200, {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}&app_id={self.app_id}"}

    # ------------------------------------------------------------------ response_url

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        call = await self._parse(request, "response_url")
        await self._record(call)
        if self._failures.get("response_url"):
            # e.g. fail_next("response_url", "expired_url", status=404): Slack answers in plain text
            status, payload, _ = self._failures["response_url"].pop(0)
            return web.Response(status=status, text=str(payload["error"]))
        if call.json is None:
            return web.Response(status=400, text="invalid_payload")
        # Slack answers response_url posts with a plain "ok"
        return web.Response(status=200, text="ok")

    # ------------------------------------------------------------------ OAuth consent page

    async def _handle_authorize(self, request: web.Request) -> web.Response:
        call = await self._parse(request, "oauth.authorize")
        await self._record(call)
        q = request.query
        if q.get("client_id") != self.client_id:
            return web.Response(status=400, text="invalid client_id")
        redirect_uri = q.get("redirect_uri") or self.redirect_uri
        if not redirect_uri:
            return web.Response(status=400, text="no redirect_uri configured")
        consent, self._pending_consent = self._pending_consent, None
        params: dict[str, str] = {}
        if consent is None:
            params["error"] = "access_denied"
        else:
            params["code"] = self.issue_oauth_code(
                consent["team_id"],
                user_id=consent["user_id"],
                user_token=consent["user_token"],
                rotate=consent["rotate"],
            )
        if q.get("state") is not None:
            params["state"] = q["state"]
        sep = "&" if "?" in redirect_uri else "?"
        raise web.HTTPFound(f"{redirect_uri}{sep}{urlencode(params)}")

    # ------------------------------------------------------------------ Socket Mode

    async def _handle_socket(self, request: web.Request) -> web.WebSocketResponse:
        ticket = request.query.get("ticket", "")
        if self.socket_tickets.pop(ticket, None) is None:
            raise web.HTTPUnauthorized(text="invalid ticket")
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.sockets.append(ws)
        self.socket_connections += 1
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len([s for s in self.sockets if not s.closed]),
                "debug_info": {"host": "applink-fake", "build_number": 1, "approximate_connection_time": 18060},
                "connection_info": {"app_id": self.app_id},
            }
        )
        self._socket_connected.set()
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    frame = json.loads(msg.data)
                    self.socket_frames.append(frame)
                    fut = self._socket_acks.get(frame.get("envelope_id", ""))
                    if fut is not None and not fut.done():
                        fut.set_result(frame)
        finally:
            if ws in self.sockets:
                self.sockets.remove(ws)
            if not any(not s.closed for s in self.sockets):
                self._socket_connected.clear()
        return ws

    async def wait_for_socket(self, within: float = 3.0) -> web.WebSocketResponse:
        await asyncio.wait_for(self._socket_connected.wait(), within)
        return [s for s in self.sockets if not s.closed][-1]

    async def send_envelope(
        self,
        type: str,
        payload: JSON,
        *,
        envelope_id: str | None = None,
        accepts_response_payload: bool | None = None,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
        within: float = 3.0,
    ) -> SocketEnvelopeAck:
        """Push one Socket Mode envelope and wait for the client's ack frame (``{"envelope_id": ...}``)."""
        ws = await self.wait_for_socket(within)
        envelope_id = envelope_id or f"{secrets.token_hex(4)}-{secrets.token_hex(2)}-{secrets.token_hex(6)}"
        frame: JSON = {"envelope_id": envelope_id, "payload": payload, "type": type}
        if accepts_response_payload is None:
            accepts_response_payload = type in ("slash_commands", "interactive")
        frame["accepts_response_payload"] = accepts_response_payload
        if type == "events_api":
            frame["retry_attempt"] = retry_attempt or 0
            frame["retry_reason"] = retry_reason or ""
        fut: asyncio.Future[JSON] = asyncio.get_running_loop().create_future()
        self._socket_acks[envelope_id] = fut
        try:
            await ws.send_json(frame)
            ack = await asyncio.wait_for(fut, within)
        finally:
            self._socket_acks.pop(envelope_id, None)
        return SocketEnvelopeAck(envelope_id=envelope_id, frame=ack)

    async def send_socket_disconnect(self, reason: str = "refresh_requested") -> None:
        ws = await self.wait_for_socket()
        self._socket_connected.clear()
        await ws.send_json({"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake"}})


# ----------------------------------------------------------------------------------------------
# inbound: what Slack sends to the app
# ----------------------------------------------------------------------------------------------


def slack_signature(signing_secret: str, timestamp: str, body: str) -> str:
    """``v0=`` + hex HMAC-SHA256 of ``v0:{timestamp}:{body}`` keyed with the signing secret."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(signing_secret.encode("utf-8"), base, hashlib.sha256).hexdigest()


def slack_signature_headers(
    signing_secret: str,
    body: str,
    *,
    content_type: str,
    timestamp: int | None = None,
    retry_num: int | None = None,
    retry_reason: str | None = None,
) -> dict[str, str]:
    """The headers Slack puts on every request to the app (HTTP mode)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    headers = {
        "Content-Type": content_type,
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        "Accept": "application/json,*/*",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": slack_signature(signing_secret, ts, body),
    }
    if retry_num is not None:
        headers["X-Slack-Retry-Num"] = str(retry_num)
        headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
    return headers


FORM = "application/x-www-form-urlencoded"
JSON_CT = "application/json"


def slash_command_form(
    *,
    command: str,
    text: str,
    team_id: str,
    user_id: str,
    response_url: str,
    channel_id: str = "C0QUIZ001",
    user_name: str = "alice",
    api_app_id: str = "A0QUIZBOT1",
) -> dict[str, str]:
    """The fields of a slash command request (sent form-encoded)."""
    return {
        "token": "deprecated-verification-token",
        "team_id": team_id,
        "team_domain": "quiz-team",
        "channel_id": channel_id,
        "channel_name": "quiz",
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": f"{int(time.time())}.{secrets.randbelow(10**10)}.{secrets.token_hex(16)}",
    }


def block_actions_payload(
    *,
    team_id: str,
    user_id: str,
    response_url: str,
    actions: list[JSON],
    message: JSON | None = None,
    state_values: JSON | None = None,
    channel_id: str = "C0QUIZ001",
    api_app_id: str = "A0QUIZBOT1",
) -> JSON:
    """A ``block_actions`` interaction from a message (sent as ``payload=<json>`` form field)."""
    message = message or {"type": "message", "ts": "1700000000.000100", "text": "", "blocks": []}
    return {
        "type": "block_actions",
        "user": {"id": user_id, "username": "alice", "name": "alice", "team_id": team_id},
        "api_app_id": api_app_id,
        "token": "deprecated-verification-token",
        "container": {"type": "message", "message_ts": message["ts"], "channel_id": channel_id, "is_ephemeral": False},
        "trigger_id": f"{int(time.time())}.{secrets.randbelow(10**10)}.{secrets.token_hex(16)}",
        "team": {"id": team_id, "domain": "quiz-team"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": "quiz"},
        "message": message,
        "state": {"values": state_values or {}},
        "response_url": response_url,
        "actions": actions,
    }


def button_action(action_id: str, value: str, *, block_id: str, text: str = "button") -> JSON:
    return {
        "action_id": action_id,
        "block_id": block_id,
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "value": value,
        "type": "button",
        "action_ts": f"{time.time():.6f}",
    }


def event_callback(
    event: JSON, *, team_id: str, bot_user_id: str, event_id: str | None = None, api_app_id: str = "A0QUIZBOT1"
) -> JSON:
    """An Events API envelope (sent as JSON)."""
    now = int(time.time())
    return {
        "token": "deprecated-verification-token",
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{secrets.token_hex(5).upper()}",
        "event_time": now,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{secrets.token_hex(20)}",
    }


def app_home_opened_event(user_id: str, *, channel: str = "D0QUIZ001") -> JSON:
    return {
        "type": "app_home_opened",
        "user": user_id,
        "channel": channel,
        "tab": "home",
        "event_ts": f"{time.time():.6f}",
    }


def form_body(fields: dict[str, str]) -> str:
    return urlencode(fields)


def interaction_body(payload: JSON) -> str:
    return urlencode({"payload": json.dumps(payload)})
