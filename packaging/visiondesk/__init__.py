"""VisionDesk: a private desktop assistant that chats with your images, fully offline."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("visiondesk")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+source"
