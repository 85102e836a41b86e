"""Calls between services: one pooled client per process, timeouts, safe retries, circuit breakers."""
