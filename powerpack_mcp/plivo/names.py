"""Which UUID a Powerpack name was last seen with, so a name lookup need not scan every time.

An entry is only a hint: the client proves it on every use with one GET of the UUID, which
must answer with that exact name (names are unique per account). A Powerpack renamed or
deleted since is therefore noticed and the name scanned for again; a hint can never make a
name resolve to another Powerpack. Actions that unrent numbers do not use it at all.

`Names` is the interface (async, so that a shared store such as Redis can back it later);
`MemoryNames` keeps hints in this process.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Protocol


class Names(Protocol):
    """Name -> UUID hints for one Plivo account."""

    async def get(self, name: str) -> str | None: ...

    async def put(self, name: str, uuid: str) -> None: ...

    async def forget(self, name: str) -> None: ...


class MemoryNames:
    """Hints in this process, the least recently used dropped beyond `size`."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._uuids: OrderedDict[str, str] = OrderedDict()

    async def get(self, name: str) -> str | None:
        uuid = self._uuids.get(name)
        if uuid is not None:
            self._uuids.move_to_end(name)
        return uuid

    async def put(self, name: str, uuid: str) -> None:
        self._uuids[name] = uuid
        self._uuids.move_to_end(name)
        while len(self._uuids) > self._size:
            self._uuids.popitem(last=False)

    async def forget(self, name: str) -> None:
        self._uuids.pop(name, None)


__all__ = ["MemoryNames", "Names"]
