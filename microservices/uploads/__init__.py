"""The uploads service: validates and stores images, owns their metadata, and hands each to recognition."""

VERSION = "1.0.0"
