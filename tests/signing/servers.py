"""Small real HTTP servers on 127.0.0.1 for the tests (werkzeug in a daemon thread, ephemeral port)."""

from __future__ import annotations

import threading
from contextlib import contextmanager

from werkzeug.serving import make_server
from werkzeug.wrappers import Response


class LocalServer:
    """A running server: ``url`` (``http://127.0.0.1:PORT``) and ``mount(app)`` to choose what it serves."""

    def __init__(self, server):
        self._server = server
        self._app = None
        self.url = f"http://127.0.0.1:{server.server_port}"

    def mount(self, app) -> None:
        self._app = app

    def __call__(self, environ, start_response):
        if self._app is None:
            return Response("nothing mounted", status=503)(environ, start_response)
        return self._app(environ, start_response)


@contextmanager
def serve_wsgi(app=None):
    """Serve ``app`` (or whatever is mounted later) until the block ends."""
    holder = {}
    server = make_server("127.0.0.1", 0, lambda environ, start: holder["local"](environ, start), threaded=True)
    local = holder["local"] = LocalServer(server)
    if app is not None:
        local.mount(app)
    thread = threading.Thread(target=server.serve_forever, name=f"wsgi-{server.server_port}", daemon=True)
    thread.start()
    try:
        yield local
    finally:
        server.shutdown()
        thread.join(timeout=5)


def ocsp_get_as_post(app):
    """Let ``app`` (certomancer's Animator, which answers OCSP only by POST) take RFC 6960 GET requests too.

    NSS, and therefore poppler's pdfsig, asks OCSP responders by GET first and gives up on a 404.
    """
    import base64
    import io
    from urllib.parse import unquote

    def wrapped(environ, start_response):
        parts = environ.get("PATH_INFO", "").split("/")
        if environ["REQUEST_METHOD"] == "GET" and len(parts) >= 5 and parts[2] == "ocsp":
            # the server already percent-decoded PATH_INFO, so the base64 '/' characters split the path
            der = base64.b64decode(unquote("/".join(parts[4:])))
            environ = dict(environ, REQUEST_METHOD="POST", PATH_INFO="/".join(parts[:4]),
                           CONTENT_LENGTH=str(len(der)), CONTENT_TYPE="application/ocsp-request")
            environ["wsgi.input"] = io.BytesIO(der)
        return app(environ, start_response)

    return wrapped
