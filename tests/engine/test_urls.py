import datetime
import json
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from engine import urls
from engine.actions import validate_config
from engine.exceptions import ConfigError

PATH = "config.url"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        # urllib.parse reads the host 1.1.1.1, urllib3 (which requests sends with) 127.0.0.1.
        ("http://127.0.0.1:8069\\@1.1.1.1/x", "must not contain a backslash"),
        # urllib.parse reads an empty host, which once matched a blank allow-list entry.
        ("http://127.0.0.1:8069\\@/x", "must not contain a backslash"),
        ("http://user:secret@example.com/x", "must not hold a user name or password"),
        ("http://@example.com/x", "must not hold a user name or password"),
        ("http://example.com;@127.0.0.1/x", "must not hold a user name or password"),
        ("http:///x", "has no host"),
        ("http://:80/x", "has no host"),
        ("http://exa mple.com/x", "must not contain spaces or control characters"),
        ("http://example.com\t.evil/x", "must not contain spaces or control characters"),
        ("https://münchen.example/x", "ASCII (xn--) form"),
        ("http://[fe80::1%25eth0]/x", "or give an IPv6 zone"),
        ("http://%31%32%37.0.0.1/x", "must not percent-encode its host"),
        ("http://[127.0.0.1]/x", "is not a valid URL"),
        ("http://[::1/x", "is not a valid URL"),
        ("http://example.com:0/x", "has no valid port"),
        ("http://example.com:99999/x", "is not a valid URL"),
        ("ftp://example.com/x", "must be an http:// or https:// URL"),
        (42, "must be a URL, got int"),
    ],
)
def test_parse_refuses_what_parsers_read_differently(url, message):
    with pytest.raises(ConfigError) as error:
        urls.parse(url, PATH)
    assert error.value.path == PATH
    assert message in error.value.message


@pytest.mark.parametrize(
    ("url", "host", "port", "host_header", "pinned"),
    [
        ("https://Hooks.Example.com/in?a=1#part", "hooks.example.com", 443, "hooks.example.com",
         "https://192.0.2.7:443/in?a=1"),
        ("http://example.com.:8080/a/../b", "example.com", 8080, "example.com:8080", "http://192.0.2.7:8080/b"),
        ("http://[::1]:9/x", "::1", 9, "[::1]:9", "http://192.0.2.7:9/x"),
        ("http://127.0.0.1", "127.0.0.1", 80, "127.0.0.1", "http://192.0.2.7:80/"),
        ("http://example.com#@evil.example", "example.com", 80, "example.com", "http://192.0.2.7:80/"),
    ],
)
def test_parse_reads_the_url_as_it_is_sent(url, host, port, host_header, pinned):
    target = urls.parse(url, PATH)
    assert (target.host, target.port, target.host_header) == (host, port, host_header)
    # Built only as text: nothing connects to the documentation address.
    assert target.pinned("192.0.2.7") == pinned


def test_pinned_url_brackets_an_ipv6_address():
    assert urls.parse("http://example.com/x", PATH).pinned("::1") == "http://[::1]:80/x"


def test_allow_list_ignores_blank_entries_and_normalizes_hosts():
    assert urls.allowed_hosts("") == set()
    assert urls.allowed_hosts(" , ,[],.") == set()
    assert urls.allowed_hosts("Hooks.Example.com., [::1] ,127.0.0.1") == {"hooks.example.com", "::1", "127.0.0.1"}


def test_saving_refuses_a_url_that_parsers_read_differently_with_its_path():
    with pytest.raises(ConfigError) as error:
        validate_config("call_webhook", {"url": "http://127.0.0.1:8069\\@1.1.1.1/x"})
    assert error.value.path == PATH
    # A templated URL is only known once rendered: the webhook guard reads it then.
    validate_config("call_webhook", {"url": "{{ base }}\\@1.1.1.1/x"})


