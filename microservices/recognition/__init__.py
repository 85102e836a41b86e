"""The recognition service: the Lambda-like step. Accepts jobs, runs the recognizer, delivers results."""

VERSION = "1.0.0"
