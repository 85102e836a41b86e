"""Image intake: decide from the bytes what an upload is, and store only a clean re-encoding of it."""
