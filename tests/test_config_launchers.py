"""`powerpack-mcp config` names a command that starts this installation, however it was made.

Each test builds an environment shaped like one install method, runs `config` from it as a
real process, and where it can, runs the command it printed.

What the uvx and pipx tests prove: given the layout those tools leave (found by running uv
0.13 and pipx 1.18 here: the environment's folder, its pyvenv.cfg, the cache root's
CACHEDIR.TAG, pipx_metadata.json), `config` prints the launcher form with the spec the
package was installed from instead of the cache path. They do not run uvx or pipx; CI's
`.ci/launchers` does, against a real uv and pipx."""

from __future__ import annotations

import json
import os
import select
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from stdio_support import INITIALIZE, clean_env

from powerpack_mcp import __version__

REPO = Path(__file__).resolve().parents[1]
# A PATH on which no powerpack-mcp script can be found.
BARE_PATH = os.pathsep.join(["/usr/bin", "/bin"])


def make_env(root: Path, **pyvenv: str) -> Path:
    """A venv at `root` (symlinked python, no pip, no script) that imports this checkout.

    The .pth hands it the test run's site-packages, where powerpack_mcp and its dependencies
    are installed, as a package manager would have installed them into the venv itself."""
    venv.EnvBuilder(symlinks=True, with_pip=False).create(root)
    python = root / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    dirs = [*site.getsitepackages(), site.getusersitepackages()]
    lines = [f"import site; site.addsitedir({d!r})" for d in dirs if Path(d).is_dir()]
    (Path(purelib) / "_test_run.pth").write_text("\n".join(lines) + "\n")
    if pyvenv:
        with (root / "pyvenv.cfg").open("a") as cfg:
            cfg.writelines(f"{key} = {value}\n" for key, value in pyvenv.items())
    return python


def config(python: Path, *args: str, **env: str) -> dict[str, object]:
    done = subprocess.run(
        [python, "-m", "powerpack_mcp", "config", *args],
        env=clean_env(PATH=BARE_PATH, **env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    server = json.loads(done.stdout)["mcpServers"]["plivo-powerpacks"]
    assert isinstance(server, dict)
    return server


def serves(program: str, args: list[str]) -> dict[str, object]:
    """Start the printed command as the client would; its answer to `initialize`."""
    with subprocess.Popen(
        [program, *args],
        env=clean_env(PATH=BARE_PATH),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as proc:
        assert proc.stdin is not None
        assert proc.stdout is not None
        proc.stdin.write(json.dumps(INITIALIZE) + "\n")
        proc.stdin.flush()
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        line = proc.stdout.readline() if ready else ""
        proc.stdin.close()
        proc.wait(timeout=20)
    answer: dict[str, object] = json.loads(line)
    return answer


def test_a_venv_without_the_script_prints_its_own_interpreter(tmp_path: Path) -> None:
    python = make_env(tmp_path / "venv")
    assert python.is_symlink()  # the case that broke: resolving leaves the venv
    server = config(python, "claude-desktop", "--sandbox")
    assert server["command"] == str(python)
    args = server["args"]
    assert isinstance(args, list)
    assert args == ["-m", "powerpack_mcp", "--sandbox"]
    answer = serves(str(server["command"]), args)
    assert answer["result"]["serverInfo"]["name"] == "powerpack-mcp"  # type: ignore[index]


def test_the_script_beside_the_interpreter_wins_over_path() -> None:
    # The test run's own venv has the script; PATH does not.
    server = config(Path(sys.executable), "cursor", "--sandbox")
    script = Path(sys.executable).with_name("powerpack-mcp")
    assert server["command"] == str(script)
    assert server["args"] == ["--sandbox"]
    answer = serves(str(script), ["--sandbox"])
    assert answer["result"]["serverInfo"]["name"] == "powerpack-mcp"  # type: ignore[index]


def uv_cache(tmp_path: Path) -> Path:
    cache = tmp_path / "uv-cache"
    cache.mkdir()
    (cache / "CACHEDIR.TAG").write_text("Signature: 8a477f597d28d172789f06886806bc55\n")
    return cache


def test_uvx_prints_uvx_with_the_spec_instead_of_the_cache_path(tmp_path: Path) -> None:
    python = make_env(uv_cache(tmp_path) / "archive-v0" / "kSrHqioZ3xmOjWD2", uv="0.13.9")
    uv = tmp_path / "uv-bin" / "uv"
    uv.parent.mkdir()
    for name in ("uv", "uvx"):
        (uv.parent / name).write_text("")
    server = config(python, "claude-desktop", UV=str(uv))
    # This checkout is installed editable from REPO: that is the spec uvx needs.
    assert server["command"] == str(uv.parent / "uvx")
    assert server["args"] == ["--from", str(REPO), "powerpack-mcp"]


def test_uv_tool_install_is_not_throwaway(tmp_path: Path) -> None:
    # `uv tool install` tags the tool's own environment, not its parent.
    root = tmp_path / "tools" / "powerpack-mcp"
    python = make_env(root, uv="0.13.9")
    (root / "CACHEDIR.TAG").write_text("Signature: 8a477f597d28d172789f06886806bc55\n")
    server = config(python, "cursor")
    assert server["command"] == str(python)


def test_pipx_run_prints_pipx_run_with_the_spec(tmp_path: Path) -> None:
    root = tmp_path / "pipx" / ".cache" / "77cbd6f151a2656"
    python = make_env(root)
    (root / "pipx_metadata.json").write_text("{}")
    server = config(python, "cursor")
    assert server["command"] == "pipx"  # not on this PATH: by name
    assert server["args"] == ["run", "--spec", str(REPO), "powerpack-mcp"]


def test_pipx_install_is_not_throwaway(tmp_path: Path) -> None:
    root = tmp_path / "pipx" / "venvs" / "powerpack-mcp"
    python = make_env(root)
    (root / "pipx_metadata.json").write_text("{}")
    assert config(python, "cursor")["command"] == str(python)


@pytest.mark.parametrize(
    ("direct_url", "spec"),
    [
        (None, f"powerpack-mcp=={__version__}"),
        ({"url": "file:///src/power%20pack", "dir_info": {}}, "/src/power pack"),
        (
            {
                "url": "https://github.com/acme/powerpack-mcp",
                "vcs_info": {"vcs": "git", "commit_id": "abc123", "requested_revision": "main"},
            },
            "git+https://github.com/acme/powerpack-mcp@abc123",
        ),
        (
            {"url": "https://example.com/powerpack_mcp-0.1.0-py3-none-any.whl", "archive_info": {}},
            "https://example.com/powerpack_mcp-0.1.0-py3-none-any.whl",
        ),
    ],
)
def test_the_spec_is_where_this_copy_came_from(
    tmp_path: Path, direct_url: dict[str, object] | None, spec: str
) -> None:
    """A copy in uv's cache, installed from an index, a path, git or a wheel URL."""
    root = uv_cache(tmp_path) / "archive-v0" / "x"
    python = make_env(root, uv="0.13.9")
    # Metadata ahead of the test run's on the path, as the cache environment's own would be.
    purelib = next(root.glob("lib/python*/site-packages"))
    info = purelib / f"powerpack_mcp-{__version__}.dist-info"
    info.mkdir()
    metadata = f"Metadata-Version: 2.1\nName: powerpack-mcp\nVersion: {__version__}\n"
    (info / "METADATA").write_text(metadata)
    if direct_url is not None:
        (info / "direct_url.json").write_text(json.dumps(direct_url))
    server = config(python, "cursor")
    assert server["args"] == ["--from", spec, "powerpack-mcp"]
