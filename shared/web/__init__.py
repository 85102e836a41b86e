"""The web page and the edge that serves it like a CDN."""
