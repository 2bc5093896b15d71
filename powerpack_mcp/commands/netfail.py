"""A failed request, named for the person running `doctor`: DNS, refused, TLS, timeout, proxy.

httpx reports most of these as a bare ConnectError; what happened is further down the chain
of exceptions (the socket's gaierror or ConnectionRefusedError, the ssl module's error), and
whether a proxy was in the way is in the environment httpx read it from. A proxy URL is shown
as host and port only: it may carry a password."""

from __future__ import annotations

import socket
import ssl
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeVar

import httpx

E = TypeVar("E", bound=BaseException)
PLIVO = "https://api.plivo.com"


@dataclass(frozen=True)
class Failure:
    kind: str  # "DNS failure", "connection refused", "TLS error", "timeout", "proxy error", ...
    detail: str
    fix: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"


def describe(exc: httpx.HTTPError, url: str, timeout: float) -> Failure:
    target = httpx.URL(url)
    proxy = proxy_for(target)
    if proxy is None:
        return _direct(exc, target, timeout)
    variable, proxy_url = proxy
    # The proxy's own answer (407, 403, ...) or what stopped the connection to it.
    proxy_answer = isinstance(exc, httpx.ProxyError)
    reason = str(exc) if proxy_answer else _direct(exc, proxy_url, timeout).kind
    return Failure(
        "proxy error",
        f"{target.host} through the proxy {where(proxy_url)} (from {variable}) failed: {reason}",
        f"check {variable}, or add {target.host} to NO_PROXY to reach it directly",
    )


def proxy_for(url: httpx.URL) -> tuple[str, httpx.URL] | None:
    """The proxy httpx takes from the environment for `url`, and the variable that names it."""
    proxies = urllib.request.getproxies_environment()
    if _bypassed(url.host, proxies.get("no", "")):
        return None
    for scheme in (url.scheme, "all"):
        if value := proxies.get(scheme):
            return f"{scheme.upper()}_PROXY", httpx.URL(
                value if "://" in value else f"http://{value}"
            )
    return None


def _bypassed(host: str, no_proxy: str) -> bool:
    # NO_PROXY as httpx reads it: "*", a host name, or a domain that covers its subdomains.
    for entry in (item.strip().lstrip(".").lower() for item in no_proxy.split(",")):
        if entry == "*" or (entry and (host == entry or host.endswith(f".{entry}"))):
            return True
    return False


def where(url: httpx.URL) -> str:
    port = url.port or (443 if url.scheme == "https" else 80)
    return f"{url.host} port {port}"


def _direct(exc: httpx.HTTPError, url: httpx.URL, timeout: float) -> Failure:
    place = where(url)
    if isinstance(exc, httpx.TimeoutException):
        verb = "could not connect" if isinstance(exc, httpx.ConnectTimeout) else "got no answer"
        return Failure(
            "timeout",
            f"{verb} to {place} within {timeout:g} s",
            "check the network and firewall, or raise POWERPACK_MCP_TIMEOUT",
        )
    if dns := _first(exc, socket.gaierror):
        return Failure(
            "DNS failure",
            f"cannot resolve {url.host} ({dns.strerror})",
            "check the host name in PLIVO_API_URL and that this machine can resolve names",
        )
    if tls := _first(exc, ssl.SSLError):
        return _tls(tls, place, url)
    if _first(exc, ConnectionRefusedError):
        return Failure(
            "connection refused",
            f"{place} refused the connection",
            f"nothing listens there: check PLIVO_API_URL (Plivo's is {PLIVO}) and firewalls",
        )
    if isinstance(exc, httpx.RemoteProtocolError):
        return Failure(
            "protocol error",
            f"{place} closed the connection without an HTTP answer",
            "if it speaks TLS, PLIVO_API_URL must start with https://",
        )
    os_error = _first(exc, OSError)
    reason = (os_error.strerror if os_error else None) or f"{type(exc).__name__}: {exc}"
    return Failure("network error", f"{place}: {reason}", "check the network and PLIVO_API_URL")


def _tls(error: ssl.SSLError, place: str, url: httpx.URL) -> Failure:
    if isinstance(error, ssl.SSLCertVerificationError):
        return Failure(
            "TLS error",
            f"{place} sent a certificate this machine does not trust ({error.verify_message})",
            "if a proxy or antivirus inspects TLS, point SSL_CERT_FILE at its CA certificate; "
            "otherwise check the system clock and CA certificates",
        )
    return Failure(
        "TLS error",
        f"the TLS handshake with {place} failed ({error.reason or error})",
        f"{url.host} may not speak TLS on that port: check PLIVO_API_URL (Plivo's is {PLIVO})",
    )


def _first(exc: BaseException, kind: type[E]) -> E | None:
    for link in _chain(exc):
        if isinstance(link, kind):
            return link
    return None


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__
