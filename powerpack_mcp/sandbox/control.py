"""The /_sandbox/ control surface: reset, seed, rent numbers, faults, request log, stats and config.

No auth, no faults, not logged: it is how tests and benchmarks drive the emulator.
"""

from collections.abc import Callable
from typing import Any

from . import numbers
from .coerce import parse_bool
from .errors import bad_request
from .state import SandboxState

JsonDict = dict[str, Any]
ControlHandler = Callable[[SandboxState, JsonDict], JsonDict]
PREFIX = "/_sandbox/"


def reset(state: SandboxState, body: JsonDict) -> JsonDict:
    demo = parse_bool(body.get("demo", True), "demo")
    state.reset(demo=demo)
    state.commit()
    return {"demo": demo, "powerpacks": len(state.powerpacks), "numbers": len(state.numbers)}


def seed(state: SandboxState, body: JsonDict) -> JsonDict:
    count = body.get("powerpacks")
    if isinstance(count, bool) or not isinstance(count, int):
        raise bad_request("powerpacks must be an integer")
    created = state.seed(count)
    state.commit()
    return {
        "created": len(created),
        "first": created[0].name,
        "last": created[-1].name,
        "total": len(state.powerpacks),
    }


def rent(state: SandboxState, body: JsonDict) -> JsonDict:
    rented = numbers.rent(state, body)
    state.commit()
    return {"rented": rented, "numbers": len(state.numbers)}


def add_fault(state: SandboxState, body: JsonDict) -> JsonDict:
    return state.faults.add(body).to_json()


def list_faults(state: SandboxState, body: JsonDict) -> JsonDict:
    return {"faults": [fault.to_json() for fault in state.faults.list()]}


def clear_faults(state: SandboxState, body: JsonDict) -> JsonDict:
    state.faults.clear()
    return {"faults": []}


def list_requests(state: SandboxState, body: JsonDict) -> JsonDict:
    return {"requests": state.requests.entries()}


def clear_requests(state: SandboxState, body: JsonDict) -> JsonDict:
    state.requests.clear()
    return {"requests": []}


def stats(state: SandboxState, body: JsonDict) -> JsonDict:
    return state.stats.to_json()


def clear_stats(state: SandboxState, body: JsonDict) -> JsonDict:
    state.stats.clear()
    return state.stats.to_json()


def config(state: SandboxState, body: JsonDict) -> JsonDict:
    return {"delete_status": state.delete_status}


def set_config(state: SandboxState, body: JsonDict) -> JsonDict:
    if "delete_status" in body:
        state.set_delete_status(body["delete_status"])
        state.commit()
    return config(state, body)


def rate_limit(state: SandboxState, body: JsonDict) -> JsonDict:
    limit = state.rate_limit
    return {"rate_limit": limit.to_json() if limit else None}


def set_rate_limit(state: SandboxState, body: JsonDict) -> JsonDict:
    state.set_rate_limit(body.get("rate_limit"))
    return rate_limit(state, body)


def clear_rate_limit(state: SandboxState, body: JsonDict) -> JsonDict:
    state.set_rate_limit(None)
    return rate_limit(state, body)


ROUTES: dict[str, dict[str, ControlHandler]] = {
    "reset": {"POST": reset},
    "seed": {"POST": seed},
    "numbers": {"POST": rent},
    "faults": {"GET": list_faults, "POST": add_fault, "DELETE": clear_faults},
    "requests": {"GET": list_requests, "DELETE": clear_requests},
    "stats": {"GET": stats, "DELETE": clear_stats},
    "config": {"GET": config, "POST": set_config},
    "rate_limit": {"GET": rate_limit, "POST": set_rate_limit, "DELETE": clear_rate_limit},
}


def is_control(path: str) -> bool:
    return path.startswith(PREFIX)
