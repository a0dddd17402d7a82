"""Small real HTTP servers on 127.0.0.1 for the tests (werkzeug in a daemon thread, ephemeral port)."""

from __future__ import annotations

import threading
from contextlib import contextmanager

from werkzeug.serving import make_server
from werkzeug.wrappers import Response

# the OCSP GET adapter lives with the demo PKI, which needs it too; re-exported for the tests' fixtures
from eoffice.signing.pki import ocsp_get_as_post  # noqa: F401


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
