"""Unrenting exactly the numbers a person saw, and nothing else.

`DELETE Powerpack {"unrent_numbers": true}` unrents whatever is in the pool when Plivo gets
the request, including a number that joined after the person looked. So this server never
sends it: each previewed number is unrented through its own pool endpoint (toll-free numbers
through `Tollfree/`), and only then is the Powerpack deleted with `unrent_numbers=false`.
A number that joined later stays rented; one that left the pool is not touched.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import anyio

from ..audit import AuditLog, Change
from ..plivo import NotFound, PlivoClient, PlivoError, UpstreamUnavailable
from .preview import Preview, e164

if TYPE_CHECKING:
    from .confirm import Approval

# Unrents in flight at once; the client's own bound (8) covers every other call too.
WORKERS = 4


@dataclass
class UnrentReport:
    """Where each previewed number stands, kept current while the unrents run."""

    pending: list[str]
    unrented: list[str] = field(default_factory=list)
    in_flight: set[str] = field(default_factory=set)
    failed: dict[str, str] = field(default_factory=dict)  # still rented, with the reason
    unknown: dict[str, str] = field(default_factory=dict)  # may or may not have applied

    @property
    def outcome(self) -> Literal["ok", "unknown", "partial", "error"]:
        """For the audit log: what the unrents, taken together, did."""
        if self.complete:
            return "ok"
        if self.unknown or self.in_flight:
            return "unknown"
        return "partial" if self.unrented else "error"

    @property
    def complete(self) -> bool:
        return not (self.pending or self.in_flight or self.failed or self.unknown)

    def record(self) -> dict[str, Any]:
        """For the audit log's outcome line: a number in flight when the call ended is
        as uncertain as one whose answer never came."""
        unknown = sorted({*self.unknown, *self.in_flight})
        return {
            "numbers_unrented": sorted(self.unrented),
            "numbers_not_unrented": sorted({*self.failed, *self.pending}),
            "numbers_unknown": unknown,
        }

    def summary(self) -> str:
        """What happened, number by number, for a person."""
        parts = [f"Unrented {len(self.unrented)} of {self._total}: {_list(self.unrented)}."]
        if self.failed:
            reasons = "; ".join(f"{e164(n)}: {why}" for n, why in sorted(self.failed.items()))
            parts.append(f"Not unrented, still rented: {reasons}.")
        if self.unknown:
            parts.append(
                f"May or may not have been unrented (check before retrying): {_list(self.unknown)}."
            )
        if self.pending:
            parts.append(f"Not tried after the first failure, still rented: {_list(self.pending)}.")
        return " ".join(parts)

    @property
    def _total(self) -> int:
        return sum(
            map(len, (self.pending, self.unrented, self.in_flight, self.failed, self.unknown))
        )


@asynccontextmanager
async def approved_unrent(
    audit: AuditLog,
    plivo: PlivoClient,
    approval: Approval,
    *,
    target: str,
    arguments: Mapping[str, Any],
) -> AsyncIterator[tuple[UnrentReport, Change]]:
    """On the audit record (intent first), unrent exactly the approved numbers; the caller
    then finishes the change, or fails it, inside the same record."""
    preview = approval.preview
    report = UnrentReport(pending=list(preview.numbers))
    async with audit.change(
        preview.action,
        target=target,
        arguments=arguments,
        numbers=preview.numbers,
        confirmation=approval.confirmation,
    ) as change:
        try:
            await unrent_exactly(plivo, preview, report)
        finally:
            change.result.update(report.record())
        if not report.complete:
            change.outcome = report.outcome
        yield report, change


async def unrent_exactly(plivo: PlivoClient, preview: Preview, report: UnrentReport) -> None:
    """Unrent each of `report.pending`; after the first failure, start no more."""

    async def worker() -> None:
        while report.pending and not (report.failed or report.unknown):
            number = report.pending.pop(0)
            report.in_flight.add(number)
            await _unrent_one(plivo, preview, number, report)
            report.in_flight.discard(number)

    async with anyio.create_task_group() as tg:
        for _ in range(min(WORKERS, len(report.pending))):
            tg.start_soon(worker)


async def _unrent_one(
    plivo: PlivoClient, preview: Preview, number: str, report: UnrentReport
) -> None:
    try:
        await plivo.remove_pool_number(
            preview.pool_uuid, number, unrent=True, toll_free=number in preview.toll_free
        )
    except NotFound:
        report.failed[number] = "it is no longer in this Powerpack's pool"
    except UpstreamUnavailable as exc:
        (report.unknown if exc.may_have_applied else report.failed)[number] = str(exc)
    except PlivoError as exc:
        report.failed[number] = str(exc)
    else:
        report.unrented.append(number)


def _list(numbers: Any) -> str:
    shown = [e164(n) for n in sorted(numbers)]
    return ", ".join(shown) if shown else "none"
