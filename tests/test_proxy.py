"""Production behind a reverse proxy that terminates TLS (issue 17, item 3), and the HSTS header (issue 17, low).

The real `tamasuk serve` runs with HTTPS on, behind a small reverse proxy in this process that speaks plain http
and adds X-Forwarded-For (the address its client connected from, appended as nginx's
$proxy_add_x_forwarded_for does) and X-Forwarded-Proto: https. Clients connect to it from different loopback
addresses (127.0.0.10, 127.0.0.11, ...: every 127/8 address is this machine), which stand for people on the
internet; the proxy reaches the server from 127.0.0.1, the address the server is told to trust.
"""

from __future__ import annotations

import http.client
import re
import subprocess
import sys
import threading
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode, urlparse

import pytest

from conftest import ROOT, served

A, B = "127.0.0.10", "127.0.0.11"  # two clients on the internet
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "upgrade", "content-length"}


class ReverseProxy:
    """Plain http in front of the server at `upstream`, connecting to it from `source`."""

    def __init__(self, upstream: str, *, source: str = "127.0.0.1"):
        target = urlparse(upstream)

        class Handler(BaseHTTPRequestHandler):
            def _forward(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                forwarded = self.headers.get("X-Forwarded-For")
                headers["X-Forwarded-For"] = f"{forwarded}, {self.client_address[0]}" if forwarded else \
                    self.client_address[0]
                headers["X-Forwarded-Proto"] = "https"
                if body:
                    headers["Content-Length"] = str(len(body))
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60,
                                                  source_address=(source, 0))
                try:
                    conn.request(self.command, self.path, body=body or None, headers=headers)
                    answer = conn.getresponse()
                    content = answer.read()
                    self.send_response_only(answer.status, answer.reason)
                    for name, value in answer.getheaders():
                        if name.lower() not in HOP_BY_HOP:
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(content)))
                    self.end_headers()
                    self.wfile.write(content)
                finally:
                    conn.close()

            do_GET = do_POST = do_HEAD = _forward

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class Visitor:
    """Someone at `address` reaching `port` on 127.0.0.1: keeps its cookies (whatever their Secure flag: the
    proxy's side of the connection is plain http) and sends the Origin a browser would send."""

    def __init__(self, port: int, address: str, *, origin_scheme: str = "https"):
        self.port, self.address, self.cookies = port, address, {}
        self.origin = f"{origin_scheme}://127.0.0.1:{port}"

    def request(self, method: str, path: str, data: dict | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60, source_address=(self.address, 0))
        sent = {"Origin": self.origin, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urlencode(data)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=sent)
            answer = conn.getresponse()
            text = answer.read().decode("utf-8", "replace")
        finally:
            conn.close()
        for name, value in answer.getheaders():
            if name.lower() == "set-cookie":
                for morsel in SimpleCookie(value).values():
                    self.cookies[morsel.key] = morsel.value
        return answer, text

    def sign_in(self, username: str, password: str, headers: dict | None = None) -> int:
        answer, page = self.request("GET", "/accounts/login/")
        assert answer.status == 200, (answer.status, answer.getheader("Location"))
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        answer, _ = self.request("POST", "/accounts/login/", {"username": username, "password": password,
                                                               "csrfmiddlewaretoken": token}, headers)
        return answer.status


def _fail_five_times(visitor: Visitor, username: str) -> list[int]:
    return [visitor.sign_in(username, "not-the-password") for _ in range(5)]


