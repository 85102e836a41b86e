"""HTTP adapters: each implements, over a service's API, a port that the monolith fills in-process."""
