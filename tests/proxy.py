"""A misbehaving upstream: a small proxy in front of the emulator.

It forwards every request to the emulator unchanged, except where a test tells it to
rewrite or make up an answer, echo the request's headers back in an error (as some gateways
do), or do something to the emulator just before a request reaches it. The emulator's own
request log stays the witness of what arrived.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

Rewrite = Callable[[Request, Any], Any]
Hook = Callable[[Request], Awaitable[None]]


class Proxy:
    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self._http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=inner), base_url="http://sandbox.invalid"
        )
        self.rewrite: Rewrite | None = None
        self.before: Hook | None = None
        self.echo_headers: Callable[[Request], bool] = lambda request: False
        # An answer made up in the emulator's place: (status, body), or None to forward.
        self.fake: Callable[[Request], tuple[int, Any] | None] = lambda request: None

    def hang(self, method: str, path: str) -> anyio.Event:
        """Hold every `method` request whose path holds `path` until it is given up (the
        call cancelled); the event is set as the first one arrives."""
        reached = anyio.Event()

        async def hold(request: Request) -> None:
            if request.method == method and path in request.url.path:
                reached.set()
                await anyio.sleep_forever()

        self.before = hold
        return reached

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        response = await self._answer(request)
        await response(scope, receive, send)

    async def _answer(self, request: Request) -> Response:
        if self.echo_headers(request):
            headers = "; ".join(f"{key}: {value}" for key, value in request.headers.items())
            return JSONResponse({"api_id": "x", "error": f"bad request ({headers})"}, 400)
        made_up = self.fake(request)
        if made_up is not None:
            return JSONResponse(made_up[1], made_up[0])
        if self.before is not None:
            await self.before(request)
        body = await request.body()
        upstream = await self._http.request(
            request.method,
            request.url.path,
            params=request.query_params,
            content=body,
            headers={k: v for k, v in request.headers.items() if k.lower() != "host"},
        )
        if self.rewrite is None or not upstream.content:
            return Response(upstream.content, upstream.status_code, media_type="application/json")
        data = self.rewrite(request, json.loads(upstream.content))
        return JSONResponse(data, upstream.status_code)
