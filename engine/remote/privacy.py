"""The one rule for what counts as local: a server on the loopback interface. Anything else is remote.

No name is resolved: only ``localhost`` (and ``*.localhost``, reserved for loopback by RFC 6761) and
literal loopback addresses (127.0.0.0/8, ::1, IPv4-mapped 127.x) count as local. A host name that
resolves to this machine, or a LAN address of it, counts as remote: a lookup can change or be spoofed,
and the banner "images you send leave this computer" must never be missing when they do.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` (a name or address, IPv6 with or without brackets) is on the loopback interface."""
    h = host.strip().strip("[]").rstrip(".").lower()
    if h == "localhost" or h.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(h.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


def host_of(url: str) -> str:
    """``host:port`` of a URL as people read it (the port only when given)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{parts.port}" if parts.port else host


def remote_host(url: str) -> str | None:
    """None for a loopback server (local); else the host (and port) that requests leave this computer for."""
    hostname = urlsplit(url).hostname or ""
    return None if is_loopback_host(hostname) else host_of(url)
