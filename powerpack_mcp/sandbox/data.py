"""The fresh start: a fixed account inventory and three demo Powerpacks.

Everything is deterministic (UUIDs, timestamps) so documentation and tests can quote it.
"""

import copy

from .model import Link, Powerpack, RentedNumber, ShortCode

DEMO_POWERPACK_NAMES = ("marketing", "alerts", "support")

MARKETING_UUID = "5a1e0001-7c3d-4f2a-9b1e-000000000001"
ALERTS_UUID = "5a1e0002-7c3d-4f2a-9b1e-000000000002"
SUPPORT_UUID = "5a1e0003-7c3d-4f2a-9b1e-000000000003"
MARKETING_POOL = "9b0c0001-2e4f-4a6b-8c1d-000000000001"
ALERTS_POOL = "9b0c0002-2e4f-4a6b-8c1d-000000000002"
SUPPORT_POOL = "9b0c0003-2e4f-4a6b-8c1d-000000000003"

ALERTS_APP_ID = "20372631212782780"
US_SHORTCODE = "555888"

_RENTED_ON = "2024-01-15T10:00:00.000000Z"
_LINKED_ON = "2024-02-01T09:30:00.000000Z"

# (number, country, type, region): 12 US long codes, 3 US toll-free, 1 Canadian long code.
_INVENTORY = (
    ("14155550101", "US", "fixed", "CALIFORNIA, UNITED STATES"),
    ("14155550102", "US", "fixed", "CALIFORNIA, UNITED STATES"),
    ("12125550103", "US", "fixed", "NEW YORK, UNITED STATES"),
    ("12125550104", "US", "fixed", "NEW YORK, UNITED STATES"),
    ("15125550105", "US", "fixed", "TEXAS, UNITED STATES"),
    ("13125550106", "US", "fixed", "ILLINOIS, UNITED STATES"),
    ("12065550107", "US", "fixed", "WASHINGTON, UNITED STATES"),
    ("14155550201", "US", "mobile", "CALIFORNIA, UNITED STATES"),
    ("12125550202", "US", "mobile", "NEW YORK, UNITED STATES"),
    ("15125550203", "US", "mobile", "TEXAS, UNITED STATES"),
    ("13125550204", "US", "mobile", "ILLINOIS, UNITED STATES"),
    ("12065550205", "US", "mobile", "WASHINGTON, UNITED STATES"),
    ("18005550301", "US", "toll-free", "UNITED STATES"),
    ("18885550302", "US", "toll-free", "UNITED STATES"),
    ("18775550303", "US", "toll-free", "UNITED STATES"),
    ("16045550401", "CA", "fixed", "BRITISH COLUMBIA, CANADA"),
)

# number -> (pool, service) for the demo Powerpacks; every other number stays outside pools.
_DEMO_LINKS = {
    "14155550101": (MARKETING_POOL, "sms"),
    "12125550202": (MARKETING_POOL, "mms"),
    "15125550105": (MARKETING_POOL, "sms"),
    "18005550301": (MARKETING_POOL, "sms"),
    "13125550106": (ALERTS_POOL, "sms"),
}

MARKETING_PRIORITY = [
    {
        "country_iso": "US",
        "service_type": "SMS",
        "priority": {"priority1": "shortcode", "priority2": "tollfree", "priority3": "longcode"},
    }
]


# What each kind can receive, varied so the Number/ `services` filter has something to tell
# apart: mobile numbers take no calls, toll-free and Canadian numbers no MMS.
_NO_VOICE = ("mobile",)
_NO_MMS = ("toll-free",)


def inventory(*, demo: bool) -> dict[str, RentedNumber]:
    numbers = {}
    for number, country, kind, region in _INVENTORY:
        link = None
        if demo and number in _DEMO_LINKS:
            pool, service = _DEMO_LINKS[number]
            link = Link(pool_uuid=pool, added_on=_LINKED_ON, service=service)
        numbers[number] = RentedNumber(
            number,
            country,
            kind,
            region,
            _RENTED_ON,
            link,
            voice_enabled=kind not in _NO_VOICE,
            mms_enabled=kind not in _NO_MMS and country == "US",
        )
    return numbers


def shortcodes(*, demo: bool) -> dict[str, ShortCode]:
    link = Link(pool_uuid=MARKETING_POOL, added_on=_LINKED_ON) if demo else None
    return {US_SHORTCODE: ShortCode(US_SHORTCODE, "US", link)}


def demo_powerpacks() -> dict[str, Powerpack]:
    packs = [
        Powerpack(
            MARKETING_UUID,
            MARKETING_POOL,
            "marketing",
            "2024-02-01T09:00:00.000000Z",
            number_priority=copy.deepcopy(MARKETING_PRIORITY),
        ),
        Powerpack(
            ALERTS_UUID,
            ALERTS_POOL,
            "alerts",
            "2024-02-02T09:00:00.000000Z",
            sticky_sender=False,
            application_type="XML",
            application_id=ALERTS_APP_ID,
        ),
        Powerpack(
            SUPPORT_UUID,
            SUPPORT_POOL,
            "support",
            "2024-02-03T09:00:00.000000Z",
            local_connect=False,
        ),
    ]
    return {pack.uuid: pack for pack in packs}
