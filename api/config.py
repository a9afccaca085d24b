"""What the API server allows: where it listens, who may call it, and how much one request may ask for."""

from __future__ import annotations

import dataclasses
import ipaddress
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


@dataclasses.dataclass(frozen=True)
class Limits:
    """Per-request limits; past each, the request gets a 413 or a 400 that names the limit."""

    max_body_bytes: int = 32 * 2**20  # base64 images make bodies large; 32 MiB holds a few photos
    max_messages: int = 256
    max_images: int = 8  # per request, over all messages
    max_image_pixels: int = 40_000_000  # checked from the image header, before anything is decoded
    max_stop_strings: int = 4  # as OpenAI
    max_queue: int = 8  # requests waiting for the engine behind the one it answers; past it, 429


@dataclasses.dataclass(frozen=True)
class ServerConfig:
    """How ``visiondesk serve`` (or the app) runs the API."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    api_key: str | None = None
    cors_origins: tuple[str, ...] = ()  # none: browsers on other origins are refused
    allow_file_dir: Path | None = None  # where image paths may point; None: paths are refused
    limits: Limits = Limits()

    def check(self) -> None:
        """Refuse settings that would expose the model unprotected; raises ``ValueError`` with the fix."""
        if not is_loopback(self.host) and not self.api_key:
            raise ValueError(f"Refusing to listen on {self.host} without an API key: anyone who can reach this "
                             "computer could use the model. Set a key in an environment variable and pass "
                             "--api-key-env VAR, or listen on 127.0.0.1.")
        if self.api_key is not None and len(self.api_key) < 8:
            raise ValueError("The API key is shorter than 8 characters; use a long random key.")
        limits = self.limits
        if min(limits.max_body_bytes, limits.max_messages, limits.max_image_pixels, limits.max_stop_strings) < 1 \
                or min(limits.max_images, limits.max_queue) < 0:
            raise ValueError(f"The limits must be positive (images and queue may be 0): {limits}.")
        if not 0 < self.port < 65536:
            raise ValueError(f"The port {self.port} is not between 1 and 65535.")
        if self.allow_file_dir is not None and not self.allow_file_dir.is_dir():
            raise ValueError(f"--allow-file-dir {self.allow_file_dir} is not a folder.")
        for origin in self.cors_origins:
            if origin == "*" or "://" not in origin:
                raise ValueError(f"--cors-origin {origin!r}: name one origin, such as http://localhost:3000 "
                                 "(no wildcards).")

    @property
    def base_url(self) -> str:
        """What OpenAI clients use as ``base_url``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/v1"


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this computer only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name that may resolve anywhere
