"""The connection a request arrived over (TLS and HTTP version) and the knob naming those Tesla accepts.

Since June 2026 Tesla's token endpoint fingerprints the connection of the token request: access
tokens minted over a connection it does not like carry an `x-enc` claim, and the Owner API answers
them 403. The emulator reduces the fingerprint to what a client can choose: the TLS version and
the HTTP version.
"""

from __future__ import annotations

from dataclasses import dataclass
import hashlib

from aiohttp import web

TLS_VERSIONS = ("1.2", "1.3", "none")  # "none": plain HTTP
HTTP_VERSIONS = ("1.1", "2")
# The key under which the HTTP/2 bridge's stream transports say their HTTP version.
HTTP_VERSION_EXTRA = "emulator_http_version"


@dataclass(frozen=True)
class Connection:
    """What a request arrived over: TLS version ("1.2", "1.3", "none") and HTTP version ("1.1", "2")."""

    tls: str
    http: str

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {"tls": self.tls, "http": self.http}

    def marker(self) -> str:
        """The `x-enc` claim value of a token minted over this refused connection (opaque)."""
        return hashlib.sha256(f"tls={self.tls};http={self.http}".encode()).hexdigest()[
            :32
        ]


def connection_of(request: web.Request) -> Connection:
    """The TLS and HTTP version `request` really arrived with."""
    ssl_object = request.get_extra_info("ssl_object")
    tls = "none"
    if ssl_object is not None:
        tls = str(ssl_object.version() or "").removeprefix("TLSv") or "unknown"
    http = request.get_extra_info(HTTP_VERSION_EXTRA)
    if not isinstance(http, str):
        version = request.version
        http = f"{version.major}.{version.minor}"
    return Connection(tls=tls, http=http)


@dataclass(frozen=True)
class ConnectionRule:
    """One kind of connection Tesla accepts; None matches any version."""

    http: str | None = None
    tls: str | None = None

    def matches(self, connection: Connection) -> bool:
        """Whether `connection` is of this kind."""
        return (self.http is None or self.http == connection.http) and (
            self.tls is None or self.tls == connection.tls
        )

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form (only the versions it pins)."""
        return {
            key: value
            for key, value in (("http", self.http), ("tls", self.tls))
            if value is not None
        }


# None = any connection; () = none; else the rules, any of which accepts.
AcceptedConnections = tuple[ConnectionRule, ...] | None


def accepts(accepted: AcceptedConnections, connection: Connection) -> bool:
    """Whether Tesla (as the knob says) mints good tokens over `connection`."""
    return accepted is None or any(rule.matches(connection) for rule in accepted)


def accepted_to_json(accepted: AcceptedConnections) -> str | list[dict[str, str]]:
    """The knob as the scenario schema writes it."""
    if accepted is None:
        return "any"
    if not accepted:
        return "none"
    return [rule.to_dict() for rule in accepted]
