"""The results service: each recognition result as a JSON object in the store, plus an index by owner and tag."""

VERSION = "1.0.0"
