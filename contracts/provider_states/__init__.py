"""Provider states for contract verification, registered only in contract test mode.

Each provider's app factory calls `register_provider_states(app, service)` when TWINTAG_CONTRACT_TEST_MODE=1 (and
never otherwise). That adds one route, `POST /_pact/provider-states`, which the Pact verifier calls before it
replays an interaction:

    {"state": "the user has an image", "params": {...}, "action": "setup"}

The handler (in `contracts/provider_states/<service>.py`) puts the provider in that state through the service's
own use cases (register an account, accept an upload, record a result) and answers with the values the
interaction needs, such as ids and tokens. The verifier injects them into the request wherever the pact says
`fromProviderState` (for example the header `Authorization: Bearer ${user_token}`).

Services that verify tokens with the users service's JWKS check them, in this mode, with an in-memory test key
instead (`keys.py`); the users service keeps its own key.
"""

from __future__ import annotations

import importlib
import logging

from flask import Blueprint, Flask, Response, jsonify, request

from shared.api.problems import problem

STATES_PATH = "/_pact/provider-states"
log = logging.getLogger("twintag.contracts")


def register_provider_states(app: Flask, service) -> None:
    """Add the provider-state route to a service's app (contract test mode only)."""
    states = importlib.import_module(f"contracts.provider_states.{app.name}")
    context = states.Context(app, service)
    blueprint = Blueprint("pact_provider_states", __name__)

    @blueprint.post(STATES_PATH)
    def provider_state() -> Response:
        """Set up one provider state and return the values the interaction's request needs."""
        body = request.get_json(silent=True) or {}
        name, params = str(body.get("state") or ""), body.get("params") or {}
        if body.get("action", "setup") != "setup" or not name:
            return jsonify({})
        handler = states.STATES.get(name)
        if handler is None:
            known = ", ".join(sorted(states.STATES))
            return problem(400, "Unknown provider state", f"{app.name} has no provider state {name!r}; "
                           f"known: {known}. Add it to contracts/provider_states/{app.name}.py.")
        values = handler(context, params)
        log.info("provider state %r set up with %s", name, sorted(values))
        return jsonify(values)

    app.register_blueprint(blueprint)
    log.warning("contract test mode: %s serves %s and trusts the test key", app.name, STATES_PATH)
