"""One HTTP server for the platforms' webhooks, ``/healthz``, and photos published for Zalo.

Meant to run behind a reverse proxy that terminates TLS: it listens on ``WEBHOOK_LISTEN``
(127.0.0.1 by default) and ``WEBHOOK_PORT``. Each webhook path is the path of its public URL,
so the proxy passes requests through unchanged. A request without the platform's secret
header, or with a wrong one, is refused with 403 before its body is read as JSON.

A webhook is answered 200 as soon as its update is stored in the inbox (``bot.inbox``), never
after it is handled. What no platform would send — a body that is not JSON, nested deeper than
``MAX_DEPTH``, or not shaped like an update (``InvalidUpdate``) — is answered 400, which the
platform does not retry; 503 means the update could not be stored and should come again.

Tornado comes with ``python-telegram-bot[webhooks]``; it is imported only when a server starts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.model import Attachment

if TYPE_CHECKING:
    from tornado.httpserver import HTTPServer

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_048_576
MAX_DEPTH = 32  # levels of nesting in a webhook body; a real update has about ten
FILES_PREFIX = "/files/"
HEALTH_PATH = "/healthz"

Receive = Callable[[Any], Awaitable[None]]
Health = Callable[[], Mapping[str, bool]]
InboxReport = Callable[[], Awaitable[Mapping[str, Any]]]


class InvalidUpdate(Exception):
    """A webhook body that is JSON but no update of the platform (answered 400); the message says
    what is wrong, without repeating the body."""


def nesting_depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """How deeply ``value`` nests lists and objects, counted up to ``limit + 1`` (without
    recursion: the body is untrusted)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if depth > limit:
                return depth
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A webhook: where it is served, the header that must carry the secret, what to do with a body."""

    name: str
    path: str
    secret_header: str
    secret: str
    receive: Receive


def secret_matches(given: str | None, expected: str) -> bool:
    """Constant-time comparison, so the secret cannot be guessed from response times."""
    if given is None or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


# -- files published for Zalo, whose sendPhoto takes a public URL only ------------------------
_IMAGE_TYPES = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp"}
_TYPES_BY_SUFFIX = {suffix: mime for mime, suffix in _IMAGE_TYPES.items()} | {".jpeg": "image/jpeg"}
_FILE_NAME = re.compile(r"[A-Za-z0-9_-]{32,64}\.(png|jpg|jpeg|gif|webp)")


class PublicFiles:
    """Images served at unguessable URLs under ``/files/`` for a limited time.

    Kept on disk beside the database so that a restart does not break photos already sent;
    the same image sent to many people (a broadcast) is stored once per process.
    """

    def __init__(self, folder: Path, base_url: str, keep_seconds: float = 7 * 24 * 3600) -> None:
        self.folder = folder
        self.base_url = base_url.rstrip("/")
        self.keep_seconds = keep_seconds
        self._by_digest: dict[str, str] = {}

    @staticmethod
    def can_publish(attachment: Attachment) -> bool:
        return attachment.mime_type in _IMAGE_TYPES or Path(attachment.filename).suffix.lower() in (
            _TYPES_BY_SUFFIX
        )

    def publish(self, attachment: Attachment) -> str:
        """Store the image (once) and return its public URL."""
        digest = hashlib.sha256(attachment.data).hexdigest()
        name = self._by_digest.get(digest)
        if name is None or not (self.folder / name).exists():
            suffix = _IMAGE_TYPES.get(attachment.mime_type) or Path(attachment.filename).suffix.lower()
            name = secrets.token_urlsafe(32) + suffix
            self.folder.mkdir(parents=True, exist_ok=True)
            self._prune()
            (self.folder / name).write_bytes(attachment.data)
            self._by_digest[digest] = name
        return f"{self.base_url}{FILES_PREFIX}{name}"

    def read(self, name: str) -> tuple[bytes, str] | None:
        """The image and its type, or None for an unknown, expired or malformed name."""
        if not _FILE_NAME.fullmatch(name):
            return None
        path = self.folder / name
        try:
            if time.time() - path.stat().st_mtime > self.keep_seconds:
                return None
            data = path.read_bytes()
        except OSError:
            return None
        return data, _TYPES_BY_SUFFIX[path.suffix.lower()]

    def _prune(self) -> None:
        cutoff = time.time() - self.keep_seconds
        for path in self.folder.iterdir():
            try:
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
            except OSError:
                continue
        alive = {p.name for p in self.folder.iterdir()}
        self._by_digest = {d: n for d, n in self._by_digest.items() if n in alive}


# -- the server ------------------------------------------------------------------------------
class WebhookServer:
    def __init__(
        self,
        listen: str,
        port: int,
        endpoints: Sequence[Endpoint] = (),
        files: PublicFiles | None = None,
        health: Health | None = None,
        inbox: InboxReport | None = None,
    ) -> None:
        paths = [e.path for e in endpoints]
        if len(set(paths)) != len(paths):
            raise ValueError(f"two webhooks on one path: {paths}")
        self.listen = listen
        self.requested_port = port
        self.endpoints = list(endpoints)
        self.files = files
        self.health = health
        self.inbox = inbox  # the inbox backlog per platform, shown by /healthz
        self.port: int | None = None  # the bound port once started (0 asks for a free one)
        self._server: HTTPServer | None = None

    async def start(self) -> None:
        from tornado.httpserver import HTTPServer
        from tornado.netutil import bind_sockets

        sockets = bind_sockets(self.requested_port, self.listen)
        self._server = HTTPServer(_application(self), max_body_size=MAX_BODY_BYTES)
        self._server.add_sockets(sockets)
        self.port = sockets[0].getsockname()[1]
        log.info(
            "webhook server on %s:%s serving %s",
            self.listen,
            self.port,
            ", ".join([HEALTH_PATH, *(f"{e.path} ({e.name})" for e in self.endpoints)]),
        )

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.stop()
        await self._server.close_all_connections()
        self._server = None

    def health_report(self) -> tuple[bool, dict[str, bool]]:
        checks = dict(self.health()) if self.health is not None else {}
        return all(checks.values()), checks


def _application(server: WebhookServer) -> Any:
    from tornado.web import Application, RequestHandler

    class WebhookHandler(RequestHandler):
        endpoint: Endpoint

        def initialize(self, endpoint: Endpoint) -> None:
            self.endpoint = endpoint

        def check_xsrf_cookie(self) -> None:  # a machine-to-machine POST: no cookies involved
            return None

        async def post(self) -> None:
            header = self.request.headers.get(self.endpoint.secret_header)
            if not secret_matches(header, self.endpoint.secret):
                log.warning("%s webhook: refused a request without the right secret", self.endpoint.name)
                self.set_status(403)
                self.finish({"ok": False, "description": "forbidden"})
                return
            try:
                # RecursionError: JSON nested deeper than the parser goes (thousands of levels).
                data = json.loads(self.request.body or b"null")
            except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
                self._refuse(400, "the body is not JSON")
                return
            if nesting_depth(data) > MAX_DEPTH:
                self._refuse(400, "the body is nested too deeply")
                return
            try:
                await self.endpoint.receive(data)
            except InvalidUpdate as exc:
                log.warning("%s webhook: refused a body that is no update: %s", self.endpoint.name, exc)
                self._refuse(400, str(exc))
                return
            except Exception:
                # Not stored (the database is down…): the platform sends it again later.
                log.exception("%s webhook: an update could not be stored", self.endpoint.name)
                self._refuse(503, "try again later")
                return
            self.finish({"ok": True})

        def _refuse(self, status: int, description: str) -> None:
            self.set_status(status)
            self.finish({"ok": False, "description": description})

    class HealthHandler(RequestHandler):
        async def get(self) -> None:
            healthy, checks = server.health_report()
            body: dict[str, Any] = {"checks": checks}
            if server.inbox is not None:
                try:
                    body["inbox"] = dict(await server.inbox())
                except Exception as exc:  # the database does not answer: nothing can be stored
                    log.warning("healthz: the inbox cannot be read: %s", type(exc).__name__)
                    body["inbox"] = "unavailable"
                    healthy = False
            self.set_status(200 if healthy else 503)
            self.finish({"status": "ok" if healthy else "unhealthy", **body})

    class FileHandler(RequestHandler):
        def get(self, name: str) -> None:
            found = server.files.read(name) if server.files is not None else None
            if found is None:
                self.set_status(404)
                self.finish()
                return
            data, mime_type = found
            self.set_header("Content-Type", mime_type)
            self.set_header("Cache-Control", "private, max-age=86400")
            self.finish(data)

    def log_request(handler: RequestHandler) -> None:
        # File URLs are the secret that protects them: keep them out of the logs.
        status = handler.get_status()
        path = handler.request.path
        if path.startswith(FILES_PREFIX):
            path = FILES_PREFIX + "…"
        level = logging.DEBUG if status < 400 else logging.WARNING
        log.log(level, "%s %s %s", status, handler.request.method, path)

    routes: list[Any] = [(re.escape(e.path), WebhookHandler, {"endpoint": e}) for e in server.endpoints]
    routes.append((re.escape(HEALTH_PATH), HealthHandler))
    routes.append((re.escape(FILES_PREFIX) + r"([^/]+)", FileHandler))
    return Application(routes, log_function=log_request)
