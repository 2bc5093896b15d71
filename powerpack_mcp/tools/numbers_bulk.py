"""Many numbers in one call: add to a pool or take out of it, answering number by number.

Each number is tried on its own (the transport bounds how many requests are in flight), so
one refusal never stops the others, and the answer says for every number what happened:
a partial failure never hides which numbers changed. One audit record covers the call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated, Literal

import anyio
from pydantic import BaseModel, Field

from ..guard import UnrentReport, e164
from ..plivo import InvalidRequest, NotFound, PlivoError, PoolNumber, Powerpack
from ..plivo.errors import UpstreamUnavailable
from .base import AppContext

MAX_NUMBERS = 100
Result = Literal[
    "added",
    "already_in_this_pool",
    "in_another_pool",
    "not_rented",
    "removed",
    "unrented",
    "not_in_this_pool",
    "invalid",
    "failed",
    "unknown",
    "not_tried",
]
CHANGED: frozenset[Result] = frozenset({"added", "removed", "unrented"})

Numbers = Annotated[
    list[Annotated[str, Field(max_length=32)]],
    Field(
        min_length=1,
        max_length=MAX_NUMBERS,
        description="Up to 100 numbers instead of number, answered one by one.",
    ),
]


class NumberResult(BaseModel):
    """What happened to one number of a list."""

    number: str
    result: Result = Field(
        description="added, removed, unrented: changed. already_in_this_pool, "
        "in_another_pool, not_rented, not_in_this_pool, invalid, failed, not_tried: "
        "unchanged. unknown: may have changed, check before retrying."
    )
    why: str | None = Field(default=None, exclude_if=lambda v: v is None)


def _UNSETTLED(number: str) -> NumberResult:
    return NumberResult(number=number, result="unknown", why="no answer came: check first")


class Outcomes:
    """The per-number answers, in the order the numbers were given."""

    def __init__(self, raw: Iterable[str], parse: Callable[[str], str]) -> None:
        self.order: list[str] = []
        self.results: dict[str, NumberResult] = {}
        for item in raw:
            try:
                number = parse(item)
            except ValueError as exc:
                key = f"invalid:{item}"
                self.results[key] = NumberResult(number=item, result="invalid", why=str(exc))
            else:
                key = number
            if key not in self.order:  # a number given twice is answered once
                self.order.append(key)

    @property
    def valid(self) -> list[str]:
        return [key for key in self.order if key not in self.results]

    def set(self, number: str, result: Result, why: str | None = None) -> None:
        self.results[number] = NumberResult(number=number, result=result, why=why)

    def answer(self) -> list[NumberResult]:
        """Every number's result; one still awaiting its answer (the call was cancelled or
        timed out) may or may not have changed."""
        return [self.results.get(key) or _UNSETTLED(key) for key in self.order]

    def of(self, *results: Result) -> list[str]:
        return [r.number for r in self.answer() if r.result in results]

    def record(self) -> dict[str, list[str]]:
        """For the audit log's outcome line."""
        return {
            "numbers_changed": self.of(*CHANGED),
            "numbers_unknown": self.of("unknown"),
            "numbers_unchanged": [r.number for r in self.answer() if r.result not in CHANGED],
        }

    def status(self, done: Literal["added", "removed"]) -> str:
        changed, total = len(self.of(*CHANGED)), len(self.order)
        return done if changed == total else ("unchanged" if changed == 0 else "partial")

    def message(self, verb: str, pack: Powerpack) -> str:
        changed = self.of(*CHANGED)
        head = f"{verb} {len(changed)} of {len(self.order)} numbers, Powerpack '{pack.name}'"
        groups: dict[str, list[str]] = {}
        for r in self.answer():
            if r.result not in CHANGED:
                groups.setdefault(r.result, []).append(e164(r.number))
        rest = "; ".join(f"{result}: {', '.join(nums)}" for result, nums in groups.items())
        return f"{head}." + (f" Not changed or uncertain ({rest})." if rest else "")


async def add_many(
    context: AppContext, pack: Powerpack, pool: str, raw: list[str], service: str
) -> Outcomes:
    from .numbers import phone_number

    outcomes = Outcomes(raw, phone_number)
    members = {m.number for m in await context.plivo.all_pool_numbers(pool)}
    todo = []
    for number in outcomes.valid:
        if number in members:
            outcomes.set(number, "already_in_this_pool")
        else:
            todo.append(number)
    await each(
        context,
        "add_pool_number",
        pack,
        todo,
        {"service": service},
        outcomes,
        lambda number: _try_add(context, pool, number, service),
        # Found in the pool after all (it joined meanwhile): nothing went wrong.
        fine=frozenset({"added", "already_in_this_pool"}),
    )
    return outcomes


