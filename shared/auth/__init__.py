"""Credentials: argon2id password hashes and Ed25519-signed access tokens with a published JWKS."""
