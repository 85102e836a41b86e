"""The users service: accounts, argon2id hashes, tokens for users and services, and the JWKS."""

VERSION = "1.0.0"
