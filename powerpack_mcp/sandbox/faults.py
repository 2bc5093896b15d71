"""Injected faults: which request they hit and what they do to it."""

import re
from dataclasses import dataclass
from typing import Any

from .errors import bad_request

FAULT_METHODS = ("GET", "POST", "DELETE", "*")
MAX_DELAY_MS = 60_000


@dataclass
class Fault:
    id: int
    path: re.Pattern[str]
    method: str = "*"
    times: int | None = None
    status: int | None = None
    retry_after: float | None = None
    delay_ms: int = 0
    malformed: bool = False
    drop: bool = False

    def matches(self, method: str, path: str) -> bool:
        if self.method not in ("*", method):
            return False
        return self.path.search(path) is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "method": self.method,
            "path": self.path.pattern,
            "times": self.times,
            "status": self.status,
            "retry_after": self.retry_after,
            "delay_ms": self.delay_ms,
            "malformed": self.malformed,
            "drop": self.drop,
        }


class FaultBook:
    """Active faults in the order they were added; the first match wins."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._next_id = 1

    def add(self, spec: object) -> Fault:
        fault = parse_fault(spec, self._next_id)
        self._next_id += 1
        self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """The fault for this request, used up by one if it is counted."""
        for fault in self._faults:
            if fault.matches(method, path):
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                return fault
        return None

    def list(self) -> list[Fault]:
        return list(self._faults)

    def clear(self) -> None:
        self._faults.clear()


def parse_fault(spec: object, fault_id: int) -> Fault:
    if not isinstance(spec, dict):
        raise bad_request("a fault must be a JSON object")
    fault = Fault(
        id=fault_id,
        path=_regex(spec.get("path")),
        method=_method(spec.get("method", "*")),
        times=_optional_int(spec, "times", 1, None),
        status=_optional_int(spec, "status", 400, 599),
        retry_after=_retry_after(spec.get("retry_after")),
        delay_ms=_optional_int(spec, "delay_ms", 0, MAX_DELAY_MS) or 0,
        malformed=_flag(spec, "malformed"),
        drop=_flag(spec, "drop"),
    )
    outcomes = sum((fault.status is not None, fault.malformed, fault.drop))
    if outcomes > 1:
        raise bad_request("a fault takes only one of status, malformed and drop")
    if outcomes == 0 and not fault.delay_ms:
        raise bad_request("a fault needs status, malformed, drop or delay_ms")
    return fault


def _regex(value: object) -> re.Pattern[str]:
    if not isinstance(value, str):
        raise bad_request("path is required: a regular expression searched in the request path")
    try:
        return re.compile(value)
    except re.error as exc:
        raise bad_request(f"path is not a valid regular expression: {exc}") from None


def _method(value: object) -> str:
    if not isinstance(value, str) or value.upper() not in FAULT_METHODS:
        raise bad_request("method must be GET, POST, DELETE or *")
    return value.upper()


def _optional_int(spec: dict[str, Any], key: str, low: int, high: int | None) -> int | None:
    value = spec.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request(f"{key} must be an integer")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise bad_request(f"{key} must be {bound}")
    return value


def _retry_after(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise bad_request("retry_after must be a number of seconds, 0 or more")
    return value


def _flag(spec: dict[str, Any], key: str) -> bool:
    value = spec.get(key, False)
    if not isinstance(value, bool):
        raise bad_request(f"{key} must be true or false")
    return value
