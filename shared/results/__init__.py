"""The results context: each recognition result as a JSON object, plus an index by owner and tag."""
