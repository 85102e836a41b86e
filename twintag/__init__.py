"""The `twintag` command: start either variant locally, recognize images, check contracts."""
