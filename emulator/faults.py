"""Fault injection: per endpoint, one-shot or persistent errors, delays and broken responses."""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any

from .errors import ScenarioError


class FaultKind(StrEnum):
    """What a fault does to a request."""

    STATUS = "status"  # answer with `status` and a short HTML error page
    RATE_LIMIT = "rate_limit"  # 429 with Retry-After: `retry_after`
    DELAY = "delay"  # wait `delay` seconds, then answer normally
    DROP = "drop"  # close the connection without an answer
    MALFORMED_JSON = "malformed_json"  # 200, application/json, a body that is not JSON
    TRUNCATED = "truncated"  # the real answer, cut in half, connection closed
    WAF_BLOCK = "waf_block"  # 403 "Access Denied" from AkamaiGHost
    WAF_CHALLENGE = "waf_challenge"  # the JavaScript challenge page


# Endpoint names a fault can target; "*" matches every SSO, Owner API and Fleet API endpoint.
ENDPOINTS = (
    "*",
    "authorize",
    "captcha",
    "mfa_factors",
    "mfa_verify",
    "mfa_backupcodes",
    "token",
    "legacy_token",
    "products",
    "users_me",
    "users_region",
)


@dataclass
class Fault:
    """One injected fault.

    Attributes:
        kind: what happens.
        count: how many matching requests it hits; None = every request until cleared.
        status: HTTP status for kind "status".
        retry_after: seconds in the Retry-After header of kind "rate_limit" (None = no header).
        delay: seconds to wait for kind "delay".
        method: only requests with this HTTP method (None = any).
    """

    kind: FaultKind
    count: int | None = 1
    status: int = 500
    retry_after: int | None = 30
    delay: float = 1.0
    method: str | None = None

    def matches(self, method: str) -> bool:
        """Whether the fault applies to a request with this method."""
        return self.method is None or self.method.upper() == method.upper()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Any) -> Fault:
        """Build and validate a fault from JSON data (`endpoint` is not part of it)."""
        if not isinstance(data, dict):
            raise ScenarioError("fault: an object is required")
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise ScenarioError(f"fault: unknown keys {', '.join(unknown)}")
        try:
            kind = FaultKind(str(data.get("kind")))
        except ValueError:
            raise ScenarioError(
                f"fault: kind must be one of {', '.join(FaultKind)}"
            ) from None
        count = data.get("count", 1)
        if count is not None and (
            not isinstance(count, int) or isinstance(count, bool) or count < 1
        ):
            raise ScenarioError("fault: count must be a positive integer or null")
        status = data.get("status", 500)
        if not isinstance(status, int) or not 100 <= status <= 599:
            raise ScenarioError("fault: status must be an HTTP status code")
        retry_after = data.get("retry_after", 30)
        if retry_after is not None and (
            not isinstance(retry_after, int) or retry_after < 0
        ):
            raise ScenarioError(
                "fault: retry_after must be a non-negative integer or null"
            )
        delay = data.get("delay", 1.0)
        if not isinstance(delay, int | float) or isinstance(delay, bool) or delay < 0:
            raise ScenarioError("fault: delay must be a non-negative number")
        method = data.get("method")
        if method is not None and not isinstance(method, str):
            raise ScenarioError("fault: method must be a string or null")
        return cls(
            kind=kind,
            count=count,
            status=status,
            retry_after=retry_after,
            delay=float(delay),
            method=method.upper() if method else None,
        )


def check_endpoint(endpoint: str) -> str:
    """Validate a fault's endpoint name."""
    if endpoint not in ENDPOINTS:
        raise ScenarioError(f"fault: endpoint must be one of {', '.join(ENDPOINTS)}")
    return endpoint


class FaultTable:
    """The faults currently armed, by endpoint."""

    def __init__(self) -> None:
        """Start with no faults."""
        self._faults: dict[str, list[Fault]] = {}

    def add(self, endpoint: str, fault: Fault) -> None:
        """Arm a fault (after any already armed for the endpoint)."""
        self._faults.setdefault(check_endpoint(endpoint), []).append(fault)

    def clear(self, endpoint: str | None = None) -> None:
        """Disarm every fault, or those of one endpoint."""
        if endpoint is None:
            self._faults.clear()
        else:
            self._faults.pop(endpoint, None)

    def take(self, endpoint: str, method: str) -> Fault | None:
        """The fault that hits this request, counting it down; None when there is none."""
        for name in (endpoint, "*"):
            queue = self._faults.get(name, [])
            for fault in queue:
                if not fault.matches(method):
                    continue
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        queue.remove(fault)
                return fault
        return None

    def to_list(self) -> list[dict[str, Any]]:
        """JSON-ready list of armed faults."""
        return [
            {"endpoint": endpoint, **fault.to_dict()}
            for endpoint, queue in self._faults.items()
            for fault in queue
        ]
