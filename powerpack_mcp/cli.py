"""The `powerpack-mcp` command: arguments and environment -> settings -> server -> transport."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from functools import partial
from typing import Any

from pydantic import ValidationError

from . import __version__
from .commands.config import CLIENTS
from .settings import ConfigError, Settings

logger = logging.getLogger("powerpack_mcp")

_ENV_NAMES = {
    "auth_id": "PLIVO_AUTH_ID",
    "auth_token": "PLIVO_AUTH_TOKEN",
    "api_url": "PLIVO_API_URL",
}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="powerpack-mcp",
        description=(
            "MCP server for Plivo Powerpacks: run bare to serve MCP over stdio, or use a command "
            "below. Credentials come from the environment: "
            "PLIVO_AUTH_ID and PLIVO_AUTH_TOKEN. Every flag has a POWERPACK_MCP_* twin."
        ),
    )
    p.add_argument("--version", action="version", version=f"powerpack-mcp {__version__}")
    commands = p.add_subparsers(dest="command", metavar="[command]")
    commands.add_parser(
        "demo", help="watch an assistant use the server against the built-in emulator"
    )
    doctor = commands.add_parser("doctor", help="check credentials, access and settings")
    doctor.add_argument("--sandbox", action="store_true", help="check against the emulator")
    config = commands.add_parser("config", help="print the snippet for your MCP client")
    config.add_argument("client", choices=CLIENTS)
    config.add_argument("--sandbox", action="store_true", help="the sandbox variant")
    p.add_argument(
        "--sandbox",
        action="store_const",
        const=True,
        help="run against the built-in Plivo emulator with demo data (no account needed)",
    )
    p.add_argument(
        "--read-only",
        action="store_const",
        const=True,
        help="serve only tools that read; refuse every change (POWERPACK_MCP_READ_ONLY)",
    )
    p.add_argument(
        "--tools",
        metavar="A,B,C",
        help="serve only these tools, comma-separated (POWERPACK_MCP_TOOLS)",
    )
    p.add_argument(
        "--confirm",
        choices=["auto", "elicit", "view", "token"],
        help=(
            "how a person confirms unrenting numbers: auto (a form, else a card), elicit (forms "
            "only), view (cards only), token (also a token the model hands back, when the "
            "client can do neither) (POWERPACK_MCP_CONFIRM; default auto)"
        ),
    )
    p.add_argument(
        "--transport",
        choices=["stdio", "http"],
        help="stdio (default) or streamable HTTP at /mcp (POWERPACK_MCP_TRANSPORT)",
    )
    p.add_argument("--host", help="HTTP bind address (POWERPACK_MCP_HOST; default 127.0.0.1)")
    p.add_argument("--port", type=int, help="HTTP port (POWERPACK_MCP_PORT; default 8000)")
    p.add_argument(
        "--stateless",
        action="store_const",
        const=True,
        help="HTTP without per-session state, for replicas (POWERPACK_MCP_STATELESS)",
    )
    p.add_argument(
        "--allowed-hosts",
        metavar="H,H",
        help="extra Host values, e.g. mcp.example.com:* (POWERPACK_MCP_ALLOWED_HOSTS)",
    )
    p.add_argument(
        "--allowed-origins",
        metavar="O,O",
        help="extra browser Origins, e.g. https://ops.example.com (POWERPACK_MCP_ALLOWED_ORIGINS)",
    )
    p.add_argument(
        "--log-level",
        type=str.upper,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="log level for stderr (POWERPACK_MCP_LOG_LEVEL; default INFO)",
    )
    p.add_argument(
        "--log-format",
        choices=["text", "json"],
        help="stderr log lines as text or one JSON object each (POWERPACK_MCP_LOG_FORMAT)",
    )
    return p


def load_settings(args: argparse.Namespace) -> Settings:
    flags = {
        "sandbox": args.sandbox or None,
        "read_only": args.read_only,
        "tools": args.tools,
        "confirm": args.confirm,
        "log_level": args.log_level,
        "log_format": args.log_format,
        "transport": args.transport,
        "host": args.host,
        "port": args.port,
        "stateless": args.stateless,
        "allowed_hosts": args.allowed_hosts,
        "allowed_origins": args.allowed_origins,
    }
    overrides: dict[str, Any] = {key: value for key, value in flags.items() if value is not None}
    return Settings(**overrides)


def _describe(exc: ValidationError) -> str:
    """One line per problem, named by its variable, never echoing the value."""
    problems = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "?"
        name = _ENV_NAMES.get(field, f"POWERPACK_MCP_{field.upper()}")
        problems.append(f"{name}: {error['msg']}")
    return "; ".join(problems)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "config":
        from .commands import config

        return config.main(args.client, sandbox=args.sandbox)
    try:
        settings = load_settings(args)
        from .logs import configure_logging
        from .server import build_server

        if args.command is not None:
            return _command(args.command, settings)
        configure_logging(settings)
        if settings.transport == "http":
            return _serve_http(settings)
        server = build_server(settings)
    except ValidationError as exc:
        print(f"powerpack-mcp: invalid configuration: {_describe(exc)}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(f"powerpack-mcp: {exc}", file=sys.stderr)
        return 2
    _announce(settings)
    at_a_terminal = sys.stdin.isatty()
    if at_a_terminal:
        from .terminal import note, stop_on_ctrl_c

        stop_on_ctrl_c()
        print(note(settings), file=sys.stderr)
    import anyio

    from .stdio import serve_stdio

    serving = partial(
        serve_stdio, server, drain_timeout=settings.request_timeout, sigint=not at_a_terminal
    )
    anyio.run(
        serving,
        backend_options={"use_uvloop": _has_uvloop()},
    )
    return 0


def _has_uvloop() -> bool:
    """uvloop, where it is installed (not on Windows); the asyncio loop otherwise. On our
    stdio transport it takes 1 to 3% off a call (about 6% on the SDK's; bench/README.md)."""
    import importlib.util

    return importlib.util.find_spec("uvloop") is not None


def _command(name: str, settings: Settings) -> int:
    from .logs import configure_logging

    # A person is reading stdout: only warnings and worse on stderr.
    configure_logging(settings.model_copy(update={"log_level": "WARNING"}))
    if name == "demo":
        from .commands import demo

        return demo.main()
    from .commands import doctor

    return doctor.main(settings)


def _serve_http(settings: Settings) -> int:
    # Imported here: the HTTP stack is loaded only when it is used.
    from .metrics import Metrics
    from .server import build_server
    from .shared import SharedHealth
    from .web import StaticTokenVerifier, address, check_exposure, load_grants, serve

    tokens = load_grants(settings)
    check_exposure(settings, tokens)
    verifier = StaticTokenVerifier(tokens) if tokens else None
    metrics, health = Metrics(), SharedHealth()
    server = build_server(settings, token_verifier=verifier, metrics=metrics, health=health)
    _announce(settings)
    where = f"http://{address(settings)}/mcp" if settings.port else f"/mcp on {address(settings)}"
    logger.info(
        "serving MCP at %s (%s, %d token(s))",
        where,
        "stateless" if settings.stateless else "stateful",
        len(tokens),
    )
    serve(server, settings, metrics, health)
    return 0


def _announce(settings: Settings) -> None:
    if settings.sandbox:
        logger.warning(
            "sandbox mode: serving the built-in Plivo emulator with demo data; "
            "nothing reaches Plivo"
        )


def run() -> None:
    sys.exit(main())
