"""The installer test runs only when asked for (``-m installer``): it builds the .deb and a Debian system.

Deselected, not skipped, otherwise: it needs root, minutes and the network to Debian's mirror, so CI runs it as
a separate step with its own time budget.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "installer" in (config.getoption("markexpr") or ""):
        return
    deselected = [item for item in items if item.get_closest_marker("installer")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker("installer")]


@pytest.fixture(scope="session")
def linux_packages() -> dict[str, Path]:
    """``packaging/build.py linux`` run once for the session: its outputs by suffix (.deb, .gz, .AppImage)."""
    build = subprocess.run([sys.executable, str(REPO / "packaging" / "build.py"), "linux"], cwd=REPO,
                           capture_output=True, text=True, timeout=7200)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    made = [Path(line.split()[0]) for line in build.stdout.splitlines() if line.endswith(" MB")]
    return {path.suffix: path for path in made}
