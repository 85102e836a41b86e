"""Run one provider for contract verification: its real app factory on a werkzeug server, in contract test mode.

    TWINTAG_DATA_DIR=/tmp/x python -m contracts.provider_server uploads --port 8765

The same `prepare` and `create_app` gunicorn runs, minus the background threads (the uploads relay, the
recognition workers): verification replays HTTP interactions, and a relay or a model loading in the background
would only add noise. `twintag contracts verify` starts this module with the environment it needs.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys

from werkzeug.serving import make_server

PROVIDERS = ("users", "uploads", "recognition", "results")


def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("service", choices=PROVIDERS)
    args.add_argument("--host", default="127.0.0.1")
    args.add_argument("--port", type=int, required=True)
    options = args.parse_args(argv)
    os.environ["TWINTAG_CONTRACT_TEST_MODE"] = "1"

    from shared.api.observability import configure_logging
    from shared.settings import Settings

    configure_logging(f"{options.service}-contract", os.environ.get("TWINTAG_LOG_LEVEL", "INFO"))
    settings = Settings.from_env(database_name=options.service)
    importlib.import_module(f"microservices.{options.service}.bootstrap").prepare(settings)
    app = importlib.import_module(f"microservices.{options.service}.app").create_app(settings)
    server = make_server(options.host, options.port, app, threaded=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
