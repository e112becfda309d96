"""The one guarded HTTP client for outbound requests (Import Data's URL source, webhooks).

Every address a URL's host resolves to is checked before connecting, and the connection goes
to the checked address (no second lookup a rebinding DNS server could answer differently);
each redirect is checked again. Loopback, private, link-local, multicast and reserved
addresses are refused unless the allow-list names the host or a range holding the address.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

SCHEMES = ("http", "https")
REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 5
_CHUNK = 1024 * 1024

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class OutboundError(Exception):
    """A fetch that was refused or failed; the message is safe to show to the user."""


@dataclass(frozen=True)
class OutboundPolicy:
    """Plain data handed to steps: what may be fetched, how much and for how long."""

    allow_hosts: frozenset[str] = frozenset()
    allow_networks: tuple[Network, ...] = ()
    max_bytes: int = 200 * 1024 * 1024
    timeout: float = 30.0
    user_agent: str = field(default="pipeline-designer")

    @classmethod
    def from_settings(cls, allow: str | Iterable[str] = "", **limits) -> OutboundPolicy:
        """A policy from the allow-list setting (comma-separated hosts or CIDR ranges)."""
        entries = allow.split(",") if isinstance(allow, str) else list(allow)
        hosts, networks = set(), []
        for entry in (e.strip() for e in entries):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                hosts.add(entry.lower().rstrip("."))
        return cls(frozenset(hosts), tuple(networks), **limits)

    def allows(self, host: str, address: Address) -> bool:
        """True when the allow-list names ``host`` or a range holding ``address``."""
        return host.lower().rstrip(".") in self.allow_hosts or any(
            address.version == n.version and address in n for n in self.allow_networks)


def refusal(address: str | Address) -> str | None:
    """Why ``address`` may not be fetched from without an allow-list entry, or None."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv4 address wrapped in IPv6 is judged as the IPv4 address it reaches.
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            return refusal(embedded)
    for kind, test in (("loopback", ip.is_loopback), ("link-local", ip.is_link_local),
                       ("multicast", ip.is_multicast), ("unspecified", ip.is_unspecified),
                       ("reserved", ip.is_reserved), ("private", ip.is_private)):
        if test:
            return f"a {kind} address"
    if not ip.is_global:
        return "not a public address"
    return None


