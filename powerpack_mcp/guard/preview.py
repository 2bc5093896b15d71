"""What a person is shown before numbers are unrented, built only from a complete reading.

A preview decides exactly which numbers may be unrented, so it fails closed: a Powerpack
whose pool cannot be identified, a listing that does not add up, or a number whose kind is
unknown stops the call before anything is sent. It never shrinks to "no numbers".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from mcp.server.mcpserver.exceptions import ToolError

from ..plivo import PlivoClient, PoolNumber, Powerpack, looks_like_uuid

PREVIEW_LIMIT = 20
HOLD_DAYS = 10  # Plivo keeps an unrented number this long, then returns it to the carrier.
Action = Literal["delete_powerpack", "remove_pool_number", "remove_pool_numbers"]


@dataclass(frozen=True)
class Preview:
    """The facts a person needs before numbers are unrented, and nothing else is unrented."""

    action: Action
    account: str
    powerpack_uuid: str
    powerpack_name: str
    pool_uuid: str
    numbers: tuple[str, ...]
    # (number, kind) for each number: fixed, mobile or toll-free, as the pool listing says.
    types: tuple[tuple[str, str], ...] = ()
    shortcodes: tuple[str, ...] = ()
    sandbox: bool = False
    # Names this confirmation attempt in the question and the audit log; changes after use.
    reference: str = ""

    @property
    def toll_free(self) -> frozenset[str]:
        """Unrented through the pool's Tollfree endpoint, the others through Number."""
        return frozenset(number for number, kind in self.types if kind == "toll-free")

    @property
    def target(self) -> str:
        """What the audit log and a token name; the digest binds the exact numbers."""
        if self.action == "remove_pool_number":
            return f"{self.powerpack_uuid}/{self.numbers[0]}"
        return self.powerpack_uuid

    @property
    def digest(self) -> str:
        """What the person approved, independent of which attempt it is."""
        facts = [self.action, self.account, self.powerpack_uuid, self.powerpack_name]
        facts += [self.pool_uuid, *self.numbers, "|", *sorted(self.toll_free)]
        return hashlib.sha256(json.dumps(facts).encode()).hexdigest()[:32]

    @property
    def confirm_with(self) -> str:
        """What the person must type: the one number, or else the Powerpack's name.

        Unrenting several numbers out of a Powerpack is confirmed like deleting it: by its
        name, the fact the person knows. Not by the count: it is read off the very screen
        that asks for it, and a count is easy to mistake for a number being unrented."""
        return self.numbers[0] if self.action == "remove_pool_number" else self.powerpack_name

    @property
    def confirm_kind(self) -> Literal["name", "number"]:
        return "number" if self.action == "remove_pool_number" else "name"

    def text(self) -> str:
        lines = ["SANDBOX (the built-in emulator; no real number is affected)."] * self.sandbox
        lines.append(self._head())
        if self.shortcodes:
            codes = ", ".join(self.shortcodes)
            lines.append(f"Short codes in the pool ({codes}) are only unlinked, never unrented.")
        lines.append(self.consequence())
        lines.append(self.safer())
        return "\n".join(lines)

    def consequence(self) -> str:
        return (
            f"Unrenting cannot be undone: the account gives the number{self._s} up at once, "
            f"and Plivo returns {self._them} to the carrier after {HOLD_DAYS} days. Those days "
            "are not a grace period: nothing here can take the numbers back."
        )

    @property
    def _s(self) -> str:
        return "s" * (len(self.numbers) != 1)

    @property
    def _them(self) -> str:
        return "them" if len(self.numbers) != 1 else "it"

    def _head(self) -> str:
        pack = f"Powerpack '{self.powerpack_name}' ({self.powerpack_uuid})"
        where = f"in Plivo account {self.account}"
        if self.action == "remove_pool_number":
            return f"Remove number {e164(self.numbers[0])} from {pack} {where} and unrent it."
        if self.action == "remove_pool_numbers":
            # Every number, however many: the person confirms this whole list, once.
            shown = ", ".join(e164(n) for n in self.numbers)
            count = len(self.numbers)
            return (
                f"Remove {count} number{self._s} from {pack} {where} and unrent "
                f"{self._them}: {shown}."
            )
        count = len(self.numbers)
        if not count:
            return f"Delete {pack} {where}. Its pool has no numbers, so none is unrented."
        shown = ", ".join(e164(n) for n in self.numbers[:PREVIEW_LIMIT])
        more = f", and {count - PREVIEW_LIMIT} more" if count > PREVIEW_LIMIT else ""
        return f"Delete {pack} {where} and unrent its {count} number{self._s}: {shown}{more}."

    def safer(self) -> str:
        if self.action == "remove_pool_number":
            return (
                "Safer: remove it with unrent=false; it leaves the pool and stays rented in "
                "the account, ready to reuse."
            )
        if self.action == "remove_pool_numbers":
            return (
                "Safer: remove them with unrent=false; they leave the pool and stay rented in "
                "the account, ready to reuse."
            )
        return (
            "Safer: delete the Powerpack with unrent_numbers=false; its numbers stay rented "
            "in the account, ready to reuse."
        )


