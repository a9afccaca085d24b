"""The model manager: catalog, downloads, verification, pairing and the local registry (no Qt)."""