def test_behind_a_trusted_tls_proxy_pages_answer_and_lockout_is_per_client(fresh_demo_database):
    db = fresh_demo_database
    db.env.update({"HTTPS": "true", "TAMASUK_TRUSTED_PROXY": "127.0.0.1"})
    with served(db, "--init") as (url, _proc), ReverseProxy(url) as proxy:
        a, b = Visitor(proxy.port, A), Visitor(proxy.port, B)
        # The sign-in page itself, not a redirect to https (which the proxy would send back here, for ever).
        answer, page = a.request("GET", "/accounts/login/")
        assert answer.status == 200, (answer.status, answer.getheader("Location"))
        assert 'name="csrfmiddlewaretoken"' in page
        # Served as https: HSTS, without `preload` unless the operator opts in.
        assert answer.getheader("Strict-Transport-Security") == "max-age=31536000; includeSubDomains"

        # Five wrong passwords from A lock the coordinator's account for A: the right one is refused too…
        assert _fail_five_times(a, "coordinator") == [200, 200, 200, 200, 429]
        assert a.sign_in("coordinator", "coordinator-demo-pass") == 429
        # …even when A claims another address: the proxy appends the one A connected from, and that one counts.
        assert a.sign_in("coordinator", "coordinator-demo-pass", {"X-Forwarded-For": B}) == 429
        # B, somewhere else, signs in to the same account (the lockout is not the proxy's, shared by everyone).
        assert b.sign_in("coordinator", "coordinator-demo-pass") == 302
        answer, _ = b.request("GET", "/")
        assert answer.status == 302 and not answer.getheader("Location").startswith("http"), \
            answer.getheader("Location")  # signed in: the home page sends the coordinator on to the city

        # A peer the server does not trust (a proxy elsewhere, or someone reaching the port directly) cannot
        # claim https or another client's address: its forwarded headers are dropped.
        with ReverseProxy(url, source="127.0.0.2") as untrusted:
            answer, _ = Visitor(untrusted.port, A).request("GET", "/accounts/login/")
            assert answer.status == 301 and answer.getheader("Location").startswith("https://")
        answer, _ = Visitor(int(urlparse(url).port), "127.0.0.2").request(
            "GET", "/accounts/login/", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": B})
        assert answer.status == 301 and answer.getheader("Location").startswith("https://")


def test_without_a_trusted_proxy_forwarded_addresses_are_ignored(fresh_demo_database):
    """Without TAMASUK_TRUSTED_PROXY the server believes no X-Forwarded-For: behind a proxy every client has the
    proxy's address (which is why a proxy must be declared), and a client cannot pick one to dodge a lockout."""
    db = fresh_demo_database
    db.env.update({"HTTPS": "false"})
    db.env.pop("TAMASUK_TRUSTED_PROXY", None)
    with served(db, "--init") as (url, _proc), ReverseProxy(url) as proxy:
        a, b = Visitor(proxy.port, A, origin_scheme="http"), Visitor(proxy.port, B, origin_scheme="http")
        assert _fail_five_times(a, "coordinator") == [200, 200, 200, 200, 429]
        assert b.sign_in("coordinator", "coordinator-demo-pass") == 429
        direct = Visitor(int(urlparse(url).port), "127.0.0.1", origin_scheme="http")
        assert direct.sign_in("coordinator", "coordinator-demo-pass", {"X-Forwarded-For": "198.51.100.7"}) == 429


def test_the_old_behind_proxy_switch_alone_is_refused(fresh_database):
    """BEHIND_PROXY=true without the proxy's address looped on every page; `serve` now says what to set."""
    fresh_database.env.update({"HTTPS": "true", "BEHIND_PROXY": "true"})
    fresh_database.env.pop("TAMASUK_TRUSTED_PROXY", None)
    with pytest.raises(subprocess.CalledProcessError) as refused:
        fresh_database.tamasuk("serve", "--no-worker", "--port", "1", timeout=60)
    assert "TAMASUK_TRUSTED_PROXY" in refused.value.stderr


@pytest.mark.parametrize(("preload", "expected"), [
    (None, "max-age=31536000; includeSubDomains"),
    ("true", "max-age=31536000; includeSubDomains; preload"),
])
def test_hsts_preload_is_opt_in(tmp_path, preload, expected):
    """`preload` asks browsers to hard-code https for the domain and its subdomains, for months after it is
    withdrawn: only an operator who means it (SECURE_HSTS_PRELOAD=true) sends it."""
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "tamasuk.settings", "TAMASUK_VAR_DIR": str(tmp_path),
           "ALLOWED_HOSTS": "testserver", **({"SECURE_HSTS_PRELOAD": preload} if preload else {})}
    code = ("import django; django.setup(); from django.test import Client; "
            "print(Client().get('/healthz', secure=True)['Strict-Transport-Security'])")
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected
