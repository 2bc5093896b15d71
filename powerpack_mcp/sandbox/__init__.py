"""An emulator of the part of Plivo's REST API that Powerpacks use.

It is an independent implementation: it never imports the project's Plivo client or MCP code,
so it cannot share a mistake with the client it tests.
"""

from .app import DEFAULT_AUTH_ID, DEFAULT_AUTH_TOKEN, create_app
from .data import DEMO_POWERPACK_NAMES
from .runner import serve
from .state import SandboxState

__all__ = [
    "DEFAULT_AUTH_ID",
    "DEFAULT_AUTH_TOKEN",
    "DEMO_POWERPACK_NAMES",
    "SandboxState",
    "create_app",
    "serve",
]
