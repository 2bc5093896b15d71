"""Phone numbers as a person reads them, by the library made for it (libphonenumber's port).

Loaded only when a view needs it: the library takes ~0.1 s to import, which a client that
never shows a view should not pay at start-up.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=4096)
def number_display(digits: str) -> dict[str, str]:
    """E.164 and international forms of a number Plivo writes as bare digits."""
    import phonenumbers

    e164 = digits if digits.startswith("+") else f"+{digits}"
    try:
        parsed = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return {"e164": e164, "international": e164, "country": ""}
    international = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    country = phonenumbers.region_code_for_number(parsed) or ""
    return {"e164": e164, "international": international, "country": country}


def numbers_display(numbers: list[str]) -> dict[str, Any]:
    """The `_meta` a view reads to show `numbers`."""
    return {"numbers": {number: number_display(number) for number in numbers}}
