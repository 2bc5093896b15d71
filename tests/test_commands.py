"""`demo`, `doctor` and `config`, run as a person runs them, checking what they rely on."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from http_support import announced_port
from redis_support import redis_server
from stdio_support import COMMAND, clean_env, run_command

from powerpack_mcp.sandbox import DEFAULT_AUTH_ID, DEFAULT_AUTH_TOKEN

SECRET = "DOCTORCANARY-0123456789abcdef"


run = run_command


def test_demo_piped_is_plain_and_every_step_passes() -> None:
    done = run("demo")
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "\x1b[" not in out  # plain text when piped
    for number in range(1, 11):
        assert f"\n{number}. " in out
    assert out.count("   ok") == 10
    # The two-call setup: find the spare numbers, then add them all in one call.
    assert '-> list_account_numbers {"spare_only": true' in out
    assert "Added 4 of 4 numbers" in out
    assert "Every step behaved as expected." in out
    assert "-> delete_powerpack" in out
    assert "10 days" in out  # the guard's preview is shown
    assert "The person declines." in out
    assert "Cancelled: the person declined." in out
    assert "NAME       STICKY  LOCAL  APP" in out  # results as tables, not JSON
    assert DEFAULT_AUTH_TOKEN not in out + done.stderr
    assert done.stderr == ""


def test_demo_on_a_terminal_uses_colour() -> None:
    leader, follower = pty.openpty()
    with subprocess.Popen(
        [*COMMAND, "demo"], env=clean_env(), stdout=follower, stderr=subprocess.DEVNULL
    ) as proc:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closes when the demo ends
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert proc.wait(timeout=60) == 0
    os.close(leader)
    shown = b"".join(chunks).decode()
    assert "\x1b[" in shown
    assert "Every step behaved as expected." in shown


def test_doctor_sandbox_passes_without_showing_the_token() -> None:
    done = run("doctor", "--sandbox")
    assert done.returncode == 0, done.stdout
    lines = [line for line in done.stdout.splitlines() if line.startswith(("ok", "problem"))]
    assert len(lines) == 6
    assert all(line.startswith("ok") for line in lines)
    assert "may list Powerpacks   3 Powerpack(s)" in done.stdout
    assert DEFAULT_AUTH_TOKEN not in done.stdout + done.stderr


@pytest.fixture
def standalone_emulator() -> Iterator[str]:
    """`python -m powerpack_mcp.sandbox`, as a person would start it, on a port it picks."""
    with (
        tempfile.TemporaryFile(mode="w+") as stderr,
        subprocess.Popen(
            [sys.executable, "-m", "powerpack_mcp.sandbox", "--port", "0"],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        ) as proc,
    ):
        port = announced_port(proc, stderr, re.compile(r"listening on http://\S+:(\d+)"))
        yield f"http://127.0.0.1:{port}"
        proc.terminate()


def test_doctor_with_rejected_credentials(standalone_emulator: str) -> None:
    done = run(
        "doctor",
        PLIVO_AUTH_ID=DEFAULT_AUTH_ID,
        PLIVO_AUTH_TOKEN=SECRET,
        PLIVO_API_URL=standalone_emulator,
    )
    assert done.returncode == 1
    assert "problem  credentials accepted  Plivo answered 401" in done.stdout
    assert "fix: copy the auth ID and token again" in done.stdout
    assert "ok       API reachable" in done.stdout
    assert SECRET not in done.stdout + done.stderr


def test_doctor_with_missing_variables_and_an_unwritable_audit_log(tmp_path: Path) -> None:
    done = run("doctor", POWERPACK_MCP_AUDIT_LOG=str(tmp_path / "no" / "such" / "dir.log"))
    assert done.returncode == 1
    assert "problem  credentials" in done.stdout
    assert "PLIVO_AUTH_ID and PLIVO_AUTH_TOKEN not set" in done.stdout
    assert "problem  audit log" in done.stdout


def test_doctor_wants_shared_keys_for_replicas() -> None:
    done = run("doctor", "--sandbox", POWERPACK_MCP_STATELESS="true")
    assert done.returncode == 1
    assert "POWERPACK_MCP_STATE_KEY" in done.stdout


def test_doctor_checks_the_redis_replicas_share() -> None:
    with redis_server() as redis:
        done = run("doctor", "--sandbox", POWERPACK_MCP_REDIS_URL=redis.url)
        assert done.returncode == 0, done.stdout
        assert f"ok       shared state          Redis at 127.0.0.1:{redis.port} answers" in (
            done.stdout
        )
        redis.stop()
        down = run("doctor", "--sandbox", POWERPACK_MCP_REDIS_URL=redis.url)
    assert down.returncode == 1
    assert "problem  shared state" in down.stdout
    assert "unrenting is refused until it answers" in down.stdout


@pytest.mark.parametrize(
    ("confirm", "flagged"), [("auto", True), ("elicit", True), ("view", True), ("token", False)]
)
def test_doctor_flags_stateless_with_forms(confirm: str, flagged: bool) -> None:
    keys = {"POWERPACK_MCP_CONFIRM_SECRET": "c" * 32, "POWERPACK_MCP_STATE_KEY": "s" * 32}
    done = run(
        "doctor", "--sandbox", POWERPACK_MCP_STATELESS="true", POWERPACK_MCP_CONFIRM=confirm, **keys
    )
    assert ("problem  confirmation forms" in done.stdout) is flagged
    assert ("use --confirm token" in done.stdout) is flagged
    assert done.returncode == int(flagged)


@pytest.mark.parametrize("client", ["claude-desktop", "cursor", "vscode"])
def test_config_json_clients(client: str) -> None:
    done = run("config", client, PLIVO_AUTH_TOKEN=SECRET)
    assert done.returncode == 0
    document = json.loads(done.stdout)  # stdout is exactly the snippet
    servers = document["servers" if client == "vscode" else "mcpServers"]
    server = servers["plivo-powerpacks"]
    assert Path(server["command"]).is_absolute()
    assert set(server["env"]) == {"PLIVO_AUTH_ID", "PLIVO_AUTH_TOKEN"}
    assert SECRET not in done.stdout + done.stderr
    assert done.stderr.strip()  # where to put it
    # No client gets token confirmation: Claude Desktop confirms in the card (MCP Apps).
    assert "--confirm" not in server.get("args", [])
    if client == "vscode":
        assert server["env"]["PLIVO_AUTH_TOKEN"] == "${input:plivo-auth-token}"
        assert document["inputs"][0]["password"] is True


def test_config_claude_code_is_a_command() -> None:
    done = run("config", "claude-code", PLIVO_AUTH_ID=DEFAULT_AUTH_ID, PLIVO_AUTH_TOKEN=SECRET)
    assert done.returncode == 0
    line = done.stdout.strip()
    assert line.startswith("claude mcp add --transport stdio --env ")
    assert f"PLIVO_AUTH_ID={DEFAULT_AUTH_ID}" in line  # not a secret: filled in
    assert "<your Plivo auth token>" in line
    assert SECRET not in line
    assert " -- /" in line  # an absolute path to the command


def _server(client: str, *args: str) -> dict[str, Any]:
    done = run("config", client, *args)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    server: dict[str, Any] = document["servers" if client == "vscode" else "mcpServers"][
        "plivo-powerpacks"
    ]
    return server


@pytest.mark.parametrize("client", ["claude-desktop", "cursor", "vscode"])
def test_config_sandbox_variant_differs_only_in_credentials(client: str) -> None:
    real, sandbox = _server(client), _server(client, "--sandbox")
    assert sandbox["command"] == real["command"]
    # --sandbox stands in for the credentials; everything else, the confirm mode included, is
    # the same, so the sandbox's guarded delete can be completed in the same client.
    assert sandbox["args"].count("--sandbox") == 1
    assert [arg for arg in sandbox["args"] if arg != "--sandbox"] == real.get("args", [])
    assert not sandbox.get("env")
    assert set(real["env"]) == {"PLIVO_AUTH_ID", "PLIVO_AUTH_TOKEN"}


def test_claude_desktop_sandbox_confirms_in_the_card() -> None:
    assert _server("claude-desktop", "--sandbox")["args"] == ["--sandbox"]


def test_config_claude_code_sandbox_variant_is_the_same_command() -> None:
    real = run("config", "claude-code").stdout.strip()
    sandbox = run("config", "claude-code", "--sandbox").stdout.strip()
    assert "--env" not in sandbox
    assert sandbox.split(" -- ")[1] == real.split(" -- ")[1] + " --sandbox"


README = Path(__file__).resolve().parents[1] / "README.md"


def readme_snippet(heading: str) -> dict[str, Any]:
    """The first JSON block after the README's bold `heading` in *Connect your assistant*."""
    text = README.read_text()
    after = text[text.index(f"**{heading}**") :]
    start = after.index("```json\n") + len("```json\n")
    document: dict[str, Any] = json.loads(after[start : after.index("```", start)])
    return document


@pytest.mark.parametrize(
    ("client", "heading"),
    [("claude-desktop", "Claude Desktop"), ("cursor", "Cursor"), ("vscode", "VS Code")],
)
def test_readme_snippets_are_what_config_prints(client: str, heading: str) -> None:
    printed = json.loads(run("config", client).stdout)
    shown = readme_snippet(heading)
    assert shown.keys() == printed.keys()
    assert shown.get("inputs") == printed.get("inputs")  # one VS Code input id everywhere
    key = "servers" if client == "vscode" else "mcpServers"
    ours, theirs = printed[key]["plivo-powerpacks"], shown[key]["plivo-powerpacks"]
    assert ours.keys() == theirs.keys()
    assert Path(ours["command"]).name == theirs["command"]  # README shows it by name
    assert ours.get("args") == theirs.get("args")
    assert ours.get("type") == theirs.get("type")
    assert ours["env"].keys() == theirs["env"].keys()
    if client == "vscode":
        assert ours["env"]["PLIVO_AUTH_TOKEN"] == theirs["env"]["PLIVO_AUTH_TOKEN"]
