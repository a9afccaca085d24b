"""The installer test runs only when asked for (``-m installer``): it builds the .deb and a Debian system.

Deselected, not skipped, otherwise: it needs root, minutes and the network to Debian's mirror, so CI runs it as
a separate step with its own time budget.
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "installer" in (config.getoption("markexpr") or ""):
        return
    deselected = [item for item in items if item.get_closest_marker("installer")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker("installer")]