def redacted(url: str) -> str:
    """``url`` without credentials or query string (which may hold access tokens)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "the URL"
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}{port}{parts.path}"


def fetch(url: str, policy: OutboundPolicy,
          on_chunk: Callable[[int], None] | None = None) -> bytes:
    """The body at ``url``, following checked redirects; raises OutboundError.

    ``on_chunk(total_bytes)`` is called after each chunk (for cancellation checks).
    Connection failures of any kind give the same message, so a fetch cannot be used to tell
    open ports from closed or filtered ones.
    """
    deadline = time.monotonic() + policy.timeout
    shown = redacted(url)
    for _ in range(MAX_REDIRECTS + 1):
        scheme, host, port, target = _parts(url)
        ip = _checked_address(host, port, policy, shown)
        conn = _connection(scheme, host, port, ip, _remaining(deadline, shown, policy))
        response = None
        try:
            try:
                conn.connect()
                sock = conn.sock  # the response reads from it even after conn lets go of it
            except OSError:  # refused, filtered (timed out) and unreachable read the same
                raise OutboundError(f"could not fetch {shown}") from None
            try:
                conn.request("GET", target, headers={
                    "User-Agent": policy.user_agent, "Accept-Encoding": "identity"})
                response = conn.getresponse()
            except (OSError, http.client.HTTPException):
                if time.monotonic() >= deadline:
                    raise _timeout(shown, policy) from None
                raise OutboundError(f"could not fetch {shown}") from None
            if response.status in REDIRECTS and response.getheader("Location"):
                url = urljoin(url, response.getheader("Location").strip())
                if urlsplit(url).scheme.lower() not in SCHEMES:
                    raise OutboundError(f"{shown} redirects to a non-http(s) address")
                shown = redacted(url)
                continue
            if not 200 <= response.status < 300:
                raise OutboundError(f"{shown} answered HTTP {response.status} {response.reason}")
            return _body(sock, response, policy, deadline, shown, on_chunk)
        finally:
            if response is not None:
                response.close()
            conn.close()
    raise OutboundError(f"{shown} redirects more than {MAX_REDIRECTS} times")


def check(url: str, policy: OutboundPolicy) -> None:
    """Raise OutboundError when ``url`` could not be reached under ``policy`` (checked when a
    webhook is saved; every request checks again)."""
    _, host, port, _ = _parts(url)
    _checked_address(host, port, policy, redacted(url))


def post(url: str, body: bytes, headers: dict[str, str], policy: OutboundPolicy) -> int:
    """POST ``body`` to ``url`` (redirects are not followed); the answer's status code.

    Raises OutboundError when the address is refused or the server cannot be reached.
    """
    shown = redacted(url)
    scheme, host, port, target = _parts(url)
    ip = _checked_address(host, port, policy, shown)
    conn = _connection(scheme, host, port, ip, policy.timeout)
    try:
        conn.request("POST", target, body=body, headers={
            "User-Agent": policy.user_agent, "Content-Type": "application/json", **headers})
        response = conn.getresponse()
        response.read(_CHUNK)  # the answer's body is not kept; a little is read to close well
        return response.status
    except (OSError, http.client.HTTPException):
        raise OutboundError(f"could not reach {shown}") from None
    finally:
        conn.close()


def _parts(url: str) -> tuple[str, str, int, str]:
    try:
        parts = urlsplit(url.strip())
        scheme, host, port = parts.scheme.lower(), parts.hostname, parts.port
    except ValueError:
        raise OutboundError("the address is not a valid URL") from None
    if scheme not in SCHEMES or not host:
        raise OutboundError(f"the URL must be an http:// or https:// address (got scheme "
                            f"{scheme + '://' if scheme else 'none'})")
    target = parts.path or "/"
    if parts.query:
        target += f"?{parts.query}"
    return scheme, host, port or (443 if scheme == "https" else 80), target


def _checked_address(host: str, port: int, policy: OutboundPolicy, shown: str) -> str:
    """The address to connect to: every address ``host`` resolves to must be allowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise OutboundError(f"could not fetch {shown}") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    for address in addresses:
        why = None if policy.allows(host, address) else refusal(address)
        if why:
            raise OutboundError(
                f"{shown} is refused: {host} resolves to {why} (an administrator can allow "
                "it with DESIGNER_OUTBOUND_ALLOW)")
    return str(addresses[0])


def _connection(scheme, host, port, ip, timeout) -> http.client.HTTPConnection:
    cls = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
    conn = cls(host, port, timeout=timeout)  # Host header and TLS name stay the URL's host

    def connect_to_checked(_address, timeout=None, source_address=None):
        return socket.create_connection((ip, port), timeout, source_address)

    conn._create_connection = connect_to_checked
    return conn


def _body(sock, response, policy, deadline, shown, on_chunk) -> bytes:
    limit = policy.max_bytes
    declared = response.getheader("Content-Length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise OutboundError(f"{shown} is larger than {limit} bytes")
    chunks, size = [], 0
    while True:
        sock.settimeout(_remaining(deadline, shown, policy))
        try:
            chunk = response.read1(_CHUNK)
        except (OSError, http.client.HTTPException):
            if time.monotonic() >= deadline:
                raise _timeout(shown, policy) from None
            raise OutboundError(f"could not fetch {shown}") from None
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise OutboundError(f"{shown} is larger than {limit} bytes")
        chunks.append(chunk)
        if on_chunk:
            on_chunk(size)


def _remaining(deadline: float, shown: str, policy: OutboundPolicy) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise _timeout(shown, policy)
    return left


def _timeout(shown: str, policy: OutboundPolicy) -> OutboundError:
    return OutboundError(f"{shown} did not answer within {policy.timeout:g} seconds")
