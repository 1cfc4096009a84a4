"""URL rules: which SSO and API servers, issuers and redirects the client accepts."""

from __future__ import annotations

import ipaddress
from urllib.parse import SplitResult, urljoin, urlsplit

from .const import FLEET_ISSUER_SUFFIX, TESLA_SSO_ORIGINS, TESLA_TOKEN_ORIGINS
from .errors import LoginFailure, TeslaSsoLoginError

type Origin = tuple[str, str, int]

_DEFAULT_PORTS = {"https": 443, "http": 80}
_AUTHORIZE_SUFFIX = "/authorize"


def is_loopback_host(host: str) -> bool:
    """Tell whether a host name or address is this machine (127.0.0.0/8, ::1, localhost)."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _split(url: str, name: str = "SSO server URL") -> SplitResult:
    """Split an absolute http(s) URL that has a host (else INVALID_SERVER_URL)."""
    url = url.strip()
    if not url or any(char.isspace() for char in url):
        raise TeslaSsoLoginError(
            LoginFailure.INVALID_SERVER_URL,
            f"The {name} is empty or contains spaces",
        )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError as err:  # also a malformed [IPv6] host
        raise TeslaSsoLoginError(
            LoginFailure.INVALID_SERVER_URL,
            f"The {name} has an invalid host or port",
        ) from err
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
        raise TeslaSsoLoginError(
            LoginFailure.INVALID_SERVER_URL,
            f"The {name} must be an https:// URL with a host name",
        )
    return parts


def origin_of(url: str) -> Origin:
    """Return (scheme, host, port) of an http(s) URL (else INVALID_SERVER_URL)."""
    parts = _split(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    return scheme, host, parts.port or _DEFAULT_PORTS[scheme]


def _checked_server(url: str, name: str) -> tuple[str, str]:
    """Check a server URL; return its normalised origin (``scheme://host[:port]``) and path.

    Only https is accepted, except plain http for loopback hosts (a local test server).
    """
    parts = _split(url, name)
    if parts.username is not None or parts.password is not None:
        raise TeslaSsoLoginError(
            LoginFailure.INVALID_SERVER_URL,
            f"The {name} must not contain a user name or password",
        )
    if parts.query or parts.fragment:
        raise TeslaSsoLoginError(
            LoginFailure.INVALID_SERVER_URL,
            f"The {name} must not contain a query or fragment",
        )
    scheme, host, port = origin_of(url)
    if scheme == "http" and not is_loopback_host(host):
        raise TeslaSsoLoginError(
            LoginFailure.INVALID_SERVER_URL,
            "Plain http is only allowed for loopback hosts; use https",
        )
    netloc = f"[{host}]" if ":" in host else host
    if port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    return f"{scheme}://{netloc}", parts.path


def validate_sso_base(url: str) -> str:
    """Check an SSO base URL and return it normalised (lower-case host, no trailing slash).

    Only https is accepted, except plain http for loopback hosts (a local test server).

    Raises:
        TeslaSsoLoginError: INVALID_SERVER_URL, the URL cannot be used as an SSO base.
    """
    origin, path = _checked_server(url, "SSO server URL")
    return f"{origin}{path.rstrip('/')}"


def validate_api_base(url: str) -> str:
    """Check an Owner API server URL and return its origin (``scheme://host[:port]``).

    The API's paths start at the server's root: a path other than "/" is refused. Only https
    is accepted, except plain http for loopback hosts (a local test server).

    Raises:
        TeslaSsoLoginError: INVALID_SERVER_URL, the URL cannot be used as an API server.
    """
    origin, path = _checked_server(url, "API server URL")
    if path not in {"", "/"}:
        raise TeslaSsoLoginError(
            LoginFailure.INVALID_SERVER_URL, "The API server URL must not have a path"
        )
    return origin


def server_origin(url: str) -> str:
    """The normalised origin (``scheme://host[:port]``) of a server URL, without its path.

    Raises:
        TeslaSsoLoginError: INVALID_SERVER_URL, the URL cannot be used as a server.
    """
    return _checked_server(url, "SSO server URL")[0]


def is_trusted_origin(url: str, chosen_base: str) -> bool:
    """Tell whether a URL is on the chosen server's origin or on a known Tesla SSO origin."""
    try:
        validate_sso_base(url)
        origin = origin_of(url)
        chosen_origin = origin_of(chosen_base)
    except TeslaSsoLoginError:
        return False
    return origin == chosen_origin or origin in TESLA_SSO_ORIGINS


def trusted_page_url(reference: str, page_url: str, chosen_base: str) -> str | None:
    """Resolve a URL a page points to (e.g. the captcha image), when it may be fetched.

    Returns None when the reference is malformed or leads off the chosen server's origin and
    Tesla's SSO origins: a page must not send the client (and its cookies) anywhere else.
    """
    try:
        url = urljoin(page_url, reference.strip())
        origin = origin_of(url)
        chosen_origin = origin_of(chosen_base)
    except ValueError, TeslaSsoLoginError:  # ValueError: a malformed [IPv6] host
        return None
    if origin == chosen_origin or origin in TESLA_SSO_ORIGINS:
        return url
    return None


def trusted_issuer(issuer: str, chosen_base: str) -> str | None:
    """Return the normalised issuer when it may receive our codes and tokens, else None."""
    if not is_trusted_origin(issuer, chosen_base):
        return None
    return validate_sso_base(issuer)


def trusted_token_issuer(issuer: str, chosen_base: str) -> str | None:
    """Return the SSO base an app token's ``iss`` names, when it may refresh it, else None.

    Besides the SSO servers, Tesla's Fleet auth host issues tokens of one's own Fleet API app;
    their ``iss`` is ``<SSO base>/nts`` (e.g. ``https://fleet-auth.prd.vn.cloud.tesla.com/oauth2/v3/nts``),
    whose base takes the refresh.
    """
    try:
        base = validate_sso_base(issuer).removesuffix(FLEET_ISSUER_SUFFIX)
        origin = origin_of(base)
        chosen_origin = origin_of(chosen_base)
    except TeslaSsoLoginError:
        return None
    if origin == chosen_origin or origin in TESLA_TOKEN_ORIGINS:
        return base
    return None


def region_redirect_base(
    location: str, request_url: str, chosen_base: str
) -> str | None:
    """Return the SSO base a region redirect points to, or None when it must not be followed.

    A region redirect goes to ``<other base>/authorize`` on the chosen server's origin or on a
    known Tesla SSO origin; a redirect back to the base just asked is no region change.
    """
    if not location.strip():
        return None
    try:
        target = urljoin(request_url, location.strip()).split("?", 1)[0].rstrip("/")
    except ValueError:  # a malformed [IPv6] host
        return None
    if not target.endswith(_AUTHORIZE_SUFFIX) or not is_trusted_origin(
        target, chosen_base
    ):
        return None
    new_base = validate_sso_base(target.removesuffix(_AUTHORIZE_SUFFIX))
    current_base = (
        request_url.split("?", 1)[0].rstrip("/").removesuffix(_AUTHORIZE_SUFFIX)
    )
    return None if new_base == current_base else new_base
