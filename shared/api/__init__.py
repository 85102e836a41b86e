"""The public HTTP API, written once: the monolith serves it in-process, the gateway over HTTP adapters."""
