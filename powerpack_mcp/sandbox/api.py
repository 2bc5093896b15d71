"""The Plivo API surface: a route table from account-relative paths to handlers.

Handlers are synchronous and return (status, body without api_id); None means no body.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import coerce, numbers, pools, powerpacks, render
from .errors import ApiError, not_found
from .state import SandboxState

JsonDict = dict[str, Any]
Reply = tuple[int, JsonDict | None]
POOL_FILTERS = ("type", "service", "country_iso2", "starts_with")
SUCCESS: JsonDict = {"response": "success"}


@dataclass(frozen=True)
class Call:
    state: SandboxState
    auth_id: str
    query: dict[str, str]
    body: JsonDict
    args: dict[str, str]

    def flag(self, key: str) -> bool:
        """A boolean from the JSON body, else the query (Plivo's curl examples use both)."""
        value = self.body.get(key, self.query.get(key, False))
        return coerce.parse_bool(value, key)

    def base(self, suffix: str) -> str:
        return render.account_path(self.auth_id) + suffix


Handler = Callable[[Call], Reply]


def list_powerpacks(call: Call) -> Reply:
    limit, offset = coerce.parse_page(call.query)
    packs = list(call.state.powerpacks.values())
    items, meta = render.page(packs, limit, offset, call.base("Powerpack/"))
    objects = [render.powerpack(pack, call.auth_id, listed=True) for pack in items]
    return 200, {"meta": meta, "objects": objects}


def create_powerpack(call: Call) -> Reply:
    return 200, render.powerpack(powerpacks.create(call.state, call.body), call.auth_id)


def get_powerpack(call: Call) -> Reply:
    return 200, render.powerpack(call.state.powerpack(call.args["uuid"]), call.auth_id)


def update_powerpack(call: Call) -> Reply:
    pack = powerpacks.update(call.state, call.args["uuid"], call.body)
    return 200, render.powerpack(pack, call.auth_id)


def delete_powerpack(call: Call) -> Reply:
    unrent = call.flag("unrent_numbers")
    powerpacks.delete(call.state, call.args["uuid"], unrent_numbers=unrent)
    # Plivo's pages disagree (204 empty or 200 success); the sandbox serves either.
    return (204, None) if call.state.delete_status == 204 else (200, SUCCESS)


def get_pool(call: Call) -> Reply:
    pack = call.state.pool_owner(call.args["pool"])
    return 200, render.number_pool(pack.pool_uuid, call.auth_id)


def member_routes(toll_free: bool) -> tuple[dict[str, Handler], dict[str, Handler]]:
    """Handlers for NumberPool/{np}/Number/ (all numbers) or .../Tollfree/ (toll-free only)."""
    kind = "Tollfree" if toll_free else "Number"

    def listing(call: Call) -> Reply:
        numbers = pools.members(call.state, call.args["pool"], toll_free_only=toll_free)
        numbers = pools.filtered(numbers, call.query)
        limit, offset = coerce.parse_page(call.query)
        filters = {key: call.query[key] for key in POOL_FILTERS if call.query.get(key)}
        base = call.base(f"NumberPool/{call.args['pool']}/{kind}/")
        items, meta = render.page(numbers, limit, offset, base, filters=filters, no_link="")
        objects = [render.pool_number(n, call.auth_id, tollfree_view=toll_free) for n in items]
        return 200, {"meta": meta, "objects": objects}

    def get(call: Call) -> Reply:
        service = call.query.get("service")
        number = pools.find(
            call.state,
            call.args["pool"],
            call.args["number"],
            toll_free_only=toll_free,
            service=coerce.parse_service(service) if service else None,
        )
        return 200, render.pool_number(number, call.auth_id, tollfree_view=toll_free)

    def add(call: Call) -> Reply:
        pool, raw = call.args["pool"], call.args["number"]
        number = pools.add(call.state, pool, raw, call.body, toll_free_only=toll_free)
        return 200, render.pool_number(number, call.auth_id, tollfree_view=toll_free)

    def remove(call: Call) -> Reply:
        unrent = call.flag("unrent")
        pool, raw = call.args["pool"], call.args["number"]
        pools.remove(call.state, pool, raw, unrent=unrent, toll_free_only=toll_free)
        return 200, SUCCESS

    return {"GET": listing}, {"GET": get, "POST": add, "DELETE": remove}


def list_shortcodes(call: Call) -> Reply:
    codes = pools.shortcodes(call.state, call.args["pool"])
    limit, offset = coerce.parse_page(call.query)
    base = call.base(f"NumberPool/{call.args['pool']}/Shortcode/")
    items, meta = render.page(codes, limit, offset, base, no_link="")
    return 200, {"meta": meta, "objects": [render.shortcode(code) for code in items]}


def get_shortcode(call: Call) -> Reply:
    code = pools.find_shortcode(call.state, call.args["pool"], call.args["shortcode"])
    return 200, render.shortcode(code)


def remove_shortcode(call: Call) -> Reply:
    pools.remove_shortcode(call.state, call.args["pool"], call.args["shortcode"])
    return 200, SUCCESS


def list_account_numbers(call: Call) -> Reply:
    limit, offset = coerce.parse_page(call.query)
    rented = numbers.filtered(list(call.state.numbers.values()), call.query)
    filters = numbers.filters(call.query)
    items, meta = render.page(rented, limit, offset, call.base("Number/"), filters=filters)
    return 200, {"meta": meta, "objects": [render.account_number(n, call.auth_id) for n in items]}


def get_account_number(call: Call) -> Reply:
    number = call.state.rented(coerce.parse_number(call.args["number"]))
    return 200, render.account_number(number, call.auth_id)


_NUMBERS, _NUMBER = member_routes(toll_free=False)
_TOLLFREES, _TOLLFREE = member_routes(toll_free=True)
_POOL = r"NumberPool/(?P<pool>[^/]+)/"

_TABLE: list[tuple[str, dict[str, Handler]]] = [
    (r"Powerpack/", {"GET": list_powerpacks, "POST": create_powerpack}),
    (
        r"Powerpack/(?P<uuid>[^/]+)/",
        {"GET": get_powerpack, "POST": update_powerpack, "DELETE": delete_powerpack},
    ),
    (_POOL, {"GET": get_pool}),
    (_POOL + "Number/", _NUMBERS),
    (_POOL + r"Number/(?P<number>[^/]+)/", _NUMBER),
    (_POOL + "Tollfree/", _TOLLFREES),
    (_POOL + r"Tollfree/(?P<number>[^/]+)/", _TOLLFREE),
    (_POOL + "Shortcode/", {"GET": list_shortcodes}),
    (
        _POOL + r"Shortcode/(?P<shortcode>[^/]+)/",
        {"GET": get_shortcode, "DELETE": remove_shortcode},
    ),
    (r"Number/", {"GET": list_account_numbers}),
    (r"Number/(?P<number>[^/]+)/", {"GET": get_account_number}),
]
ROUTES = [(re.compile(pattern), handlers) for pattern, handlers in _TABLE]


def resolve(method: str, relative_path: str) -> tuple[Handler, dict[str, str]]:
    """The handler for a path below /v1/Account/{auth_id}/, or a 404 / 405 ApiError."""
    for pattern, handlers in ROUTES:
        match = pattern.fullmatch(relative_path)
        if match is None:
            continue
        handler = handlers.get(method)
        if handler is None:
            allowed = {"Allow": ", ".join(handlers)}
            raise ApiError(405, f"method {method} is not allowed on this resource", allowed)
        return handler, match.groupdict()
    hint = "" if relative_path.endswith("/") else " (Plivo paths end with '/')"
    raise not_found(f"no such resource: {relative_path or '/'}{hint}")
