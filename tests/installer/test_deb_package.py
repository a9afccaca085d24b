"""Issue 19: the .deb, built by the one command, installed into a clean Debian system and checked there.

``packaging/build.py linux`` then ``packaging/test_deb.py`` (each check prints PASS or FAIL; see that file).
Run: ``.venv/bin/python -m pytest -m installer tests/installer`` (root).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.installer
def test_the_deb_installs_runs_and_removes_cleanly_in_a_clean_debian() -> None:
    build = subprocess.run([sys.executable, str(REPO / "packaging" / "build.py"), "linux"], cwd=REPO,
                           capture_output=True, text=True, timeout=7200)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    debs = [line.split()[0] for line in build.stdout.splitlines() if line.endswith("MB") and ".deb" in line]
    assert debs, build.stdout[-2000:]
    test = subprocess.run([sys.executable, str(REPO / "packaging" / "test_deb.py"), debs[0]], cwd=REPO,
                          capture_output=True, text=True, timeout=3600)
    print(test.stdout)
    assert test.returncode == 0, test.stdout[-6000:] + test.stderr[-3000:]
    assert "ALL PASSED" in test.stdout and "FAIL " not in test.stdout
