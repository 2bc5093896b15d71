#!/usr/bin/env bash
# Builds the test host (host.mjs + its npm packages) into one browser script.
# Usage: build.sh CACHE_DIR   -> prints the bundle's path. node_modules live in CACHE_DIR,
# never in the repository; a second run with the same package.json skips npm.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${1:?usage: build.sh CACHE_DIR}"
mkdir -p "$cache"
if ! cmp -s "$here/package.json" "$cache/package.json" || [ ! -d "$cache/node_modules" ]; then
  cp "$here/package.json" "$cache/package.json"
  (cd "$cache" && npm install --silent --no-audit --no-fund >&2)
fi
cp "$here/host.mjs" "$cache/host.mjs"
(cd "$cache" && node_modules/.bin/esbuild host.mjs --bundle --format=iife --platform=browser \
  --target=es2022 --log-level=warning --outfile=host.js >&2)
echo "$cache/host.js"
