"""The domain model: plain Python objects and rules, importing only the standard library."""
