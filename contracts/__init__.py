"""Consumer-driven contracts between the TwinTag services (docs/contracts.md).

- `pacts/<consumer>-<provider>.json`: what each consumer relies on, recorded by its tests (tests/contracts/consumers/).
- `verifications/<provider>.json`: the latest verification of each provider against every pact naming it.
- `provider_states/`: how each provider puts itself in the state an interaction needs; registered only in
  contract test mode (TWINTAG_CONTRACT_TEST_MODE=1).
- `provider_server.py`: runs one provider's real app for the verifier.
"""
