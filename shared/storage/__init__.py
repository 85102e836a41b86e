"""The object store: S3's role in the original design, with a local-filesystem implementation."""
