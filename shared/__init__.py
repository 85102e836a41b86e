"""TwinTag's shared core: every business rule, written once, used by both variants."""
