"""The monolith: the whole product as one Flask application. Only wiring lives here."""
