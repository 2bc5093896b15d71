"""`python -m powerpack_mcp.sandbox`: the emulator as a standalone server.

Defaults: 127.0.0.1, auth id MAXXXXXXXXXXXXXXXXXX and token sandbox-auth-token, overridable
with --auth-id/--auth-token or POWERPACK_SANDBOX_AUTH_ID/POWERPACK_SANDBOX_AUTH_TOKEN.
"""

import argparse
import os
import re
import signal
import sys
import threading
from pathlib import Path

from . import persist
from .app import DEFAULT_AUTH_ID, DEFAULT_AUTH_TOKEN, create_app
from .errors import ApiError
from .ratelimit import RateLimit
from .runner import serve
from .state import SandboxState

# plivo-python refuses any other shape before it sends a request.
_AUTH_ID = re.compile(r"(MA|SA)[A-Z0-9]{18}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m powerpack_mcp.sandbox",
        description="Serve the Plivo Powerpack API emulator until interrupted.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8111, help="port; 0 picks a free one")
    parser.add_argument(
        "--auth-id", default=os.environ.get("POWERPACK_SANDBOX_AUTH_ID", DEFAULT_AUTH_ID)
    )
    parser.add_argument(
        "--auth-token", default=os.environ.get("POWERPACK_SANDBOX_AUTH_TOKEN", DEFAULT_AUTH_TOKEN)
    )
    parser.add_argument("--state", type=Path, help="JSON file that keeps the state across runs")
    parser.add_argument("--empty", action="store_true", help="start without demo Powerpacks")
    parser.add_argument(
        "--rate-limit",
        metavar="N/Ts",
        help="Plivo's account rate limit, such as 300/5s: 429 with Retry-After beyond it",
    )
    args = parser.parse_args(argv)
    if not _AUTH_ID.fullmatch(args.auth_id):
        parser.error("--auth-id must be 20 characters: MA or SA, then 18 letters or digits")
    if not args.auth_token:
        parser.error("--auth-token must not be empty")
    if args.rate_limit is not None:
        try:
            RateLimit.parse(args.rate_limit)
        except ApiError as exc:
            parser.error(f"--rate-limit: {exc.message.removeprefix('rate_limit ')}")
    return args


def load_state(args: argparse.Namespace) -> SandboxState:
    state = SandboxState(demo=not args.empty, state_file=args.state, rate_limit=args.rate_limit)
    if args.state is None:
        return state
    try:
        saved = persist.load(args.state)
        if saved is None:
            state.commit()  # create the file now, so it always exists while serving
        else:
            state.load_json(saved)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        sys.exit(f"cannot use state file {args.state}: {exc}")
    return state


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    app = create_app(load_state(args), auth_id=args.auth_id, auth_token=args.auth_token)
    # SIGTERM stops as cleanly as Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        with serve(app, args.host, args.port) as url:
            print(_banner(url, args), file=sys.stderr, flush=True)
            threading.Event().wait()
    except KeyboardInterrupt:
        # The `with` has already shut the server down; a signal may arrive at any line above.
        pass
    print("Plivo sandbox stopped.", file=sys.stderr, flush=True)


def _banner(url: str, args: argparse.Namespace) -> str:
    where = str(args.state) if args.state else "memory only"
    return "\n".join(
        (
            f"Plivo sandbox listening on {url}",
            f"  auth id:    {args.auth_id}",
            f"  auth token: {args.auth_token}",
            f"  API base:   {url}/v1/Account/{args.auth_id}/",
            f"  control:    {url}/_sandbox/",
            f"  state:      {where}",
            f"  rate limit: {args.rate_limit or 'off'}",
            "Press Ctrl-C to stop.",
        )
    )


if __name__ == "__main__":
    main()
