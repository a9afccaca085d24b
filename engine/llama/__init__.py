"""The local backend: GGUF models through llama.cpp, which runs in a child process this package owns."""

from .child_process import Deadlines
from .engine import LocalEngine
from .load_result import LoadResult

__all__ = ["Deadlines", "LoadResult", "LocalEngine"]
