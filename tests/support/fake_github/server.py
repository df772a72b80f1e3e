"""The fake GitHub server: OAuth sign-in, the REST endpoints Cohort uses, and fault injection.

It runs on a loopback port in a thread; every request is handled under one lock, so concurrent clients
see a consistent world (and tests can count exactly what reached it).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections import Counter
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from tests.support.fake_github.auth import identify
from tests.support.fake_github.faults import SECONDARY_MESSAGE, Faults, PrimaryLimit, SecondaryLimit
from tests.support.fake_github.routes import route
from tests.support.fake_github.state import GitHubAccount, GitHubData
from tests.support.fake_github.wire import FakeRequest, FakeResponse

OAUTH_TOKEN_PATH = "/login/oauth/access_token"
OAUTH_AUTHORIZE_PATH = "/login/oauth/authorize"


def s256(verifier: str) -> str:
    """The PKCE ``S256`` challenge of a verifier (RFC 7636, section 4.2)."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class FakeGitHub(GitHubData):
    """Register an account with :meth:`authorize` to get a one-time ``code`` for the OAuth callback
    (or set :attr:`browser_account` and let a real browser visit the authorize page); seed
    repositories, users and installations with the :class:`GitHubData` helpers.

    Codes minted with a PKCE challenge are exchanged only with the matching ``code_verifier``.
    """

    def __init__(self, client_id: str, client_secret: str) -> None:
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret
        self.codes: dict[str, GitHubAccount] = {}
        self.challenges: dict[str, str] = {}  # code -> S256 challenge it was issued for
        self.browser_account: GitHubAccount | None = None
        """Who is signed in to GitHub in the browser: the authorize page approves for them."""
        self.tokens: dict[str, GitHubAccount] = {}
        self.requests: list[tuple[str, str, dict[str, list[str]]]] = []
        self.request_counts: Counter[tuple[str, str]] = Counter()
        self.faults = Faults(lambda: self.clock())
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeGitHub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def authorize(self, account: GitHubAccount, *, code_challenge: str | None = None) -> str:
        """What GitHub does when the user clicks "Authorize": mint a code for this account, bound to
        the authorize URL's PKCE ``code_challenge`` (method S256) when it has one."""
        code = secrets.token_hex(10)
        self.codes[code] = account
        if code_challenge is not None:
            self.challenges[code] = code_challenge
        return code

    def reset(self) -> None:
        with self._lock:
            self.codes.clear()
            self.challenges.clear()
            self.browser_account = None
            self.tokens.clear()
            self.requests.clear()
            self.request_counts.clear()
            self.faults.clear()
            self.clock = time.time
            self.installation_token_ttl = 3600.0
            self._clear_data()

    # -- fault injection ---------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        path: str,
        *,
        status: int = 500,
        body: Any = None,
        headers: dict[str, str] | None = None,
        times: int | None = 1,
        disconnect: bool = False,
    ) -> None:
        """Answer the next ``times`` matching requests (None: all of them) with ``status``, or drop the
        connection without answering. ``path`` may contain ``*`` wildcards."""
        if body is None:
            body = {"message": _default_message(status, headers or {})}
        self.faults.script(
            method, path, status=status, body=body, headers=headers, times=times, disconnect=disconnect
        )

    def secondary_rate_limit(
        self, max_writes: int, *, window_seconds: float = 60.0, retry_after: int | None = 60
    ) -> None:
        """Refuse write requests beyond ``max_writes`` per window with GitHub's secondary-limit 403."""
        self.faults.secondary = SecondaryLimit(max_writes, window_seconds, retry_after)

    def primary_rate_limit(self, limit: int, *, window_seconds: float = 3600.0) -> None:
        """Allow ``limit`` API requests per window; then 403 with ``x-ratelimit-remaining: 0``."""
        self.faults.primary = PrimaryLimit(limit, window_seconds, window_start=self.clock())

    def clear_faults(self) -> None:
        self.faults.clear()

    def count(self, method: str, path: str) -> int:
        """Requests that reached the fake for ``(method, path)``, refused or not."""
        return self.request_counts[(method.upper(), path)]

    # -- request handling --------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: dict[str, list[str]], headers: Mapping[str, str], body: bytes
    ) -> FakeResponse:
        form = parse_qs(body.decode()) if "form-urlencoded" in (headers.get("Content-Type") or "") else {}
        with self._lock:
            self.requests.append((method, path, form))
            self.request_counts[(method, path)] += 1
            scripted = self.faults.scripted_answer(method, path)
            if scripted is not None:
                return scripted
            if path == OAUTH_AUTHORIZE_PATH and method == "GET":
                return self._authorize_page(query)
            if path == OAUTH_TOKEN_PATH:
                return (
                    self._oauth_token(form)
                    if method == "POST"
                    else FakeResponse(404, {"message": "Not Found"})
                )
            caller = identify(self, headers, self.tokens)
            if isinstance(caller, FakeResponse):
                return caller
            limited = self.faults.rate_limit(method, path)
            if limited is not None:
                return limited
            response = route(self, caller, FakeRequest(method, path, query, headers, body, self.base_url))
            response.headers.update(self.faults.rate_limit_headers())
            return response

    def _oauth_token(self, form: dict[str, list[str]]) -> FakeResponse:
        if form.get("client_id") != [self.client_id] or form.get("client_secret") != [self.client_secret]:
            return FakeResponse(200, {"error": "incorrect_client_credentials"})
        code = (form.get("code") or [""])[0]
        account = self.codes.pop(code, None)
        challenge = self.challenges.pop(code, None)
        if account is None:
            return FakeResponse(200, {"error": "bad_verification_code"})
        if challenge is not None and s256((form.get("code_verifier") or [""])[0]) != challenge:
            return FakeResponse(
                200,
                {
                    "error": "bad_verification_code",
                    "error_description": "The code_verifier does not match the code_challenge.",
                },
            )
        token = "gho_" + secrets.token_hex(16)
        self.tokens[token] = account
        return FakeResponse(200, {"access_token": token, "token_type": "bearer", "scope": "read:user"})

    def _authorize_page(self, query: dict[str, list[str]]) -> FakeResponse:
        """The user approves at once (as a returning user does): back to ``redirect_uri`` with a code."""
        args = {key: values[0] for key, values in query.items()}
        if args.get("client_id") != self.client_id or "redirect_uri" not in args:
            return FakeResponse(404, {"message": "Not Found"})
        if self.browser_account is None:
            return FakeResponse(401, {"message": "nobody is signed in to the fake GitHub"})
        challenge = args.get("code_challenge")
        if challenge is not None and args.get("code_challenge_method") != "S256":
            return FakeResponse(400, {"message": "code_challenge_method must be S256"})
        code = self.authorize(self.browser_account, code_challenge=challenge)
        back = urlencode({"code": code, "state": args.get("state", "")})
        return FakeResponse(302, None, {"Location": f"{args['redirect_uri']}?{back}"})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _dispatch(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                url = urlparse(self.path)
                response = fake.handle(self.command, url.path, parse_qs(url.query), self.headers, body)
                if response.disconnect:
                    self.close_connection = True
                    return
                payload = b"" if response.body is None else json.dumps(response.body).encode()
                self.send_response(response.status)
                if payload:
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                self._dispatch()

            def do_POST(self) -> None:
                self._dispatch()

            def do_PUT(self) -> None:
                self._dispatch()

            def do_PATCH(self) -> None:
                self._dispatch()

            def do_DELETE(self) -> None:
                self._dispatch()

        return Handler


def _default_message(status: int, headers: dict[str, str]) -> str:
    lowered = {k.lower(): v for k, v in headers.items()}
    if status in (403, 429) and "retry-after" in lowered:
        return SECONDARY_MESSAGE
    if status in (403, 429) and lowered.get("x-ratelimit-remaining") == "0":
        return "API rate limit exceeded"
    return "Server Error" if status >= 500 else f"Injected {status}"
