"""Benchmarks: powerpack-mcp against the SDK's floor and against the obvious alternative.

    python bench/run.py            # full run (a few minutes on 2 cores)
    python bench/run.py --quick    # the same measures, fewer samples (CI: proves the harness works)

Everything runs on loopback, started and stopped here: the Plivo emulator, powerpack-mcp, a
bare `MCPServer` with one trivial tool (bench/bare_server.py) and a reference server that
wraps Plivo's official SDK (bench/plivo_sdk_server.py). Servers are driven by the MCP SDK's
own client. Absolute times depend on the machine; the ratios, measured side by side in the
same run, are what the goals are about. Goals are reported, never asserted: the exit status is
non-zero only when the harness itself fails. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any, Literal, NoReturn, TextIO

import anyio
import httpx
import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.stdio import get_default_environment, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
HOST = "127.0.0.1"  # loopback only, always
AUTH_ID = "MAXXXXXXXXXXXXXXXXXX"  # the emulator's public demo credentials
AUTH_TOKEN = "sandbox-auth-token"  # noqa: S105 (a public demo credential)
DEMO_UUID = "5a1e0001-7c3d-4f2a-9b1e-000000000001"  # the demo Powerpack 'marketing'
START_TIMEOUT = 30.0
CALL_TIMEOUT = 30.0

Mode = Literal["legacy", "auto"]

OURS = "powerpack-mcp"
BARE = "bare MCPServer"
BARE_GET = "bare MCPServer + GET"  # the fair floor for HTTP: its tool makes one raw GET
SDK_REF = "plivo-SDK reference"
RAW = "raw httpx GET"


@dataclass(frozen=True)
class Plan:
    """How many samples each measure takes."""

    cold_runs: int
    call_samples: int
    warmup_calls: int
    lookup_seed: int
    lookup_runs: int
    http_clients: int
    http_seconds: float
    http_slices: int
    http_warmup: float
    memory_calls: int
    memory_concurrency: int


FULL = Plan(
    cold_runs=15,
    call_samples=1000,
    warmup_calls=50,
    lookup_seed=1000,
    lookup_runs=7,
    http_clients=50,
    http_seconds=20.0,
    http_slices=4,
    http_warmup=1.0,
    memory_calls=10_000,
    memory_concurrency=4,
)
QUICK = Plan(
    cold_runs=3,
    call_samples=150,
    warmup_calls=20,
    lookup_seed=1000,
    lookup_runs=3,
    http_clients=50,
    http_seconds=3.0,
    http_slices=2,
    http_warmup=0.5,
    memory_calls=1000,
    memory_concurrency=4,
)


class HarnessError(RuntimeError):
    """The harness could not measure (a server did not start, answered wrongly, ...)."""


@dataclass
class Goal:
    measure: str
    goal: str
    measured: float
    limit: float
    higher: bool = False  # True: at least `limit`; False: at most `limit`
    unit: str = "x"
    passed: bool = field(init=False)

    def __post_init__(self) -> None:
        ok = self.measured >= self.limit if self.higher else self.measured <= self.limit
        self.passed = bool(ok) and math.isfinite(self.measured)


# Statistics ---------------------------------------------------------------------------------


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


def ratio(a: float, b: float) -> float:
    return round(a / b, 3) if b > 0 else math.nan


# Processes ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def child_pids() -> set[int]:
    """The processes this one started (their parent is us), from /proc."""
    me = os.getpid()
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and brackets, so split after it.
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and int(fields[1]) == me:
            found.add(int(entry.name))
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    """Resident set size (VmRSS) of a process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 2)
    raise HarnessError(f"no VmRSS for process {pid}")


class Processes:
    """Every process the harness starts itself; all are stopped on exit, error or not."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self._running: list[tuple[str, subprocess.Popen[bytes]]] = []
        self._logs: list[TextIO] = []

    def log(self, name: str) -> TextIO:
        handle = (self.log_dir / f"{name}.log").open("a", encoding="utf-8")
        self._logs.append(handle)
        return handle

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = self.log(name)
        proc = subprocess.Popen(
            argv, env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
        self._running.append((name, proc))
        return proc

    def stop(self, proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        self._running = [(n, p) for n, p in self._running if p is not proc]

    def log_tail(self, name: str, lines: int = 15) -> str:
        try:
            text = (self.log_dir / f"{name}.log").read_text(encoding="utf-8")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop_all(self) -> None:
        for _, proc in reversed(self._running):
            self.stop(proc)
        for handle in self._logs:
            handle.close()
        self._logs.clear()


async def wait_http(procs: Processes, name: str, proc: subprocess.Popen[bytes], url: str) -> None:
    """Until `url` answers anything at all; the process must stay alive meanwhile."""
    deadline = time.monotonic() + START_TIMEOUT
    async with httpx.AsyncClient(timeout=2.0) as http:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise HarnessError(
                    f"{name} exited with {proc.returncode} at start:\n{procs.log_tail(name)}"
                )
            try:
                await http.get(url)
            except httpx.TransportError:
                await anyio.sleep(0.05)
            else:
                return
    raise HarnessError(f"{name} did not answer at {url} within {START_TIMEOUT:g} s")


# The emulator -------------------------------------------------------------------------------


class Emulator:
    """The Plivo emulator as a separate process, driven through its /_sandbox/ surface."""

    def __init__(self, url: str, pid: int) -> None:
        self.url = url
        self.pid = pid
        self.api = f"{url}/v1/Account/{AUTH_ID}/"
        self._control = httpx.AsyncClient(base_url=f"{url}/_sandbox/", timeout=30.0)

    async def aclose(self) -> None:
        await self._control.aclose()

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = await self._control.request(method, path, json=body)
        if response.status_code >= 400:
            raise HarnessError(f"emulator {method} {path}: {response.status_code} {response.text}")
        return response.json()

    async def reset(self, *, demo: bool) -> None:
        await self._call("POST", "reset", {"demo": demo})

    async def seed(self, count: int) -> dict[str, Any]:
        return dict(await self._call("POST", "seed", {"powerpacks": count}))

    async def latency(self, delay_ms: int) -> None:
        await self._call("POST", "faults", {"path": ".", "delay_ms": delay_ms})

    async def clear_faults(self) -> None:
        await self._call("DELETE", "faults")

    async def clear_stats(self) -> None:
        await self._call("DELETE", "stats")

    async def max_in_flight(self) -> int:
        return int((await self._call("GET", "stats"))["max_in_flight"])

    async def clear_requests(self) -> None:
        await self._call("DELETE", "requests")

    async def request_count(self) -> int:
        return len((await self._call("GET", "requests"))["requests"])


def upstream_env(emulator_url: str) -> dict[str, str]:
    """A clean environment (what the SDK's stdio client passes) plus the emulator's account.

    The emulator enforces no rate limit, so our server holds none either: what is measured is
    its own cost, not Plivo's 300 requests per 5 s."""
    return {
        **get_default_environment(),
        "PLIVO_AUTH_ID": AUTH_ID,
        "PLIVO_AUTH_TOKEN": AUTH_TOKEN,
        "PLIVO_API_URL": emulator_url,
        "POWERPACK_MCP_PLIVO_RATE_LIMIT": "1000000/1s",
    }


@contextmanager
def emulator_process(procs: Processes) -> Iterator[tuple[str, int]]:
    port = free_port()
    argv = [sys.executable, "-m", "powerpack_mcp.sandbox", "--host", HOST, "--port", str(port)]
    proc = procs.start("emulator", argv, get_default_environment())
    url = f"http://{HOST}:{port}"
    try:
        anyio.run(wait_http, procs, "emulator", proc, f"{url}/_sandbox/stats")
        yield url, proc.pid
    finally:
        procs.stop(proc)


# Servers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    """One server under test: how to start it, and the call that is measured."""

    name: str
    argv: list[str]
    tool: str
    arguments: dict[str, Any]
    http_argv: list[str] = field(default_factory=list)

    def check(self, result: CallToolResult) -> None:
        """The measured call must really have worked, or the numbers mean nothing."""
        content = result.structured_content
        if content is None and result.content and result.content[0].type == "text":
            text = result.content[0].text
            content = json.loads(text) if text.startswith("{") else {}
        content = content or {}
        if result.is_error:
            raise HarnessError(f"{self.name}: {self.tool} failed: {result.content}")
        if self.tool == "get_powerpack" and content.get("uuid") != self.arguments["powerpack"]:
            raise HarnessError(f"{self.name}: unexpected answer {content!r}")


def powerpack_mcp_command() -> list[str]:
    """The console script, as IDEs spawn it (falls back to `python -m powerpack_mcp`)."""
    script = Path(sys.executable).with_name("powerpack-mcp")
    return [str(script)] if script.exists() else [sys.executable, "-m", "powerpack_mcp"]


def servers() -> dict[str, Server]:
    by_uuid = {"powerpack": DEMO_UUID}
    ours = powerpack_mcp_command()
    bare = [sys.executable, str(BENCH / "bare_server.py")]
    return {
        OURS: Server(
            OURS,
            ours,
            "get_powerpack",
            by_uuid,
            http_argv=[*ours, "--transport", "http", "--stateless"],
        ),
        BARE: Server(BARE, bare, "echo", {"text": "x"}, http_argv=[*bare, "--transport", "http"]),
        BARE_GET: Server(
            BARE_GET, bare, "get_powerpack", by_uuid, http_argv=[*bare, "--transport", "http"]
        ),
        SDK_REF: Server(
            SDK_REF, [sys.executable, str(BENCH / "plivo_sdk_server.py")], "get_powerpack", by_uuid
        ),
    }


@dataclass
class Bench:
    plan: Plan
    mode: Mode
    procs: Processes
    emulator: Emulator
    env: dict[str, str]
    servers: dict[str, Server]

    def stdio_client(self, server: Server) -> Client:
        params = StdioServerParameters(command=server.argv[0], args=server.argv[1:], env=self.env)
        errlog = self.procs.log(server.name.replace(" ", "-"))
        return Client(stdio_client(params, errlog=errlog), mode=self.mode, cache=None)

    @asynccontextmanager
    async def session(self, server: Server) -> AsyncIterator[tuple[Client, int]]:
        """A warm stdio session (initialized, tools listed) and the server's process id."""
        before = child_pids()
        async with self.stdio_client(server) as client:
            await client.list_tools()
            started = child_pids() - before
            if len(started) != 1:
                raise HarnessError(f"cannot tell {server.name}'s process apart: {started}")
            yield client, started.pop()


async def call(client: Client, server: Server, arguments: dict[str, Any] | None = None) -> float:
    """One call; its wall time in seconds."""
    started = time.perf_counter()
    with anyio.fail_after(CALL_TIMEOUT):
        result = await client.call_tool(server.tool, arguments or server.arguments)
    elapsed = time.perf_counter() - started
    if result.is_error:
        raise HarnessError(f"{server.name}: {server.tool} failed: {result.content}")
    return elapsed


# 1. Cold start ------------------------------------------------------------------------------


async def cold_start(bench: Bench) -> dict[str, Any]:
    names = [OURS, BARE, SDK_REF]
    samples: dict[str, list[float]] = {name: [] for name in names}
    # One unmeasured round first (disk cache), then rounds in rotating order, so drift in
    # the machine's load falls on every server alike.
    for round_no in range(bench.plan.cold_runs + 1):
        shift = round_no % len(names)
        for name in names[shift:] + names[:shift]:
            started = time.perf_counter()
            async with bench.stdio_client(bench.servers[name]) as client:
                with anyio.fail_after(START_TIMEOUT):
                    await client.list_tools()
                elapsed = time.perf_counter() - started
            if round_no:
                samples[name].append(elapsed)
    medians = {name: median(values) for name, values in samples.items()}
    return {
        "runs": bench.plan.cold_runs,
        "median_ms": {name: ms(value) for name, value in medians.items()},
        "min_ms": {name: ms(min(values)) for name, values in samples.items()},
        "ratio_vs_bare": ratio(medians[OURS], medians[BARE]),
        "ratio_sdk_ref_vs_bare": ratio(medians[SDK_REF], medians[BARE]),
    }


# 2. Per-call latency ------------------------------------------------------------------------


async def per_call(bench: Bench) -> dict[str, Any]:
    await bench.emulator.reset(demo=True)
    await bench.emulator.clear_faults()
    names = [OURS, BARE, SDK_REF]
    samples: dict[str, list[float]] = {name: [] for name in [*names, RAW]}
    auth = httpx.BasicAuth(AUTH_ID, AUTH_TOKEN)
    async with AsyncExitStack() as stack:
        raw = await stack.enter_async_context(
            httpx.AsyncClient(base_url=bench.emulator.api, auth=auth, timeout=CALL_TIMEOUT)
        )

        async def raw_get() -> float:
            started = time.perf_counter()
            response = await raw.get(f"Powerpack/{DEMO_UUID}/")
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise HarnessError(f"raw GET answered {response.status_code}")
            return elapsed

        ops: dict[str, Callable[[], Awaitable[float]]] = {RAW: raw_get}
        for name in names:
            server = bench.servers[name]
            client, _ = await stack.enter_async_context(bench.session(server))
            server.check(await client.call_tool(server.tool, server.arguments))
            ops[name] = _bind(client, server)
        for op in ops.values():
            for _ in range(bench.plan.warmup_calls):
                await op()
        order = list(ops)
        for i in range(bench.plan.call_samples):
            shift = i % len(order)
            for name in order[shift:] + order[:shift]:
                samples[name].append(await ops[name]())
    medians = {name: median(values) for name, values in samples.items()}
    floor = medians[BARE] + medians[RAW]
    return {
        "samples": bench.plan.call_samples,
        "median_ms": {name: ms(value) for name, value in medians.items()},
        "p90_ms": {name: ms(percentile(values, 90)) for name, values in samples.items()},
        "floor_ms": ms(floor),
        "ratio_vs_floor": ratio(medians[OURS], floor),
        "ratio_vs_sdk_ref": ratio(medians[OURS], medians[SDK_REF]),
    }


def _bind(client: Client, server: Server) -> Callable[[], Awaitable[float]]:
    async def op() -> float:
        return await call(client, server)

    return op


# 3. Name lookup -----------------------------------------------------------------------------


async def name_lookup(bench: Bench) -> dict[str, Any]:
    """First lookups (a name not seen before: the scan) and repeat lookups (the same name
    again: powerpack-mcp's remembered UUID, proven by one GET), against the SDK's walk."""
    emulator = bench.emulator
    await emulator.reset(demo=False)
    seeded = await emulator.seed(bench.plan.lookup_seed)
    last = int(str(seeded["last"]).rsplit("-", 1)[1])
    # Names on the last page, a different one for each run, so every first lookup is one.
    names = [f"seed-{last - run:05d}" for run in range(bench.plan.lookup_runs + 1)]
    await emulator.latency(20)
    kinds = {"first": OURS, "repeat": OURS, "walk": SDK_REF}
    samples: dict[str, list[float]] = {kind: [] for kind in kinds}
    in_flight = dict.fromkeys(kinds, 0)
    requests: dict[str, list[int]] = {kind: [] for kind in kinds}
    try:
        async with AsyncExitStack() as stack:
            sessions = {
                key: (await stack.enter_async_context(bench.session(bench.servers[key])))[0]
                for key in (OURS, SDK_REF)
            }
            # names[0] first: one unmeasured round, a warm session with its connections open.
            for run, name in enumerate(names):
                for kind, key in kinds.items():
                    await emulator.clear_stats()
                    await emulator.clear_requests()
                    elapsed = await _lookup(sessions[key], key, name)
                    if run:
                        samples[kind].append(elapsed)
                        in_flight[kind] = max(in_flight[kind], await emulator.max_in_flight())
                        requests[kind].append(await emulator.request_count())
    finally:
        await emulator.clear_faults()
    medians = {kind: median(values) for kind, values in samples.items()}
    return {
        "powerpacks": seeded["total"],
        "names": names[1:],
        "latency_ms_per_request": 20,
        "runs": bench.plan.lookup_runs,
        "median_ms": {kind: ms(value) for kind, value in medians.items()},
        "upstream_requests": {kind: max(counts) for kind, counts in requests.items()},
        "max_in_flight": in_flight,
        "speedup_first_vs_sdk_ref": ratio(medians["walk"], medians["first"]),
        "speedup_repeat_vs_sdk_ref": ratio(medians["walk"], medians["repeat"]),
    }


async def _lookup(client: Client, server: str, name: str) -> float:
    started = time.perf_counter()
    with anyio.fail_after(CALL_TIMEOUT):
        result = await client.call_tool("get_powerpack", {"powerpack": name})
    elapsed = time.perf_counter() - started
    found = (result.structured_content or {}).get("name")
    if result.is_error or found != name:
        raise HarnessError(f"{server}: lookup of {name!r} answered {result.content}")
    return elapsed


# tools/list ---------------------------------------------------------------------------------


async def tools_list(bench: Bench) -> dict[str, Any]:
    """What the tool list costs a model's context (bench/context_cost.py's count)."""
    from context_cost import listed_tools, size

    tools = await anyio.to_thread.run_sync(listed_tools, [])
    chars = size({"tools": tools})
    schemas = sum(size(tool.get("outputSchema", {})) for tool in tools)
    return {
        "tools": len(tools),
        "chars": chars,
        "tokens": chars // 4,
        "output_schema_chars": schemas,
    }


# 4. HTTP ------------------------------------------------------------------------------------


class HttpLoad:
    """One stateless HTTP server and its connected clients; load is applied in slices."""

    def __init__(self, bench: Bench, server: Server, pid: int, clients: list[Client]) -> None:
        self.bench = bench
        self.server = server
        self.clients = clients
        self.pids = {"server": pid, "emulator": bench.emulator.pid, "client (harness)": os.getpid()}
        self.latencies: list[float] = []
        self.errors = 0
        self.seconds = 0.0
        self.cpu = dict.fromkeys(self.pids, 0.0)

    async def run_slice(self, warmup: float, seconds: float) -> None:
        """Every client calls as fast as it is answered; counted: calls inside the window."""
        start = time.perf_counter() + warmup
        end = start + seconds

        async def worker(client: Client) -> None:
            while (began := time.perf_counter()) < end:
                try:
                    with anyio.fail_after(CALL_TIMEOUT):
                        result = await client.call_tool(self.server.tool, self.server.arguments)
                    ok = not result.is_error
                except Exception:
                    ok = False
                finished = time.perf_counter()
                if began < start or finished > end:
                    continue
                if ok:
                    self.latencies.append(finished - began)
                else:
                    self.errors += 1

        async def cpu_meter() -> None:
            """CPU each process spends in the window: who is saturated on this machine."""
            await anyio.sleep(max(0.0, start - time.perf_counter()))
            before = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
            await anyio.sleep(max(0.0, end - time.perf_counter()))
            for name, pid in self.pids.items():
                self.cpu[name] += cpu_seconds(pid) - before[name]

        async with anyio.create_task_group() as tg:
            tg.start_soon(cpu_meter)
            for client in self.clients:
                tg.start_soon(worker, client)
        self.seconds += seconds

    def result(self) -> dict[str, Any]:
        calls = len(self.latencies)
        return {
            "clients": len(self.clients),
            "seconds": self.seconds,
            "calls": calls,
            "errors": self.errors,
            "throughput_per_s": round(calls / self.seconds, 1),
            "p50_ms": ms(percentile(self.latencies, 50)),
            "p99_ms": ms(percentile(self.latencies, 99)),
            # 1.0 means that process kept one whole core busy for the measured time.
            "cpu_cores_busy": {k: round(v / self.seconds, 2) for k, v in self.cpu.items()},
            "cpu_ms_per_call": {
                k: ms(v / calls) if calls else math.nan for k, v in self.cpu.items()
            },
        }


@asynccontextmanager
async def http_server(
    bench: Bench, server: Server, http: httpx2.AsyncClient
) -> AsyncIterator[HttpLoad]:
    """The server started with `--port`, and `http_clients` MCP clients connected to it."""
    port = free_port()
    name = f"{server.name.replace(' ', '-')}-http"
    proc = bench.procs.start(name, [*server.http_argv, "--port", str(port)], bench.env)
    try:
        # Any answer means it is up (GET /mcp would open an event stream that never ends).
        await wait_http(bench.procs, name, proc, f"http://{HOST}:{port}/healthz")
        async with AsyncExitStack() as stack:
            clients = []
            for _ in range(bench.plan.http_clients):
                transport = streamable_http_client(f"http://{HOST}:{port}/mcp", http_client=http)
                client = Client(transport, mode=bench.mode, cache=None)
                clients.append(await stack.enter_async_context(client))
            for client in clients:  # the first call also lists tools (output schemas)
                server.check(await client.call_tool(server.tool, server.arguments))
            yield HttpLoad(bench, server, proc.pid, clients)
    finally:
        bench.procs.stop(proc)


async def http(bench: Bench) -> dict[str, Any]:
    await bench.emulator.reset(demo=True)
    await bench.emulator.clear_faults()
    plan = bench.plan
    names = [OURS, BARE_GET]
    rss: dict[str, dict[str, float]] = {}
    connections = plan.http_clients * len(names)
    limits = httpx2.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with (
        httpx2.AsyncClient(limits=limits, timeout=CALL_TIMEOUT) as client,
        AsyncExitStack() as stack,
    ):
        loads: dict[str, HttpLoad] = {}
        for name in names:
            loads[name] = await stack.enter_async_context(
                http_server(bench, bench.servers[name], client)
            )
            rss[name] = {"after_start": rss_mib(loads[name].pids["server"])}
        # Alternating slices, so a change in the machine's load falls on both servers alike.
        for i in range(plan.http_slices):
            for name in names[i % 2 :] + names[: i % 2]:
                await loads[name].run_slice(plan.http_warmup, plan.http_seconds / plan.http_slices)
        results = {name: load.result() for name, load in loads.items()}
        for name, load in loads.items():
            results[name]["rss_mib"] = {**rss[name], "after_load": rss_mib(load.pids["server"])}
    return {
        **results,
        "throughput_ratio_vs_floor": ratio(
            results[OURS]["throughput_per_s"], results[BARE_GET]["throughput_per_s"]
        ),
    }


# 5. Memory ----------------------------------------------------------------------------------


async def memory(bench: Bench) -> dict[str, Any]:
    await bench.emulator.reset(demo=True)
    await bench.emulator.clear_faults()
    plan = bench.plan
    warmup = min(100, plan.memory_calls)
    result: dict[str, dict[str, float]] = {}
    for name in (BARE, OURS):
        server = bench.servers[name]
        async with bench.session(server) as (client, pid):
            await anyio.sleep(0.2)  # let start-up garbage settle
            after_start = rss_mib(pid)
            await _calls(client, server, warmup, plan.memory_concurrency)
            after_warmup = rss_mib(pid)
            await _calls(client, server, plan.memory_calls - warmup, plan.memory_concurrency)
            result[name] = {
                "after_start": after_start,
                "after_warmup": after_warmup,
                "after_calls": rss_mib(pid),
            }
    ours, bare = result[OURS], result[BARE]
    return {
        "calls": plan.memory_calls,
        "warmup_calls": warmup,
        "rss_mib": result,
        "start_ratio_vs_bare": ratio(ours["after_start"], bare["after_start"]),
        "growth_over_calls": ratio(ours["after_calls"], ours["after_start"]),
        "growth_after_warmup": ratio(ours["after_calls"], ours["after_warmup"]),
    }


async def _calls(client: Client, server: Server, count: int, concurrency: int) -> None:
    async def worker(share: int) -> None:
        for _ in range(share):
            await call(client, server)

    async with anyio.create_task_group() as tg:
        for i in range(concurrency):
            tg.start_soon(worker, count // concurrency + (1 if i < count % concurrency else 0))


# Report -------------------------------------------------------------------------------------


def goals(m: dict[str, Any]) -> list[Goal]:
    """Each goal of the issue, judged on this run's ratios (only for the measures run)."""
    found: list[Goal] = []
    if cold := m.get("cold_start"):
        found.append(Goal("1 cold start", "<= 1.15x bare MCPServer", cold["ratio_vs_bare"], 1.15))
    if calls := m.get("per_call"):
        found += [
            Goal("2 per-call", "<= 1.0x plivo-SDK reference", calls["ratio_vs_sdk_ref"], 1.0),
            Goal("2 per-call", "<= 1.2x (bare tool + raw GET)", calls["ratio_vs_floor"], 1.2),
        ]
    if lookup := m.get("name_lookup"):
        first, repeat = lookup["speedup_first_vs_sdk_ref"], lookup["speedup_repeat_vs_sdk_ref"]
        found += [
            Goal("3 first lookup", ">= 5x faster than SDK walk", first, 5, higher=True),
            Goal(
                "3 first lookup",
                "<= 8 requests in flight",
                lookup["max_in_flight"]["first"],
                8,
                unit="",
            ),
            Goal("3 repeat lookup", ">= 25x faster than SDK walk", repeat, 25, higher=True),
            Goal(
                "3 repeat lookup",
                "exactly 1 upstream request",
                lookup["upstream_requests"]["repeat"],
                1,
                unit="",
            ),
        ]
    if listed := m.get("tools_list"):
        found.append(Goal("context", "tools/list <= 4,000 tokens", listed["tokens"], 4000, unit=""))
    if web := m.get("http"):
        throughput = web["throughput_ratio_vs_floor"]
        found.append(Goal("4 HTTP", ">= 0.8x bare + GET throughput", throughput, 0.8, higher=True))
    if mem := m.get("memory"):
        found += [
            Goal("5 memory", "<= 1.2x bare after start", mem["start_ratio_vs_bare"], 1.2),
            Goal("5 memory", "<= +10% over the calls", mem["growth_over_calls"], 1.1),
        ]
    return found


def _cold_start(cold: dict[str, Any]) -> list[str]:
    lines = [f"1. Cold start over stdio: spawn -> initialize -> tools/list ({cold['runs']} runs)"]
    for name, value in cold["median_ms"].items():
        lines.append(f"   {name:<22} {value:9.1f} ms   (min {cold['min_ms'][name]:.1f} ms)")
    lines.append(
        f"   powerpack-mcp / bare: {cold['ratio_vs_bare']:.2f}x   "
        f"(plivo-SDK reference / bare: {cold['ratio_sdk_ref_vs_bare']:.2f}x)"
    )
    return lines


def _per_call(calls: dict[str, Any]) -> list[str]:
    lines = [
        "2. Per-call latency, warm stdio session, get_powerpack by UUID "
        f"({calls['samples']} samples each)"
    ]
    for name, value in calls["median_ms"].items():
        lines.append(f"   {name:<22} {value:9.3f} ms   (p90 {calls['p90_ms'][name]:.3f} ms)")
    lines += [
        f"   floor = bare tool + raw GET = {calls['floor_ms']:.3f} ms; "
        f"powerpack-mcp / floor: {calls['ratio_vs_floor']:.2f}x",
        f"   powerpack-mcp / plivo-SDK reference: {calls['ratio_vs_sdk_ref']:.2f}x",
    ]
    return lines


_LOOKUP_KINDS = {
    "first": "powerpack-mcp, first",
    "repeat": "powerpack-mcp, repeat",
    "walk": "plivo-SDK reference",
}


def _name_lookup(lookup: dict[str, Any]) -> list[str]:
    lines = [
        f"3. Name lookup on the last page of {lookup['powerpacks']} Powerpacks, "
        f"{lookup['latency_ms_per_request']} ms per upstream request ({lookup['runs']} runs, "
        "a new name each)"
    ]
    for kind, label in _LOOKUP_KINDS.items():
        lines.append(
            f"   {label:<22} {lookup['median_ms'][kind]:9.1f} ms   "
            f"({lookup['upstream_requests'][kind]} requests, "
            f"at most {lookup['max_in_flight'][kind]} in flight)"
        )
    lines.append(
        "   speed-up vs the SDK's sequential walk: "
        f"first {lookup['speedup_first_vs_sdk_ref']:.2f}x, "
        f"repeat {lookup['speedup_repeat_vs_sdk_ref']:.2f}x"
    )
    return lines


def _tools_list(listed: dict[str, Any]) -> list[str]:
    return [
        "Context: what tools/list costs a model before the user says a word",
        f"   tools/list: {listed['tools']} tools, {listed['chars']:,} characters, about "
        f"{listed['tokens']:,} tokens (characters / 4), output schemas "
        f"{listed['output_schema_chars']:,} characters",
    ]


def _http(web: dict[str, Any]) -> list[str]:
    lines = [
        f"4. Streamable HTTP, --stateless, {web[OURS]['clients']} concurrent clients for "
        f"{web[OURS]['seconds']:g} s"
    ]
    for name in (OURS, BARE_GET):
        r = web[name]
        lines.append(
            f"   {name:<22} {r['throughput_per_s']:7.1f} calls/s   p50 {r['p50_ms']:.1f} ms   "
            f"p99 {r['p99_ms']:.1f} ms   errors {r['errors']}   "
            f"RSS {r['rss_mib']['after_start']:.1f} -> {r['rss_mib']['after_load']:.1f} MiB"
        )
    for name in (OURS, BARE_GET):
        per_call = ", ".join(f"{k} {v:.2f}" for k, v in web[name]["cpu_ms_per_call"].items())
        busy = sum(web[name]["cpu_cores_busy"].values())
        lines.append(f"   {name:<22} CPU ms per call: {per_call} ({busy:.2f} cores busy)")
    lines.append(
        f"   throughput powerpack-mcp / bare + GET: {web['throughput_ratio_vs_floor']:.2f}x"
    )
    return lines


def _memory(mem: dict[str, Any]) -> list[str]:
    lines = [f"5. Memory (RSS) over stdio: after start, after warm-up, after {mem['calls']} calls"]
    for name, r in mem["rss_mib"].items():
        lines.append(
            f"   {name:<22} {r['after_start']:6.1f} MiB   {r['after_warmup']:6.1f} MiB   "
            f"{r['after_calls']:6.1f} MiB"
        )
    lines += [
        f"   powerpack-mcp / bare after start: {mem['start_ratio_vs_bare']:.2f}x",
        f"   growth over the calls: {mem['growth_over_calls']:.3f}x "
        f"(after the {mem['warmup_calls']} warm-up calls: {mem['growth_after_warmup']:.3f}x)",
    ]
    return lines


SECTIONS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "cold_start": _cold_start,
    "per_call": _per_call,
    "name_lookup": _name_lookup,
    "tools_list": _tools_list,
    "http": _http,
    "memory": _memory,
}


def render(m: dict[str, Any], checks: list[Goal], meta: dict[str, Any]) -> str:
    lines = [
        f"powerpack-mcp benchmarks: {meta['kind']} run, {meta['cpus']} CPUs, "
        f"Python {meta['python']}, mcp {meta['versions']['mcp']}, protocol {meta['mode']}",
        "(medians; ratios measured side by side in this run)",
    ]
    for key, section in SECTIONS.items():
        if key in m:
            lines += ["", *section(m[key])]
    lines += ["", "Goals", f"   {'measure':<15} {'goal':<30} {'measured':>9} {'result':>7}"]
    for g in checks:
        shown = f"{g.measured:.2f}{g.unit}" if g.unit else f"{g.measured:g}"
        lines.append(
            f"   {g.measure:<15} {g.goal:<30} {shown:>9} {'pass' if g.passed else 'MISS':>7}"
        )
    return "\n".join(lines)


# Main ---------------------------------------------------------------------------------------

MEASURES: dict[str, Callable[[Bench], Awaitable[dict[str, Any]]]] = {
    "cold_start": cold_start,
    "per_call": per_call,
    "name_lookup": name_lookup,
    "tools_list": tools_list,
    "http": http,
    "memory": memory,
}


async def run_all(bench: Bench, only: set[str]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for key, measure in MEASURES.items():
        if only and key not in only:
            continue
        started = time.perf_counter()
        print(f"... {key.replace('_', ' ')}", file=sys.stderr, flush=True)
        results[key] = await measure(bench)
        results[key]["elapsed_s"] = round(time.perf_counter() - started, 1)
    return results


def metadata(args: argparse.Namespace, plan: Plan) -> dict[str, Any]:
    return {
        "kind": "quick" if args.quick else "full",
        "mode": args.mode,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": {
            package: version(package)
            for package in ("powerpack-mcp", "mcp", "httpx", "httpx2", "plivo", "uvicorn")
        },
        "plan": asdict(plan),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python bench/run.py", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument("--quick", action="store_true", help="fewer samples (about a minute)")
    parser.add_argument(
        "--out",
        type=Path,
        default=BENCH / "results" / "latest.json",
        help="where to write the JSON results (default bench/results/latest.json)",
    )
    parser.add_argument(
        "--mode",
        choices=["legacy", "auto"],
        default="legacy",
        help="client protocol: legacy = 2025-11-25 initialize handshake (default), "
        "auto = the 2.x client's negotiation (2026-07-28)",
    )
    parser.add_argument(
        "--only",
        type=lambda text: {part.strip() for part in text.split(",") if part.strip()},
        default=set(),
        metavar="M,M",
        help=f"run only these measures (for profiling): {', '.join(MEASURES)}",
    )
    args = parser.parse_args(argv)
    unknown = args.only - set(MEASURES)
    if unknown:
        parser.error(f"unknown measure(s) in --only: {', '.join(sorted(unknown))}")
    return args


def _harness_errors(exc: BaseException) -> list[HarnessError]:
    """The HarnessErrors in `exc`, unwrapping task-group exception groups."""
    if isinstance(exc, HarnessError):
        return [exc]
    if isinstance(exc, BaseExceptionGroup):
        return [found for inner in exc.exceptions for found in _harness_errors(inner)]
    return []


def _terminate(signum: int, _frame: object) -> NoReturn:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    plan = QUICK if args.quick else FULL
    signal.signal(signal.SIGTERM, _terminate)  # stop every child on SIGTERM too
    log_dir = BENCH / "results" / "logs"  # git-ignored, and only ever holds our logs
    log_dir.mkdir(parents=True, exist_ok=True)
    for old in log_dir.glob("*.log"):
        old.unlink()
    procs = Processes(log_dir)
    meta = metadata(args, plan)
    started = time.perf_counter()
    try:
        with emulator_process(procs) as (url, pid):

            async def measure() -> dict[str, Any]:
                emulator = Emulator(url, pid)
                try:
                    bench = Bench(plan, args.mode, procs, emulator, upstream_env(url), servers())
                    return await run_all(bench, args.only)
                finally:
                    await emulator.aclose()

            measures = anyio.run(measure)
    except Exception as exc:
        harness = _harness_errors(exc)
        if not harness:
            raise
        for error in harness:
            print(f"bench: the harness failed: {error}", file=sys.stderr)
        print(f"(server logs in {log_dir})", file=sys.stderr)
        return 1
    finally:
        procs.stop_all()
    meta["elapsed_s"] = round(time.perf_counter() - started, 1)
    checks = goals(measures)
    print(render(measures, checks, meta))
    document = {"meta": meta, "measures": measures, "goals": [asdict(g) for g in checks]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(
        f"\n{sum(g.passed for g in checks)}/{len(checks)} goals met; wrote {args.out} "
        f"in {meta['elapsed_s']:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
