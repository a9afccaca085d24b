"""The command line's tests use the model manager's fixtures: generated GGUFs, the local fake Hub."""

from tests.models.conftest import big_files, fake_hub, gguf_files, isolated_dirs  # noqa: F401
