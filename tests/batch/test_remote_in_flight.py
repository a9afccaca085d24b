"""``visiondesk batch --server URL --parallel N``: N requests in flight at once against a remote server.

The server is the IMITATION of vLLM (tests/remote/imitation_server.py): it counts the requests it holds
at the same moment, which a real server does not report.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from visiondesk.cli import main

from tests.batch.conftest import make_images
from tests.remote.imitation_server import Counting, Imitation, ImitationServer, stream

MODEL = "Qwen/Qwen2.5-VL-7B-Instruct"


@pytest.mark.parametrize(("parallel", "expected"), [("3", 3), ("auto", 4)])
def test_n_requests_in_flight(tmp_path: Path, capsys: pytest.CaptureFixture[str], parallel: str,
                              expected: int) -> None:
    answer = Counting(stream(['{"total":', " 12.5}"]))
    make_images(tmp_path / "in", 9, broken=1)
    out = tmp_path / "results.jsonl"
    imitation = Imitation("vllm", {MODEL: {"root": MODEL, "max_model_len": 8192}}, default=answer)
    with ImitationServer(imitation) as server:
        code = main(["batch", "--server", server.url, "--model", MODEL, "--prompt", "The total?", "--json",
                     "--parallel", parallel, "--no-progress", str(tmp_path / "in"), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert answer.peak == expected
    assert f"{expected} images at once" in err and "done 8, failed 1" in err
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["status"] for r in rows) == ["error"] + ["ok"] * 8
    assert all(r["answer"] == {"total": 12.5} for r in rows if r["status"] == "ok")
    assert len(imitation.requests) == 8  # the broken image never left this computer
