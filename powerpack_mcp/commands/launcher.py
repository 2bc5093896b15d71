"""How a client should start this installation, for `config`: a command that keeps working.

- A throwaway environment in uv's or pipx's cache (`uvx`, `uv run --with`, `pipx run`): its
  path is gone after the next cache clean, so the answer is the launcher itself with the spec
  this copy was installed from (`uvx --from SPEC powerpack-mcp`, `pipx run --spec SPEC ...`).
- An environment with the `powerpack-mcp` script beside its interpreter (a venv, `pipx
  install`, `uv tool install`): that script.
- Otherwise the script found on PATH, or else the interpreter with `-m powerpack_mcp`.

Paths are made absolute but never resolved: a venv's `python` is a symlink to the base
interpreter, which does not have this package, and a package manager's shim (Homebrew's
`bin/`) points into a versioned folder that an upgrade removes."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

SCRIPT = "powerpack-mcp"
_EXE = ".exe" if os.name == "nt" else ""


def command() -> list[str]:
    prefix = Path(sys.prefix)
    if _pipx_run(prefix):
        return [_tool("pipx"), "run", "--spec", install_spec(), SCRIPT]
    if _uv_cache_env(prefix):
        return [_uvx(), "--from", install_spec(), SCRIPT]
    return _installed()


def _pipx_run(prefix: Path) -> bool:
    # Every pipx environment has pipx_metadata.json; installed ones live in `<PIPX_HOME>/venvs`,
    # `pipx run` ones in its cache folder (a name that changed across pipx versions).
    return (prefix / "pipx_metadata.json").is_file() and prefix.parent.name != "venvs"


def _uv_cache_env(prefix: Path) -> bool:
    """An environment uv made (its pyvenv.cfg says so) inside uv's cache.

    uv's cache root carries a CACHEDIR.TAG (the cache directory tagging convention, so that
    backups skip it). uv also tags each environment it makes, tool installs included, so only
    the environment's ancestors count."""
    try:
        config = (prefix / "pyvenv.cfg").read_text(encoding="utf-8")
    except OSError:
        return False
    made_by_uv = any(line.partition("=")[0].strip() == "uv" for line in config.splitlines())
    return made_by_uv and any((parent / "CACHEDIR.TAG").is_file() for parent in prefix.parents)


def install_spec() -> str:
    """What this copy was installed from, as uvx and pipx accept it (PEP 610's direct_url)."""
    from importlib.metadata import distribution

    dist = distribution(SCRIPT)
    raw = dist.read_text("direct_url.json")
    if not raw:  # from an index: pin the version that is running now
        return f"{SCRIPT}=={dist.version}"
    origin = json.loads(raw)
    url = str(origin["url"])
    if "vcs_info" in origin:
        vcs = origin["vcs_info"]
        url = f"{vcs['vcs']}+{url}@{vcs.get('commit_id') or vcs.get('requested_revision')}"
    elif url.startswith("file:"):
        url = unquote(urlparse(url).path)  # a local checkout or wheel: its path
        if os.name == "nt" and url.startswith("/") and url[2:3] == ":":
            url = url[1:]  # file:///C:/x -> C:/x
    if origin.get("subdirectory"):
        url += f"#subdirectory={origin['subdirectory']}"
    return url


def _uvx() -> str:
    # uv tells the processes it starts where it is (UV); uvx sits beside it.
    uv = os.environ.get("UV")
    if uv and (beside := Path(uv).with_name("uvx" + _EXE)).is_file():
        return os.path.abspath(beside)
    return _tool("uvx")


def _tool(name: str) -> str:
    found = shutil.which(name)
    return os.path.abspath(found) if found else name


def _installed() -> list[str]:
    python = Path(os.path.abspath(sys.executable))
    beside = python.with_name(SCRIPT + _EXE)
    if beside.is_file():
        return [str(beside)]
    found = shutil.which(SCRIPT)
    if found:
        return [os.path.abspath(found)]
    return [str(python), "-m", "powerpack_mcp"]
