"""Every API request passes here: path normalisation, stats, the request log and faults."""

import logging
import re
import uuid
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

import anyio
import httpx
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .coerce import strict_json
from .control import is_control
from .faults import Fault
from .ratelimit import retry_after_header
from .state import SandboxState

_SLASHES = re.compile(r"/{2,}")
_SLASHES_RAW = re.compile(rb"/{2,}")
_DROP_PROMISED_LENGTH = 1024


class ConnectionDropped(httpx.RemoteProtocolError):
    """Raised to cut a response short (the `drop` fault).

    Under uvicorn, raising after the response has started makes it close the socket, so a
    real client sees a truncated answer. It subclasses httpx's own error so an in-process
    client (httpx.ASGITransport re-raises app exceptions) sees what it would see over HTTP.
    """


class _HideDroppedConnections(logging.Filter):
    """Keeps uvicorn from logging a traceback for every deliberately dropped connection."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, ConnectionDropped)


def quiet_uvicorn_drops() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _HideDroppedConnections) for f in logger.filters):
        logger.addFilter(_HideDroppedConnections())


class TrafficMiddleware:
    def __init__(self, app: ASGIApp, state: SandboxState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope = _normalised(scope)
        if is_control(scope["path"]):
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        entry = self.state.requests.open(
            scope["method"], scope["path"], _query(scope), _decode(body)
        )
        self.state.stats.enter()
        try:
            await self._serve(scope, _replay(body, receive), _recording(send, entry), entry)
        finally:
            self.state.stats.leave()

    async def _serve(self, scope: Scope, receive: Receive, send: Send, entry: Any) -> None:
        limit = self.state.rate_limit
        wait = limit.admit() if limit is not None else None
        if limit is not None and wait is not None:
            await _too_many_requests(limit.describe(), wait)(scope, receive, send)
            return
        fault = self.state.faults.take(scope["method"], scope["path"])
        if fault is not None and fault.delay_ms:
            await anyio.sleep(fault.delay_ms / 1000)
        if fault is None or not (fault.status or fault.malformed or fault.drop):
            await self.app(scope, receive, send)
        elif fault.drop:
            try:
                await _drop(send)
            finally:
                entry["status"] = "dropped"
        else:
            await _fault_response(fault)(scope, receive, send)


def _fault_response(fault: Fault) -> Response:
    if fault.malformed:
        # A complete HTTP answer whose JSON body stops mid-object.
        broken = f'{{"api_id": "{uuid.uuid4()}", "objects": [{{"uuid": "'
        return Response(broken, status_code=200, media_type="application/json")
    status = fault.status or 500
    headers = {}
    if fault.retry_after is not None:
        seconds = fault.retry_after
        headers["Retry-After"] = str(int(seconds)) if float(seconds).is_integer() else str(seconds)
    body = {"api_id": str(uuid.uuid4()), "error": _phrase(status)}
    return JSONResponse(body, status_code=status, headers=headers)


def _too_many_requests(limit: str, wait: float) -> Response:
    body = {
        "api_id": str(uuid.uuid4()),
        "error": f"too many requests: this account is limited to {limit}",
    }
    return JSONResponse(body, status_code=429, headers={"Retry-After": retry_after_header(wait)})


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.lower()
    except ValueError:
        return "error"


async def _drop(send: Send) -> None:
    # Promise a body, send part of it, then fail: the server has to cut the connection.
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(_DROP_PROMISED_LENGTH).encode()),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b'{"api_id": "', "more_body": True})
    raise ConnectionDropped("the sandbox dropped the connection (injected fault)")


def _normalised(scope: Scope) -> Scope:
    """Collapse doubled slashes before routing, as Plivo tolerates them."""
    path = _SLASHES.sub("/", scope["path"])
    if path == scope["path"]:
        return scope
    raw = scope.get("raw_path")
    return {**scope, "path": path, "raw_path": _SLASHES_RAW.sub(b"/", raw) if raw else raw}


def _query(scope: Scope) -> dict[str, str]:
    return dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), True))


def _decode(body: bytes) -> Any:
    if not body.strip():
        return None
    try:
        return strict_json(body)
    except ValueError:  # logged as text, so the log itself stays valid JSON
        return body.decode("utf-8", "replace")


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """Hands the already-read body to the app, then defers to the real channel."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _recording(send: Send, entry: dict[str, Any]) -> Send:
    async def record(message: Message) -> None:
        if message["type"] == "http.response.start":
            entry["status"] = message["status"]
        await send(message)

    return record
