"""Delivery to another deployment: POST the package to `<base_url>/exchange/v1/packages`.

A 2xx is the receiver's acknowledgement; a 4xx a refusal that the same bytes will meet again (not retried); a
5xx, a 429, a redirect (never followed) or a network failure is retried with back-off.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from flask import current_app

from eoffice.exchange.transports import Transport, TransportAck, TransportError

PATH = "/exchange/v1/packages"
MAX_ANSWER = 64 * 1024


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is answered as the 3xx it is, never followed to another address


_opener = urllib.request.build_opener(_NoRedirect)


class HttpTransport(Transport):
    name = "http"

    def send(self, data: bytes, partner) -> TransportAck:
        if not partner.base_url:
            return TransportAck(done=False, code="no_address", permanent=True,
                                message="The partner has no address to deliver to.")
        request = urllib.request.Request(partner.base_url + PATH, data=data, method="POST",
                                         headers={"Content-Type": "application/xml"})
        try:
            with _opener.open(request, timeout=current_app.config["EXCHANGE_HTTP_TIMEOUT_SECONDS"]) as response:
                status, raw = response.status, response.read(MAX_ANSWER)
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read(MAX_ANSWER)
        except (urllib.error.URLError, OSError) as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}") from None
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        if 200 <= status < 300:
            return TransportAck(done=True, code=str(body.get("ack") or "done"))
        if status == 429 or status >= 500 or 300 <= status < 400:
            raise TransportError(f"HTTP {status} from {partner.base_url}")
        error = body.get("error") if isinstance(body.get("error"), dict) else {}
        return TransportAck(done=False, code=str(error.get("code") or f"http_{status}"),
                            message=str(error.get("message") or "")[:500], permanent=True)
