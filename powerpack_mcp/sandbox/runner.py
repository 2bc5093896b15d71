"""Run the emulator over real HTTP in a background thread (tests, scripts, the CLI)."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

_START_TIMEOUT = 10.0
_POLL_INTERVAL = 0.005
_SHUTDOWN_GRACE = 1


@contextmanager
def serve(app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve `app` with uvicorn; yields the base URL (port 0 picks a free port)."""
    # Requests still in flight at shutdown get a second, not as long as a `delay_ms` fault or
    # a test's deliberately hanging upstream would hold them.
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=_SHUTDOWN_GRACE,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"sandbox-{host}:{port}", daemon=True)
    thread.start()
    try:
        _wait_until_started(server, thread)
        bound_port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://{host}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(_START_TIMEOUT)


def _wait_until_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    stopped = threading.Event()
    waited = 0.0
    while not server.started:
        # uvicorn offers no start event; a short poll is the documented way to wait.
        if not thread.is_alive():
            raise RuntimeError("the sandbox server failed to start (see the log above)")
        if waited > _START_TIMEOUT:
            raise TimeoutError("the sandbox server did not start in time")
        stopped.wait(_POLL_INTERVAL)
        waited += _POLL_INTERVAL
