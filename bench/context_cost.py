"""What the tool list costs a model's context, with all tools, `--read-only` and `--tools`.

    python bench/context_cost.py

Starts `powerpack-mcp --sandbox` over stdio for each setting, asks `tools/list`, and prints
the size of the `tools` array as compact JSON, in characters and in approximate tokens
(characters / 4: a rough rule, the real count depends on the model's tokenizer). Clients
differ in what they put in front of the model: some leave the output schemas out, so the
second figure is the list without them. The README's table comes from this script.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

SETTINGS = {
    "all tools": [],
    "--read-only": ["--read-only"],
    "--tools get_powerpack,list_pool_numbers": ["--tools", "get_powerpack,list_pool_numbers"],
}
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "context-cost", "version": "0"},
    },
}
SESSION = [
    INITIALIZE,
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
]


def listed_tools(flags: list[str]) -> list[dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, "-m", "powerpack_mcp", "--sandbox", *flags],
        input="".join(json.dumps(message) + "\n" for message in SESSION),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    for line in done.stdout.splitlines():
        message = json.loads(line)
        if message.get("id") == 2:
            tools: list[dict[str, Any]] = message["result"]["tools"]
            return tools
    raise SystemExit(f"no tools/list answer:\n{done.stdout}\n{done.stderr}")


def size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


def main() -> None:
    print(f"{'setting':42} {'tools':>5} {'chars':>7} {'~tokens':>8} {'no outputSchema':>16}")
    for name, flags in SETTINGS.items():
        tools = listed_tools(flags)
        chars = size(tools)
        lean = size([{k: v for k, v in t.items() if k != "outputSchema"} for t in tools])
        print(f"{name:42} {len(tools):5} {chars:7,} {chars // 4:8,} {lean:7,} (~{lean // 4:,})")


if __name__ == "__main__":
    main()