async def each(
    context: AppContext,
    tool: str,
    pack: Powerpack,
    todo: list[str],
    arguments: dict[str, object],
    outcomes: Outcomes,
    attempt: Callable[[str], Awaitable[tuple[Result, str | None]]],
    *,
    fine: frozenset[Result],
) -> None:
    """Try every number of `todo` at once, under one audit record whose outcome is partial
    (or error) unless every one ended `fine`."""

    async def settle(number: str) -> None:
        outcomes.set(number, *await attempt(number))

    record = {"numbers": todo, **arguments}
    async with context.audit.change(tool, target=pack.uuid, arguments=record) as change:
        try:
            async with anyio.create_task_group() as tg:
                for number in todo:
                    tg.start_soon(settle, number)
        finally:
            change.result.update(outcomes.record())
        if any(outcomes.results[number].result not in fine for number in todo):
            change.outcome = "partial" if outcomes.of(*CHANGED) else "error"


async def _try_add(
    context: AppContext, pool: str, number: str, service: str
) -> tuple[Result, str | None]:
    plivo = context.plivo
    try:
        # The inventory says whether the account rents it, and whether it is toll-free.
        rented = await plivo.get_account_number(number)
    except NotFound:
        return "not_rented", "the account does not rent it"
    except PlivoError as exc:
        return _failure(exc)
    try:
        await plivo.add_pool_number(pool, number, service=service, toll_free=rented.toll_free)
    except InvalidRequest as exc:
        detail = exc.detail.lower()
        if "not rented" in detail:
            return "not_rented", exc.detail
        if "already in this" in detail:
            return "already_in_this_pool", None
        if "already" in detail or "another" in detail:
            return "in_another_pool", exc.detail
        return "failed", str(exc)
    except PlivoError as exc:
        return _failure(exc)
    return "added", None


def _failure(exc: PlivoError) -> tuple[Result, str]:
    """A timeout or dropped answer on a change may have applied: say so, never "failed"."""
    if isinstance(exc, UpstreamUnavailable) and exc.may_have_applied:
        return "unknown", str(exc)
    return "failed", str(exc)


async def remove_many(context: AppContext, pack: Powerpack, pool: str, raw: list[str]) -> Outcomes:
    """Out of the pool, still rented."""
    from .numbers import pool_member

    outcomes = Outcomes(raw, pool_member)
    members = {m.number: m for m in await context.plivo.all_pool_numbers(pool)}
    codes = {c.shortcode for c in await context.plivo.all_shortcodes(pool)}
    todo = []
    for number in outcomes.valid:
        if number in members or number in codes:
            todo.append(number)
        else:
            outcomes.set(number, "not_in_this_pool")
    await each(
        context,
        "remove_pool_number",
        pack,
        todo,
        {"unrent": False},
        outcomes,
        lambda number: _try_remove(context, pool, number, members.get(number)),
        fine=frozenset({"removed"}),
    )
    return outcomes


async def _try_remove(
    context: AppContext, pool: str, number: str, member: PoolNumber | None
) -> tuple[Result, str | None]:
    plivo = context.plivo
    try:
        if member is None:  # a short code: only ever unlinked
            await plivo.remove_shortcode(pool, number)
        else:
            await plivo.remove_pool_number(pool, number, unrent=False, toll_free=member.toll_free)
    except NotFound:
        return "not_in_this_pool", "it left the pool meanwhile"
    except PlivoError as exc:
        return _failure(exc)
    return "removed", None


def unrent_outcomes(numbers: Iterable[str], report: UnrentReport) -> Outcomes:
    """The guarded unrent's report, number by number."""
    outcomes = Outcomes(numbers, str)
    for number in report.unrented:
        outcomes.set(number, "unrented")
    for number, why in report.failed.items():
        outcomes.set(number, "failed", f"still rented: {why}")
    for number, why in report.unknown.items():
        outcomes.set(number, "unknown", why)
    for number in report.in_flight:  # the call ended while its answer was awaited
        outcomes.set(number, "unknown", "no answer came: check before retrying")
    for number in report.pending:
        outcomes.set(number, "not_tried", "not tried after the first failure; still rented")
    return outcomes
