"""A small local server speaking GitHub's OAuth token endpoint and ``/user`` API, for tests."""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


@dataclass
class GitHubAccount:
    id: int
    login: str
    name: str | None = None
    email: str | None = None
    avatar_url: str | None = None
    emails: list[dict[str, Any]] = field(default_factory=list)


class FakeGitHub:
    """Register an account with :meth:`authorize` to get a one-time ``code`` for the callback."""

    def __init__(self, client_id: str, client_secret: str) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.codes: dict[str, GitHubAccount] = {}
        self.tokens: dict[str, GitHubAccount] = {}
        self.requests: list[tuple[str, str, dict[str, list[str]]]] = []
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

    def authorize(self, account: GitHubAccount) -> str:
        """What GitHub does when the user clicks "Authorize": mint a code for this account."""
        code = secrets.token_hex(10)
        self.codes[code] = account
        return code

    def reset(self) -> None:
        self.codes.clear()
        self.tokens.clear()
        self.requests.clear()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _send(self, status: int, body: Any) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                path = urlparse(self.path).path
                fake.requests.append(("POST", path, form))
                if path != "/login/oauth/access_token":
                    self._send(404, {"message": "Not Found"})
                    return
                if form.get("client_id") != [fake.client_id] or form.get("client_secret") != [
                    fake.client_secret
                ]:
                    self._send(200, {"error": "incorrect_client_credentials"})
                    return
                account = fake.codes.pop((form.get("code") or [""])[0], None)
                if account is None:
                    self._send(200, {"error": "bad_verification_code"})
                    return
                token = "gho_" + secrets.token_hex(16)
                fake.tokens[token] = account
                self._send(200, {"access_token": token, "token_type": "bearer", "scope": "read:user"})

            def do_GET(self) -> None:
                path = urlparse(self.path).path
                fake.requests.append(("GET", path, {}))
                auth = self.headers.get("Authorization", "")
                account = fake.tokens.get(auth.removeprefix("Bearer ").removeprefix("token "))
                if account is None:
                    self._send(401, {"message": "Requires authentication"})
                elif path == "/user":
                    self._send(
                        200,
                        {
                            "id": account.id,
                            "login": account.login,
                            "name": account.name,
                            "email": account.email,
                            "avatar_url": account.avatar_url,
                        },
                    )
                elif path == "/user/emails":
                    self._send(200, account.emails)
                else:
                    self._send(404, {"message": "Not Found"})

        return Handler
