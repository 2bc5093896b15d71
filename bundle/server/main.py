"""The bundle's entry point: Claude Desktop starts this with uv (manifest.json, mcp_config).

`uv run --project <bundle>` has installed the project (pyproject.toml beside this folder)
with its dependencies first, so the package imports like any installed one."""

from powerpack_mcp.cli import run

run()
