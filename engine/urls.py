"""Webhook URLs read once, the way the HTTP client reads them, and sent to one checked address.

``requests`` hands a URL to urllib3, whose parser ends the host at a backslash, while
``urllib.parse`` ends it at ``/``, ``?`` or ``#`` only and takes what follows the last
``@`` as the host: ``http://127.0.0.1:8069\\@1.1.1.1/`` is 127.0.0.1 to urllib3 and
1.1.1.1 to urllib.parse. ``parse`` therefore reads a URL with both parsers and refuses
what they read differently, what either reads as a user name or password, and what has
no host.

``send`` then sends the request to the IP addresses the caller checked, with the URL's
host in the ``Host`` header and, for https, as the TLS server name that the certificate
must match: the name is never looked up again, so it cannot be rebound to another
address between the check and the connection.
"""

import ipaddress
import os
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, LocationParseError
from urllib3.util import Url, parse_url

from .exceptions import ConfigError

__all__ = ["WebhookUrl", "allowed_hosts", "normalize_host", "parse", "pinned_session", "send"]

DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_host(host):
    """``host`` as compared with the allow-list: lower case, without the brackets of an IPv6
    literal or a final dot, IP addresses in their canonical form."""
    host = host.strip().lower().removeprefix("[").removesuffix("]").removesuffix(".")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host


def allowed_hosts(text):
    """The hosts of a comma-separated allow-list, normalized; blank entries allow nothing."""
    return {host for host in map(normalize_host, (text or "").split(",")) if host}


@dataclass(frozen=True)
class WebhookUrl:
    """A webhook URL as the HTTP client will send it."""

    scheme: str
    """``http`` or ``https``."""
    host: str
    """Never empty; normalized by ``normalize_host``."""
    port: int
    """The URL's port, or its scheme's default."""
    path: str
    query: str | None

    @property
    def host_header(self):
        """The ``Host`` header a client sends for this URL."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"

    def pinned(self, address, port=None):
        """This URL with the IP ``address`` in place of its host, and ``port`` (default: its
        own) in place of its port (without fragment)."""
        host = f"[{address}]" if ":" in address else address
        return Url(self.scheme, host=host, port=port or self.port, path=self.path, query=self.query).url


def _refuse(message, path):
    raise ConfigError(message, path)


def parse(url, path):
    """``url`` as a WebhookUrl; ConfigError naming ``path`` unless urllib3 (which sends it)
    and urllib.parse read the same scheme, host and port, with no user name or password."""
    if not isinstance(url, str):
        _refuse(f"must be a URL, got {type(url).__name__}", path)
    if any(character <= " " or character == "\x7f" for character in url):
        _refuse("must not contain spaces or control characters", path)
    if "\\" in url:
        _refuse("must not contain a backslash: URL parsers disagree on where its host ends", path)
    try:
        split = urlsplit(url)
        sent = parse_url(url)
        split_port = split.port
    except (LocationParseError, ValueError) as exc:
        _refuse(f"is not a valid URL: {exc}", path)
    scheme = split.scheme.lower()
    if scheme not in DEFAULT_PORTS or (sent.scheme or "").lower() != scheme:
        _refuse("must be an http:// or https:// URL", path)
    if "@" in split.netloc or sent.auth:
        _refuse("must not hold a user name or password: send credentials in a header", path)
    if not (split.hostname or "").isascii():
        _refuse("must give an internationalized host name in its ASCII (xn--) form", path)
    host = normalize_host(sent.host or "")
    if not host:
        _refuse("has no host", path)
    if "%" in host:
        _refuse("must not percent-encode its host or give an IPv6 zone", path)
    if normalize_host(split.hostname or "") != host or split_port != sent.port:
        _refuse("is read differently by URL parsers: write its host and port plainly", path)
    port = DEFAULT_PORTS[scheme] if sent.port is None else sent.port
    if not 0 < port < 65536:
        _refuse(f"has no valid port: {port}", path)
    return WebhookUrl(scheme, host, port, sent.path or "/", sent.query)


class PinnedAddressAdapter(HTTPAdapter):
    """A transport that connects to the URL's host as written (the caller puts the checked IP
    address there) and, for https, sends ``server_name`` as TLS server name and verifies the
    certificate against it."""

    def __init__(self, server_name, **kwargs):
        self.server_name = server_name
        super().__init__(**kwargs)

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs):
        # Mounted for https:// only: urllib3 1.26 (Odoo's pin for Python 3.10 and 3.11) hands
        # server_hostname to plain-http connections too, which refuse it.
        return super().init_poolmanager(
            connections, maxsize, block, server_hostname=self.server_name, **pool_kwargs
        )


def pinned_session(target):
    """A requests session for one request to ``target`` at the address in its pinned URL.

    The environment's proxy settings are ignored: a proxy would look the name up again.
    So is ``.netrc``: a webhook carries only the credentials its config gives. The CA
    bundle that REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE names is still the one trusted, as
    requests itself does.
    """
    session = requests.Session()
    session.trust_env = False
    session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    session.mount("http://", HTTPAdapter())
    session.mount("https://", PinnedAddressAdapter(target.host))
    return session


def _never_connected(error):
    """Whether a requests ConnectionError happened before the request could be sent: the
    connection was refused, unreachable or timed out (urllib3's NewConnectionError is a
    ConnectTimeoutError)."""
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, ConnectTimeoutError)


def send(target, addresses, method, headers=None, **kwargs):
    """Send one request to ``target`` at the first of the checked ``addresses`` (``(ip,
    port)`` pairs, in getaddrinfo's order) that takes the connection, and return the response.

    The ``Host`` header is the URL's (one in ``headers`` is replaced); ``kwargs`` are
    requests'. As requests itself moves on through the addresses of a name, an address that
    refuses the connection or does not take it in time passes to the next one; once a
    connection is made, a failure is raised, so the request is never sent twice.
    """
    headers = {name: value for name, value in (headers or {}).items() if name.lower() != "host"}
    headers["Host"] = target.host_header
    with pinned_session(target) as session:
        *others, last = addresses
        for address, port in others:
            try:
                return session.request(method, target.pinned(address, port), headers=headers, **kwargs)
            except requests.ConnectionError as error:
                if not _never_connected(error):
                    raise
        address, port = last
        return session.request(method, target.pinned(address, port), headers=headers, **kwargs)
