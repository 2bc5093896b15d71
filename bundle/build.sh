#!/usr/bin/env bash
# Builds the MCP Bundle that installs powerpack-mcp into Claude Desktop in one click:
#   bash bundle/build.sh [OUTPUT.mcpb]      (default dist/powerpack-mcp-<version>.mcpb)
# Needs the mcpb CLI (npm install -g @anthropic-ai/mcpb), or npx to fetch it.
#
# The bundle is of type "uv": it carries the source and pyproject.toml, no dependencies.
# Claude Desktop runs `uv run --project <bundle>`, which installs the dependencies for the
# user's own platform on first start (pydantic-core and cryptography are compiled, so a
# server/lib built here would only work on this OS, CPU and Python). Building needs no
# network beyond fetching mcpb; the first start on the user's machine needs PyPI once.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
version="$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$repo/powerpack_mcp/__init__.py")"
out="$(realpath -m "${1:-$repo/dist/powerpack-mcp-$version.mcpb}")"

# Stage exactly what uv needs to build the project, and the bundle's own files.
stage="$(mktemp -d)/powerpack-mcp"
trap 'rm -rf "$(dirname "$stage")"' EXIT
mkdir -p "$stage"
cp -R "$repo/bundle/manifest.json" "$repo/bundle/server" "$stage/"
cp -R "$repo/pyproject.toml" "$repo/README.md" "$repo/powerpack_mcp" "$repo/prompts" "$stage/"
find "$stage" -name __pycache__ -prune -exec rm -rf {} +

if command -v mcpb >/dev/null; then mcpb=(mcpb); else mcpb=(npx --yes @anthropic-ai/mcpb); fi
"${mcpb[@]}" validate "$stage/manifest.json"
mkdir -p "$(dirname "$out")"
"${mcpb[@]}" pack "$stage" "$out"
echo "bundle: $out"
