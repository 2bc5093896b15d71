"""Powerpack rules: create, update and delete, with Plivo's validation."""

from typing import Any

from . import coerce
from .errors import bad_request
from .model import Powerpack
from .state import SandboxState


def create(state: SandboxState, body: dict[str, Any]) -> Powerpack:
    name = _unique_name(state, body.get("name"), besides=None)
    app_type, app_id = coerce.parse_application(
        body.get("application_type"), body.get("application_id")
    )
    # Validate everything before touching state, so a 400 leaves nothing behind.
    sticky = coerce.parse_bool(body.get("sticky_sender", True), "sticky_sender")
    local = coerce.parse_bool(body.get("local_connect", True), "local_connect")
    priorities = coerce.parse_priorities(body.get("number_priority"))
    pack = state.add_powerpack(name)
    pack.sticky_sender, pack.local_connect = sticky, local
    pack.application_type, pack.application_id = app_type, app_id
    pack.number_priority = priorities
    return pack


def update(state: SandboxState, powerpack_uuid: str, body: dict[str, Any]) -> Powerpack:
    """Fields left out of the body keep their value."""
    pack = state.powerpack(powerpack_uuid)
    changes: dict[str, Any] = {}
    if "name" in body:
        changes["name"] = _unique_name(state, body["name"], besides=pack.uuid)
    for flag in ("sticky_sender", "local_connect"):
        if flag in body:
            changes[flag] = coerce.parse_bool(body[flag], flag)
    if "number_priority" in body:
        changes["number_priority"] = coerce.parse_priorities(body["number_priority"])
    changes.update(_application_changes(pack, body))
    for key, value in changes.items():
        setattr(pack, key, value)
    return pack


def _application_changes(pack: Powerpack, body: dict[str, Any]) -> dict[str, str]:
    if "application_id" in body:
        app_type, app_id = coerce.parse_application(
            body.get("application_type"), body["application_id"]
        )
        return {"application_type": app_type, "application_id": app_id}
    if "application_type" in body:
        kind = coerce.parse_application_type(body["application_type"])
        # A type alone re-labels the current application; without one there is nothing to label.
        if pack.application_id and kind:
            return {"application_type": kind}
    return {}


def delete(state: SandboxState, powerpack_uuid: str, *, unrent_numbers: bool) -> None:
    """Unlink the pool's numbers; with unrent_numbers, long codes and toll-free are gone too.

    Short codes are only ever unlinked: Plivo cannot unrent them through this API.
    """
    pack = state.powerpack(powerpack_uuid)
    for number in list(state.numbers.values()):
        if number.link is not None and number.link.pool_uuid == pack.pool_uuid:
            if unrent_numbers:
                del state.numbers[number.number]
            else:
                number.link = None
    for code in state.shortcodes.values():
        if code.link is not None and code.link.pool_uuid == pack.pool_uuid:
            code.link = None
    del state.powerpacks[pack.uuid]


def _unique_name(state: SandboxState, raw: object, *, besides: str | None) -> str:
    name = coerce.parse_name(raw)
    if state.name_taken(name, besides=besides):
        raise bad_request(f"a Powerpack named {name!r} already exists")
    return name
