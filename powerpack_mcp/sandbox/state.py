"""The sandbox's whole world: account inventory, Powerpacks, settings and traffic records.

Mutations are synchronous and never await, so on one event loop concurrent requests
cannot see a half-applied change.
"""

import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

from . import data, persist
from .errors import bad_request, not_found
from .faults import FaultBook
from .model import Powerpack, RentedNumber, ShortCode, number_from, shortcode_from, utc_now
from .ratelimit import RateLimit
from .traffic import RequestLog, Stats

STATE_FORMAT = 1
DELETE_STATUSES = (200, 204)
MAX_SEED = 100_000


class SandboxState:
    def __init__(
        self, *, demo: bool = True, state_file: Path | None = None, rate_limit: str | None = None
    ) -> None:
        self.powerpacks: dict[str, Powerpack] = {}
        self.numbers: dict[str, RentedNumber] = {}
        self.shortcodes: dict[str, ShortCode] = {}
        self.delete_status = 204
        self.seed_counter = 0
        self.faults = FaultBook()
        self.requests = RequestLog()
        self.stats = Stats()
        # Plivo's account rate limit, off unless asked for; reset returns to the start's.
        self.start_rate_limit = RateLimit.parse(rate_limit) if rate_limit else None
        self.rate_limit: RateLimit | None = None
        # When set, every committed mutation rewrites this file (see commit()).
        self.state_file = state_file
        self.reset(demo=demo)

    # -- whole-state operations -------------------------------------------------

    def reset(self, *, demo: bool = True) -> None:
        """Back to a fresh start; traffic records and faults are cleared too."""
        self.numbers = data.inventory(demo=demo)
        self.shortcodes = data.shortcodes(demo=demo)
        self.powerpacks = data.demo_powerpacks() if demo else {}
        self.delete_status = 204
        self.seed_counter = 0
        self.faults.clear()
        self.requests.clear()
        self.stats.clear()
        self.set_rate_limit(self.start_rate_limit.to_json() if self.start_rate_limit else None)

    def seed(self, count: int) -> list[Powerpack]:
        """Bulk-create empty Powerpacks named seed-00001, seed-00002, ... (never reused)."""
        if not 1 <= count <= MAX_SEED:
            raise bad_request(f"powerpacks must be between 1 and {MAX_SEED}")
        taken = {pack.name for pack in self.powerpacks.values()}
        created: list[Powerpack] = []
        while len(created) < count:
            self.seed_counter += 1
            name = f"seed-{self.seed_counter:05d}"
            if name not in taken:
                created.append(self.add_powerpack(name))
        return created

    def set_delete_status(self, status: object) -> None:
        if isinstance(status, bool) or status not in DELETE_STATUSES:
            raise bad_request("delete_status must be 200 or 204")
        self.delete_status = 200 if status == 200 else 204

    def set_rate_limit(self, text: object) -> None:
        """ "N/Ts" turns Plivo's rate limit on (with an empty window); None turns it off."""
        self.rate_limit = None if text is None else RateLimit.parse(text)

    def commit(self) -> None:
        """Persist after a mutation, if a state file is configured."""
        if self.state_file is not None:
            persist.save(self.to_json(), self.state_file)

    # -- lookups -----------------------------------------------------------------

    def add_powerpack(self, name: str) -> Powerpack:
        pack = Powerpack(str(uuid.uuid4()), str(uuid.uuid4()), name, utc_now())
        self.powerpacks[pack.uuid] = pack
        return pack

    def powerpack(self, powerpack_uuid: str) -> Powerpack:
        pack = self.powerpacks.get(powerpack_uuid)
        if pack is None:
            raise not_found(f"Powerpack {powerpack_uuid} not found")
        return pack

    def pool_owner(self, pool_uuid: str) -> Powerpack:
        """The Powerpack owning a number pool; pools live and die with their Powerpack."""
        for pack in self.powerpacks.values():
            if pack.pool_uuid == pool_uuid:
                return pack
        raise not_found(f"number pool {pool_uuid} not found")

    def rented(self, number: str) -> RentedNumber:
        found = self.numbers.get(number)
        if found is None:
            raise not_found(f"number {number} is not rented by this account")
        return found

    def name_taken(self, name: str, *, besides: str | None = None) -> bool:
        return any(p.name == name and p.uuid != besides for p in self.powerpacks.values())

    # -- persistence -------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "format": STATE_FORMAT,
            "powerpacks": [asdict(pack) for pack in self.powerpacks.values()],
            "numbers": [asdict(number) for number in self.numbers.values()],
            "shortcodes": [asdict(code) for code in self.shortcodes.values()],
            "delete_status": self.delete_status,
            "seed_counter": self.seed_counter,
        }

    def load_json(self, raw: dict[str, Any]) -> None:
        if raw.get("format") != STATE_FORMAT:
            raise ValueError(f"unsupported sandbox state format: {raw.get('format')!r}")
        packs = [Powerpack(**item) for item in raw["powerpacks"]]
        self.powerpacks = {pack.uuid: pack for pack in packs}
        self.numbers = {n.number: n for n in map(number_from, raw["numbers"])}
        self.shortcodes = {c.shortcode: c for c in map(shortcode_from, raw["shortcodes"])}
        self.delete_status = int(raw["delete_status"])
        self.seed_counter = int(raw["seed_counter"])
