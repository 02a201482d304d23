"""The benchmarks' HTTP client: one keep-alive connection carrying the cookies the server sets, like one
browser tab."""

from __future__ import annotations

import http.client


class KeepAliveClient:
    """Requests over one keep-alive connection, with the session cookies the server has set so far."""

    def __init__(self, host: str, timeout: float) -> None:
        self.connection = http.client.HTTPConnection(host, timeout=timeout)
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        """(status, body); the answer's Set-Cookie headers are kept for the next request."""
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        try:
            response = self._send(method, path, body, headers)
        except (http.client.RemoteDisconnected, ConnectionError):
            # The server closed an idle keep-alive connection; a browser reconnects and resends, so do we.
            self.connection.close()
            response = self._send(method, path, body, headers)
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, data

    def _send(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> http.client.HTTPResponse:
        self.connection.request(method, path, body=body, headers=headers)
        return self.connection.getresponse()
