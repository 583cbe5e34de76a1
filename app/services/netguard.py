"""Where the portal may connect on an administration's behalf: the public internet only.

A webhook address is checked when it is registered and again at every connection: its host is
resolved once, every address it resolves to must be public, and the socket is opened to one of
those very addresses (`GuardedBackend`), so a name that answers a public address to the check
and a private one a moment later (DNS rebinding) never reaches the private one. TLS still
names and verifies the original host: only the socket's destination is pinned.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# host, port -> the addresses it resolves to (tests give a resolver of their own).
Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]

RESOLVE_TIMEOUT_SECONDS = 5.0
# Ranges `is_global` lets through in some Python versions but that are no public host:
# IETF protocol assignments, NAT64 (translates to any IPv4, private ones included), 6to4 and
# Teredo (embed an IPv4 of the sender's choosing), IPv4-compatible IPv6.
_NOT_PUBLIC = [
    ipaddress.ip_network(n)
    for n in (
        "192.0.0.0/24",
        "64:ff9b::/96",
        "64:ff9b:1::/48",
        "2002::/16",
        "2001::/32",
        "::/96",
    )
]
_GLOBAL_UNICAST_V6 = ipaddress.ip_network("2000::/3")


class Refused(Exception):
    """The address is not one the portal may call; `code` is a field-error code."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Policy:
    """`allow_loopback`: development and tests, where the receiver runs on this machine;
    `loopback_only`: nothing else (plain HTTP, allowed only there)."""

    allow_loopback: bool = False
    loopback_only: bool = False

    def permits(self, address: IPAddress) -> bool:
        if _loopback(address):
            return self.allow_loopback
        if self.loopback_only:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            # An IPv4 written as IPv6 (`::ffff:10.0.0.1`) is judged as the IPv4 it is.
            return is_public(address.ipv4_mapped)
        return is_public(address)


def is_public(address: IPAddress) -> bool:
    """A unicast address of the public internet: no private, loopback, link-local (cloud
    metadata at 169.254.169.254), unique-local, multicast, reserved or documentation range."""
    if isinstance(address, ipaddress.IPv6Address) and address not in _GLOBAL_UNICAST_V6:
        return False
    return (
        address.is_global
        and not address.is_multicast
        and not address.is_reserved
        and not any(address.version == n.version and address in n for n in _NOT_PUBLIC)
    )


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to, without blocking the event loop. Numeric spellings
    (`0x7f000001`, `127.1`, `2130706433`) come back as the address they spell."""
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_TIMEOUT_SECONDS
        )
    except (OSError, TimeoutError, UnicodeError) as exc:
        raise Refused("host_unresolvable") from exc
    addresses: list[IPAddress] = []
    for family, *_rest, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        # An IPv6 link-local answer may carry a zone (`fe80::1%eth0`): drop it before parsing.
        address = ipaddress.ip_address(str(sockaddr[0]).partition("%")[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise Refused("host_unresolvable")
    return addresses


async def checked(host: str, port: int, policy: Policy, resolver: Resolver) -> list[IPAddress]:
    """The addresses of `host`, each one permitted — or `Refused` if any one is not: a name
    with one private answer among public ones is not trusted either."""
    addresses = await resolver(host, port)
    if not addresses:
        raise Refused("host_unresolvable")
    if not all(policy.permits(a) for a in addresses):
        raise Refused("address_not_public")
    return addresses


@dataclass(frozen=True)
class Target:
    url: httpx.URL
    host: str  # ASCII (IDNA) form, no brackets
    port: int


def parse(url: str, policy: Policy) -> Target:
    """The shape of a webhook address: HTTPS (HTTP only to loopback when allowed), a host, no
    `user:password@`. The host's addresses are checked apart, by `checked`."""
    try:
        parsed = httpx.URL(url)
        host = parsed.raw_host.decode("ascii")
    except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
        raise Refused("invalid_url") from exc
    if parsed.scheme not in ("https", "http") or not host:
        raise Refused("https_required")
    if parsed.userinfo:
        # Credentials in an address end up in logs and in the outbox: the signature
        # authenticates the portal instead.
        raise Refused("url_credentials")
    if parsed.scheme == "http" and not policy.allow_loopback:
        raise Refused("https_required")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    return Target(url=parsed, host=host, port=port)


async def check_url(url: str, policy: Policy, resolver: Resolver = resolve) -> Target:
    """Refuse (`Refused`) an address the portal must not call; the parsed target otherwise.
    Plain HTTP is allowed only when every address is loopback (development)."""
    target = parse(url, policy)
    addresses = await checked(target.host, target.port, policy, resolver)
    if target.url.scheme == "http" and not all(_loopback(a) for a in addresses):
        raise Refused("https_required")
    return target


def _loopback(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, with each TCP connection made only to a checked address.

    httpcore calls `connect_tcp` with the URL's host; we resolve it once, check every answer,
    and connect to those addresses themselves — httpcore then starts TLS with the original host
    name (SNI and certificate verification) and sends it as `Host`.
    """

    def __init__(self, policy: Policy, resolver: Resolver = resolve) -> None:
        self.policy = policy
        self.resolver = resolver
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await checked(host.strip("[]"), port, self.policy, self.resolver)
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc  # the next address may answer
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise Refused("address_not_public")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)
