"""--state files and the standalone `python -m powerpack_mcp.sandbox` server."""

import json
import os
import queue
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from powerpack_mcp.sandbox import (
    DEFAULT_AUTH_ID,
    DEFAULT_AUTH_TOKEN,
    SandboxState,
    create_app,
    persist,
    serve,
)

ACCOUNT = f"/v1/Account/{DEFAULT_AUTH_ID}/"
AUTH = (DEFAULT_AUTH_ID, DEFAULT_AUTH_TOKEN)
START_TIMEOUT = 20.0


def saved(path: Path) -> dict[str, Any]:
    document = json.loads(path.read_text())
    assert isinstance(document, dict)
    return document


def test_every_mutation_rewrites_a_valid_file_and_leaves_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    app = create_app(SandboxState(state_file=path))
    with serve(app) as url, httpx.Client(base_url=url + ACCOUNT, auth=AUTH) as api:
        created = api.post("Powerpack/", json={"name": "kept"}).json()
        assert "kept" in [p["name"] for p in saved(path)["powerpacks"]]
        api.post(f"NumberPool/{created['number_pool'].split('/')[5]}/Number/12065550107/")
        numbers = {n["number"]: n for n in saved(path)["numbers"]}
        assert numbers["12065550107"]["link"]["pool_uuid"] in created["number_pool"]
        api.request("DELETE", f"Powerpack/{created['uuid']}/", json={"unrent_numbers": True})
        assert "12065550107" not in {n["number"] for n in saved(path)["numbers"]}
        httpx.post(url + "/_sandbox/seed", json={"powerpacks": 3})
        assert len(saved(path)["powerpacks"]) == 6
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_a_failed_write_keeps_the_old_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state.json"
    state = SandboxState(state_file=path)
    state.commit()
    before = path.read_bytes()

    def crash_midway(document: object, handle: Any, **_: object) -> None:
        handle.write('{"format": 1, "powerpacks": [')
        raise OSError("disk full")

    monkeypatch.setattr(persist.json, "dump", crash_midway)
    state.add_powerpack("lost")
    with pytest.raises(OSError, match="disk full"):
        state.commit()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_a_saved_state_loads_back_identically(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    original = SandboxState(state_file=path)
    original.seed(5)
    original.set_delete_status(200)
    original.commit()
    restored = SandboxState(demo=False)
    restored.load_json(saved(path))
    assert restored.to_json() == original.to_json()


class Standalone:
    """The CLI as a subprocess; stderr lines are collected by a thread so reads can time out."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        command = [sys.executable, "-m", "powerpack_mcp.sandbox", "--port", "0", *args]
        self.process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.put(line)

    def banner(self) -> list[str]:
        lines = [self.lines.get(timeout=START_TIMEOUT)]
        while "Press Ctrl-C" not in lines[-1]:
            lines.append(self.lines.get(timeout=START_TIMEOUT))
        return lines

    def stop(self) -> int:
        self.process.terminate()
        return self.process.wait(timeout=START_TIMEOUT)


@contextmanager
def standalone(*args: str, env: dict[str, str] | None = None) -> Iterator[tuple[str, list[str]]]:
    """Yields the base URL the CLI printed on stderr, and its whole banner."""
    server = Standalone(*args, env=env)
    try:
        banner = server.banner()
        match = re.search(r"listening on (http://\S+)", banner[0])
        assert match is not None, banner
        yield match.group(1), banner
    finally:
        server.stop()


def test_standalone_server_keeps_its_state_file_across_restarts(tmp_path: Path) -> None:
    state_file = tmp_path / "sandbox.json"
    with standalone("--state", str(state_file)) as (url, _):
        response = httpx.post(f"{url}{ACCOUNT}Powerpack/", json={"name": "survivor"}, auth=AUTH)
        assert response.status_code == 200
    with standalone("--state", str(state_file)) as (url, banner):
        assert any(str(state_file) in line for line in banner)
        objects = httpx.get(f"{url}{ACCOUNT}Powerpack/", auth=AUTH).json()["objects"]
        assert [p["name"] for p in objects] == ["marketing", "alerts", "support", "survivor"]


def test_standalone_banner_names_url_and_credentials() -> None:
    with standalone("--empty") as (url, banner):
        assert url.startswith("http://127.0.0.1:")
        text = "".join(banner)
        assert f"auth id:    {DEFAULT_AUTH_ID}" in text
        assert f"auth token: {DEFAULT_AUTH_TOKEN}" in text
        assert httpx.get(f"{url}{ACCOUNT}Powerpack/", auth=AUTH).json()["objects"] == []


def test_standalone_stops_cleanly_on_sigterm() -> None:
    server = Standalone()
    server.banner()
    assert server.stop() == 0
    assert "stopped" in server.lines.get(timeout=START_TIMEOUT)


def test_standalone_uses_credentials_from_the_environment() -> None:
    env = {
        **os.environ,
        "POWERPACK_SANDBOX_AUTH_ID": "MA0123456789ABCDEFGH",
        "POWERPACK_SANDBOX_AUTH_TOKEN": "from-env",
    }
    with standalone(env=env) as (url, banner):
        assert "auth token: from-env" in "".join(banner)
        path = f"{url}/v1/Account/MA0123456789ABCDEFGH/Powerpack/"
        assert httpx.get(path, auth=("MA0123456789ABCDEFGH", "from-env")).status_code == 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--auth-id", "nope"], "--auth-id must be 20 characters"),
        (["--state", "{corrupt}"], "cannot use state file"),
    ],
)
def test_standalone_refuses_bad_settings(tmp_path: Path, args: list[str], message: str) -> None:
    corrupt = tmp_path / "corrupt.json"
    corrupt.write_text("{not json")
    args = [str(corrupt) if a == "{corrupt}" else a for a in args]
    command = [sys.executable, "-m", "powerpack_mcp.sandbox", "--port", "0", *args]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=START_TIMEOUT, check=False
    )
    assert result.returncode != 0
    assert message in result.stderr
