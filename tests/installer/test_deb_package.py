"""Issue 19: the .deb, built by the one command, installed into a clean Debian system and checked there.

``packaging/build.py linux`` (the session's ``linux_packages``, conftest.py), then ``packaging/test_deb.py``
(each check prints PASS or FAIL; see that file).
Run: ``.venv/bin/python -m pytest -m installer tests/installer`` (root).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.installer
def test_the_deb_installs_runs_and_removes_cleanly_in_a_clean_debian(linux_packages: dict[str, Path]) -> None:
    assert ".deb" in linux_packages, linux_packages
    test = subprocess.run([sys.executable, str(REPO / "packaging" / "test_deb.py"), str(linux_packages[".deb"])],
                          cwd=REPO, capture_output=True, text=True, timeout=3600)
    print(test.stdout)
    assert test.returncode == 0, test.stdout[-6000:] + test.stderr[-3000:]
    assert "ALL PASSED" in test.stdout and "FAIL " not in test.stdout
