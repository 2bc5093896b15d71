"""The Starlette application: auth, JSON bodies, Plivo's error body and dispatch."""

import base64
import binascii
import logging
import re
import secrets
import uuid
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from . import api, control
from .coerce import strict_json
from .errors import ApiError, bad_request, not_found
from .middleware import TrafficMiddleware, quiet_uvicorn_drops
from .state import SandboxState

DEFAULT_AUTH_ID = "MAXXXXXXXXXXXXXXXXXX"
DEFAULT_AUTH_TOKEN = "sandbox-auth-token"  # noqa: S105 - a public demo credential
_ACCOUNT_PATH = re.compile(r"/v1/Account/(?P<auth_id>[^/]+)/(?P<rest>.*)")
_log = logging.getLogger(__name__)


def reply(
    status: int, body: dict[str, Any] | None, headers: dict[str, str] | None = None
) -> Response:
    """Every JSON answer carries a fresh api_id, as Plivo's do."""
    if body is None:
        return Response(status_code=status, headers=headers)
    return JSONResponse({"api_id": str(uuid.uuid4()), **body}, status, headers)


class Endpoint:
    """The single route: dispatches both the API and the control surface.

    An ASGI app rather than a request function, so Starlette routes every method here and
    an unsupported one gets Plivo's 405 body, not Starlette's plain text.
    """

    def __init__(self, state: SandboxState, auth_id: str, auth_token: str) -> None:
        self.state = state
        self.auth_id = auth_id
        self.auth_token = auth_token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.handle(Request(scope, receive))
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        path = request.scope["path"]
        is_control = control.is_control(path)
        try:
            if is_control:
                return self._control(request.method, path, await _json_body(request))
            return await self._api(request, path)
        except ApiError as exc:
            if is_control:  # the control surface is ours, not Plivo's: no api_id
                return JSONResponse({"error": exc.message}, exc.status, exc.headers)
            return reply(exc.status, {"error": exc.message}, exc.headers)
        except Exception:
            _log.exception("sandbox failed on %s %s", request.method, path)
            return reply(500, {"error": "internal server error"})

    async def _api(self, request: Request, path: str) -> Response:
        match = _ACCOUNT_PATH.fullmatch(path)
        if match is None:
            raise not_found(f"no such resource: {path}")
        # Auth, then routing, then the body: the order in which a client's mistakes surface.
        self._authenticate(request, match["auth_id"])
        handler, args = api.resolve(request.method, match["rest"])
        body = await _json_body(request)
        query = dict(request.query_params)
        # From here to the reply nothing awaits, so the change is atomic on the event loop.
        status, payload = handler(api.Call(self.state, self.auth_id, query, body, args))
        if request.method != "GET":
            self.state.commit()
        return reply(status, payload)

    def _authenticate(self, request: Request, path_auth_id: str) -> None:
        user, token = _basic_credentials(request.headers.get("authorization", ""))
        valid = secrets.compare_digest(user.encode(), self.auth_id.encode())
        valid &= secrets.compare_digest(token.encode(), self.auth_token.encode())
        if not valid or path_auth_id != user:
            raise ApiError(401, "authentication failed", {"WWW-Authenticate": 'Basic realm="api"'})

    def _control(self, method: str, path: str, body: dict[str, Any]) -> Response:
        handlers = control.ROUTES.get(path.removeprefix(control.PREFIX).rstrip("/"))
        if handlers is None:
            raise not_found(f"no such sandbox control: {path}")
        handler = handlers.get(method)
        if handler is None:
            raise ApiError(
                405, f"method {method} is not allowed here", {"Allow": ", ".join(handlers)}
            )
        return JSONResponse(handler(self.state, body))


def _basic_credentials(header: str) -> tuple[str, str]:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return "", ""
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    user, _, token = decoded.partition(":")
    return user, token


async def _json_body(request: Request) -> dict[str, Any]:
    """POST and DELETE carry JSON objects; an empty body is an empty object."""
    if request.method == "GET":
        return {}
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = strict_json(raw)
    except ValueError:
        raise bad_request("request body must be JSON") from None
    if not isinstance(body, dict):
        raise bad_request("request body must be a JSON object")
    return body


def create_app(
    state: SandboxState | None = None,
    *,
    auth_id: str = DEFAULT_AUTH_ID,
    auth_token: str = DEFAULT_AUTH_TOKEN,
) -> Starlette:
    """The emulator as an ASGI app; `app.state.sandbox` is its SandboxState.

    Needs no lifespan events, so it works under uvicorn and in-process via ASGITransport.
    """
    state = state if state is not None else SandboxState()
    quiet_uvicorn_drops()
    endpoint = Endpoint(state, auth_id, auth_token)
    app = Starlette(middleware=[Middleware(TrafficMiddleware, state=state)])
    # Every path is ours, whatever characters it holds (a route pattern would not match a
    # newline, and Starlette would answer in plain text) and with no slash redirects.
    app.router.redirect_slashes = False
    app.router.default = endpoint
    app.state.sandbox = state
    return app