class _Recorder(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.received.append({"path": self.path, "host": self.headers["Host"], "body": body})
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_send_connects_to_the_checked_address_and_sends_the_host(receiver):
    port = receiver.server_address[1]
    # A name under the reserved .test domain resolves nowhere: the request only arrives
    # because the request goes to the address it is given, without looking the name up.
    target = urls.parse(f"http://hooks.workflow.test:{port}/in?a=1", PATH)
    response = urls.send(target, [("127.0.0.1", port)], "POST", json={"ok": True}, timeout=5)
    assert response.status_code == 204
    [request] = receiver.received
    assert request["host"] == f"hooks.workflow.test:{port}"
    assert request["path"] == "/in?a=1"
    assert json.loads(request["body"]) == {"ok": True}


def _closed_port():
    """A port of 127.0.0.1 on which nothing listens (it was bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_send_moves_on_to_the_next_address_when_one_refuses_the_connection(receiver):
    port = receiver.server_address[1]
    target = urls.parse(f"http://hooks.workflow.test:{port}/in", PATH)
    response = urls.send(
        target, [("127.0.0.1", _closed_port()), ("127.0.0.1", port)], "POST",
        headers={"host": "intranet.example"}, json={"n": 1}, timeout=5,
    )
    assert response.status_code == 204
    # The config's Host header gives way to the URL's.
    assert [request["host"] for request in receiver.received] == [f"hooks.workflow.test:{port}"]


class _Hangup(BaseHTTPRequestHandler):
    def do_POST(self):
        self.server.received.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        self.close_connection = True  # no answer: the client sees the connection end


def test_send_never_sends_a_request_twice():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hangup)
    server.received = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        target = urls.parse(f"http://hooks.workflow.test:{port}/in", PATH)
        with pytest.raises(requests.ConnectionError):
            urls.send(target, [("127.0.0.1", port), ("127.0.0.1", port)], "POST", json={}, timeout=5)
        assert server.received == [b"{}"]
    finally:
        server.shutdown()
        server.server_close()


def _self_signed(directory, name):
    """A certificate for the DNS name ``name`` and its key, as PEM files in ``directory``."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / f"{name}.pem", directory / f"{name}.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ))
    return str(cert_file), str(key_file)


@pytest.fixture
def tls_receiver(tmp_path, receiver):
    """``receiver`` behind TLS with a certificate for hooks.workflow.test; yields the CA file."""
    cert_file, key_file = _self_signed(tmp_path, "hooks.workflow.test")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    context.sni_names = []
    context.sni_callback = lambda sock, server_name, _context: context.sni_names.append(server_name)
    receiver.socket = context.wrap_socket(receiver.socket, server_side=True)
    receiver.tls_context = context
    return cert_file


def test_pinned_https_sends_the_url_host_as_server_name_and_verifies_it(receiver, tls_receiver):
    port = receiver.server_address[1]
    target = urls.parse(f"https://hooks.workflow.test:{port}/in", PATH)
    response = urls.send(target, [("127.0.0.1", port)], "POST", json={}, timeout=5, verify=tls_receiver)
    assert response.status_code == 204
    assert receiver.tls_context.sni_names == ["hooks.workflow.test"]
    # The certificate names hooks.workflow.test: another host at the same address is refused.
    other = urls.parse(f"https://other.workflow.test:{port}/in", PATH)
    with pytest.raises(requests.exceptions.SSLError):
        urls.send(other, [("127.0.0.1", port)], "POST", timeout=5, verify=tls_receiver)
    assert len(receiver.received) == 1


def test_pinned_https_trusts_the_ca_bundle_of_the_environment(receiver, tls_receiver, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", tls_receiver)
    target = urls.parse(f"https://hooks.workflow.test:{receiver.server_address[1]}/in", PATH)
    response = urls.send(target, [("127.0.0.1", receiver.server_address[1])], "POST", timeout=5)
    assert response.status_code == 204
