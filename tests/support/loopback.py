"""A WSGI app served on 127.0.0.1 from a thread, for code that must reach it over real HTTP."""

from __future__ import annotations

import threading

from werkzeug.serving import make_server


class LoopbackServer:
    """Serve an app on a loopback port (0: any free one) until close()."""

    def __init__(self, app, port: int = 0):
        self.server = make_server("127.0.0.1", port, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
