"""The recognition service's provider states: it only needs to know who may hand it jobs."""

from __future__ import annotations

from contracts.provider_states.keys import TestKeys
from shared.service.auth import AUTH_EXTENSION


class Context:
    """Tokens come from the test key; jobs arrive through the API under test itself."""

    def __init__(self, app, service):
        self.service, self.keys = service, TestKeys(service.settings)
        app.extensions[AUTH_EXTENSION] = self.keys.caller_checks("recognition")


def uploads_may_submit_jobs(context: Context, params: dict) -> dict:
    return {"service_token": context.keys.service_token("uploads", "recognition")}


STATES = {
    "uploads may submit jobs": uploads_may_submit_jobs,
}
