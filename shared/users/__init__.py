"""The users context: accounts, password checks, login throttling and token issuing."""
