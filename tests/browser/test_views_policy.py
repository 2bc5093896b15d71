"""The views ship with a policy that forbids every network request and foreign script, so a
host that relays upstream data into them cannot turn it into a request or markup. Checked
on the HTML as served (html(): bridge.js inlined), which must be one self-contained
document. No browser needed: this runs in the default test suite."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from importlib.resources import files

import pytest

from powerpack_mcp.views import BRIDGE_MARKER, html

VIEWS = ["confirm.html", "powerpack.html"]


class _Scan(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.csp: list[str] = []
        self.linked: list[str] = []
        self.scripts: list[list[tuple[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "meta" and (values.get("http-equiv") or "").lower() == "content-security-policy":
            self.csp.append(values.get("content") or "")
        if tag == "script":
            self.scripts.append(attrs)
        self.linked += [f"{tag} {name}" for name in ("src", "href", "action") if name in values]


def scan(name: str) -> tuple[str, _Scan]:
    text = html(name)
    parser = _Scan()
    parser.feed(text)
    return text, parser


@pytest.mark.parametrize("name", VIEWS)
def test_a_view_allows_nothing_but_its_own_inline_script_and_style(name: str) -> None:
    _, parsed = scan(name)
    assert len(parsed.csp) == 1
    directives = dict(d.strip().split(" ", 1) for d in parsed.csp[0].split(";") if d.strip())
    assert directives.pop("default-src") == "'none'"
    assert directives.pop("script-src") == "'unsafe-inline'"
    assert directives.pop("style-src") == "'unsafe-inline'"
    assert set(directives.values()) <= {"'none'"}, directives


@pytest.mark.parametrize("name", VIEWS)
def test_a_view_loads_nothing_and_writes_data_only_as_text(name: str) -> None:
    text, parsed = scan(name)
    assert parsed.linked == []
    for api in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert api not in text, api
    for api in ("fetch(", "XMLHttpRequest", "WebSocket", "EventSource", "import("):
        assert api not in text, api
    assert not re.search(r"https?://", text)


@pytest.mark.parametrize("name", VIEWS)
def test_a_view_is_served_whole_with_the_shared_bridge_inlined(name: str) -> None:
    text, parsed = scan(name)
    bridge = files("powerpack_mcp.views").joinpath("bridge.js").read_text(encoding="utf-8")
    assert BRIDGE_MARKER not in text
    assert parsed.scripts == [[], []]  # bridge.js, then the view's own: inline, no attributes
    assert text.index(bridge) < text.rindex("<script>") < text.index("bridge.start({")
