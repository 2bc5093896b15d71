"""What a person sees who starts the stdio server in a terminal.

The server waits silently for JSON-RPC on stdin, which looks like a hang to someone who typed
`powerpack-mcp` to try it. When stdin is a terminal, stderr says what this is and what to run
instead; stdout stays the protocol's."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import sys
from types import FrameType

from . import __version__
from .commands.launcher import command
from .settings import Settings

SANDBOX = " in sandbox mode (the built-in emulator; nothing reaches Plivo)"


def note(settings: Settings) -> str:
    # By name when the shell finds it; otherwise the command that starts this installation.
    me = "powerpack-mcp" if shutil.which("powerpack-mcp") else shlex.join(command())
    mode = SANDBOX if settings.sandbox else ""
    return f"""
powerpack-mcp {__version__} is an MCP server for Plivo Powerpacks{mode}.
It is waiting for an MCP client on stdin. This is not an interactive prompt: an AI client such
as Claude Desktop starts this command itself and talks to it in JSON-RPC. Stop it with Ctrl+C
or Ctrl+D.

To try it by hand instead:
  {me} demo
      watch an assistant use it against the built-in emulator (no account needed)
  npx @modelcontextprotocol/inspector --cli {me} --sandbox --method tools/list
      call it from the MCP Inspector (Node >= 22.19)
  {me} config claude-desktop
      the snippet that lets your client start it (also claude-code, cursor, vscode)
  {me} doctor
      check credentials, network access and settings
"""


def stop_on_ctrl_c() -> None:
    """Ctrl+C ends the process at once.

    Otherwise it would not: the SDK reads stdin in a worker thread, and a cancelled task group
    waits for that thread, which waits for a line the person will never type. In a terminal
    the only peer is that person, so there is nothing to wind down."""

    def stop(signum: int, frame: FrameType | None) -> None:
        sys.stderr.write("\npowerpack-mcp: stopped\n")
        sys.stderr.flush()
        sys.stdout.flush()
        os._exit(128 + signum)

    signal.signal(signal.SIGINT, stop)