def e164(number: str) -> str:
    """Plivo writes numbers as bare digits; people read them with a leading +."""
    return number if number.startswith("+") or len(number) <= 8 else f"+{number}"


def pool_of(pack: Powerpack) -> str:
    """The Powerpack's number pool UUID, or a refusal: an unknown pool is never "empty"."""
    pool = pack.number_pool_uuid
    if not pool or not looks_like_uuid(pool):
        raise ToolError(
            f"Refused, nothing was sent: Plivo's answer for Powerpack '{pack.name}' does not "
            "identify its number pool, so the numbers it would unrent cannot be listed. "
            "Try again later; if it persists, check the Powerpack in Plivo's console."
        )
    return pool


def kinds(numbers: list[PoolNumber]) -> tuple[tuple[str, str], ...]:
    """Each number's kind; refuses if one is not stated (it decides how it is unrented)."""
    unknown = [n.number for n in numbers if not n.type]
    if unknown:
        raise ToolError(
            "Refused, nothing was sent: Plivo did not say whether "
            f"{', '.join(e164(n) for n in unknown[:5])} "
            "is toll-free, which decides how it is unrented."
        )
    return tuple(sorted((n.number, "toll-free" if n.toll_free else str(n.type)) for n in numbers))


async def preview_delete(
    plivo: PlivoClient, pack: Powerpack, *, account: str, sandbox: bool
) -> Preview:
    pool = pool_of(pack)
    numbers = await plivo.all_pool_numbers(pool)
    shortcodes = await plivo.all_shortcodes(pool)
    codes = tuple(sorted(s.shortcode for s in shortcodes))
    return _of("delete_powerpack", pack, pool, numbers, account, sandbox, shortcodes=codes)


async def preview_removal(
    plivo: PlivoClient, pack: Powerpack, number: str, *, account: str, sandbox: bool
) -> Preview:
    """Reads the pool: the number must be in it now."""
    pool = pool_of(pack)
    member = await plivo.get_pool_number(pool, number)
    if member.number != number:
        raise ToolError(
            f"Refused, nothing was sent: Plivo answered for {e164(member.number)} when asked "
            f"about {e164(number)}."
        )
    return _of("remove_pool_number", pack, pool, [member], account, sandbox)


async def preview_bulk_removal(
    plivo: PlivoClient, pack: Powerpack, numbers: Sequence[str], *, account: str, sandbox: bool
) -> Preview:
    """Reads the whole pool: every number asked for must be in it now, or nothing is asked.

    Only the numbers asked for are in the preview (and so in what may be unrented); a
    number that joins the pool meanwhile is not among them."""
    pool = pool_of(pack)
    members = {member.number: member for member in await plivo.all_pool_numbers(pool)}
    missing = [number for number in numbers if number not in members]
    if missing:
        raise ToolError(
            "Refused, nothing was sent: not in Powerpack "
            f"'{pack.name}''s pool: {', '.join(e164(n) for n in missing)}. Call again "
            "without them; the person is asked to confirm exactly the list sent."
        )
    chosen = [members[number] for number in dict.fromkeys(numbers)]
    return _of("remove_pool_numbers", pack, pool, chosen, account, sandbox)


def _of(
    action: Action,
    pack: Powerpack,
    pool: str,
    members: list[PoolNumber],
    account: str,
    sandbox: bool,
    *,
    shortcodes: tuple[str, ...] = (),
) -> Preview:
    """The preview of unrenting exactly `members` of `pack`'s pool."""
    return Preview(
        action=action,
        account=account,
        powerpack_uuid=pack.uuid,
        powerpack_name=pack.name,
        pool_uuid=pool,
        numbers=tuple(sorted(n.number for n in members)),
        types=kinds(members),
        shortcodes=shortcodes,
        sandbox=sandbox,
    )
