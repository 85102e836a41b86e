"""The gateway: the single public origin. Routes the public API to the services and serves the web page."""

VERSION = "1.0.0"
