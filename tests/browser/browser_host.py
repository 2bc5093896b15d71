"""The test host page (tests/browser/host), driven from Python."""

from __future__ import annotations

from typing import Any


class Host:
    """The test host page, driven from Python."""

    def __init__(self, page: Any) -> None:
        self.page = page

    @property
    def view(self) -> Any:
        """The view's frame, to type and click in as a person would."""
        return self.page.frame_locator("iframe#view")

    def log(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = self.page.evaluate("window.testHost.log")
        return entries

    def call(self, function: str, *args: Any) -> Any:
        """Await `window.testHost.<function>(...args)` in the page."""
        return self.page.evaluate(f"(args) => window.testHost.{function}(...args)", list(args))

    def screenshot(self, path: Any) -> None:
        """The view as a person sees it, once the host has sized its frame to the content."""
        height = self.view.locator("html").evaluate(
            "html => Math.ceil(html.getBoundingClientRect().height)"
        )
        self.page.wait_for_function(
            "h => document.getElementById('view').style.height === h + 'px'", arg=height
        )
        # Two frames each side: the resized frame has been laid out and painted.
        paint = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
        self.view.locator("html").evaluate(paint)
        self.page.evaluate(paint)
        self.page.locator("iframe#view").screenshot(path=path)
