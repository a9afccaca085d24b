"""The peers: llama.cpp's own tools, and llama-cpp-python's ``create_chat_completion`` + ``MTMDChatHandler``.

* ``llama_bench``: ``llama-bench -p 512 -n 128`` (pp512 / tg128) on the same GGUF, threads and offload.
* ``mtmd_cli_ttft``: ``llama-mtmd-cli`` answering one image question in a fresh process. Its time to
  first token is taken from the timings it prints itself: the image's encode time(s)
  ("image slice encoded in N ms") plus llama.cpp's "prompt eval time" (every prompt batch — the
  image's 576 embeddings and the text around it — from the first ``llama_decode`` to its sync). It
  leaves out reading/resizing the image file and sampling the first token, so it slightly favours
  the CLI. Model loading and warm-up are excluded, as they are for the engine.
* ``LlamaCppPythonPeer``: what a Python user would otherwise write. Text through the GGUF's chat
  template, images through ``llama_cpp.llama_chat_format.MTMDChatHandler`` (0.3.36's generic libmtmd
  handler; ``Llava15ChatHandler`` is the older, LLaVA-1.5-only one). Default settings besides
  threads, offload and context (so flash attention is off, llama-cpp-python's default).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# ---------------------------------------------------------------------------------------------- llama-bench


def llama_bench(bench_bin: Path, model: Path, threads: int, ngl: int, reps: int) -> dict[str, float]:
    """pp512 and tg128 tok/s (mean over ``reps``) from llama-bench's JSON output."""
    cmd = [str(bench_bin), "-m", str(model), "-t", str(threads), "-ngl", str(ngl), "-p", "512", "-n", "128",
           "-r", str(reps), "-o", "json"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    res: dict[str, float] = {}
    for row in json.loads(out):
        if row.get("n_prompt") == 512 and row.get("n_gen") == 0:
            res["pp512"] = float(row["avg_ts"])
            res["pp512_sd"] = float(row["stddev_ts"])
        elif row.get("n_gen") == 128 and row.get("n_prompt") == 0:
            res["tg128"] = float(row["avg_ts"])
            res["tg128_sd"] = float(row["stddev_ts"])
        res["flash_attn"] = row.get("flash_attn", "")
    return res


# ------------------------------------------------------------------------------------------- llama-mtmd-cli

_ENC = re.compile(r"slice encoded in (\d+) ms")
_IMG_DEC = re.compile(r"decoded \(batch \d+/\d+\) in (\d+) ms")
_PROMPT = re.compile(r"prompt eval time\s*=\s*([\d.]+) ms /\s*(\d+) tokens")


def mtmd_cli_ttft(cli: Path, model: Path, mmproj: Path, image: Path, prompt: str, threads: int, ngl: int,
                  n_ctx: int = 4096) -> dict[str, float]:
    """One image question in a fresh llama-mtmd-cli process; its own printed timings (see module doc)."""
    cmd = [str(cli), "-m", str(model), "--mmproj", str(mmproj), "--image", str(image), "-p", prompt,
           "-n", "8", "--temp", "0", "-t", str(threads), "-ngl", str(ngl), "-c", str(n_ctx)]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    wall = time.perf_counter() - t0
    log = p.stderr + p.stdout
    if p.returncode != 0:
        raise RuntimeError(f"llama-mtmd-cli failed ({p.returncode}):\n{log[-3000:]}")
    enc = sum(float(x) for x in _ENC.findall(log))
    img_dec = sum(float(x) for x in _IMG_DEC.findall(log))
    m = _PROMPT.search(log)
    if not m or not enc:
        raise RuntimeError(f"could not parse llama-mtmd-cli timings:\n{log[-3000:]}")
    prompt_ms = float(m.group(1))
    return {"ttft_ms": enc + prompt_ms, "encode_ms": enc, "image_decode_ms": img_dec, "prompt_ms": prompt_ms,
            "prompt_tokens": float(m.group(2)), "process_wall_s": wall}


# ------------------------------------------------------------------------------------ llama-cpp-python peer


def _data_uri(image: Path) -> str:
    mime = "image/png" if image.suffix.lower() == ".png" else "image/jpeg"
    return f"data:{mime};base64," + base64.b64encode(image.read_bytes()).decode()


def _user(text: str, image: Path | None = None) -> dict[str, Any]:
    if image is None:
        return {"role": "user", "content": text}
    return {"role": "user", "content": [{"type": "image_url", "image_url": {"url": _data_uri(image)}},
                                        {"type": "text", "text": text}]}


@contextlib.contextmanager
def _quiet_fd2() -> Iterator[None]:
    """libmtmd and llama.cpp log to fd 2 even with verbose=False: silence it around a call."""
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class LlamaCppPythonPeer:
    """llama-cpp-python ``Llama.create_chat_completion`` (with ``MTMDChatHandler`` if ``mmproj``)."""

    def __init__(self, model: Path, mmproj: Path | None, threads: int, ngl: int, n_ctx: int = 4096) -> None:
        import llama_cpp
        from llama_cpp.llama_chat_format import MTMDChatHandler

        self._lc = llama_cpp
        with _quiet_fd2():
            handler = MTMDChatHandler(clip_model_path=str(mmproj), verbose=False) if mmproj else None
            self.llm = llama_cpp.Llama(model_path=str(model), chat_handler=handler, n_ctx=n_ctx, n_batch=512,
                                       n_threads=threads, n_threads_batch=threads, n_gpu_layers=ngl,
                                       verbose=False)

    def close(self) -> None:
        with _quiet_fd2():
            self.llm.close()

    def _perf(self) -> Any:
        return self._lc.llama_perf_context(self.llm.ctx)

    def chat(self, messages: list[dict[str, Any]], max_tokens: int, stream: bool,
             deadline_s: float | None = None) -> dict[str, float | str]:
        """One request, greedy. Times seen by the consumer plus llama.cpp's own counters for it.

        ``deadline_s`` stops a streamed answer early (its rate is then over the tokens received): the
        peer's streaming slows down quadratically with byte-fallback text.
        """
        self._lc.llama_perf_context_reset(self.llm.ctx)
        t0 = time.perf_counter()
        first = last = 0.0
        text: list[str] = []
        with _quiet_fd2():
            if stream:
                for chunk in self.llm.create_chat_completion(messages=messages, temperature=0.0,
                                                             max_tokens=max_tokens, stream=True):
                    piece = chunk["choices"][0]["delta"].get("content")
                    if piece:
                        last = time.perf_counter()
                        first = first or last
                        text.append(piece)
                        if deadline_s and last - t0 > deadline_s:
                            break
            else:
                out = self.llm.create_chat_completion(messages=messages, temperature=0.0,
                                                      max_tokens=max_tokens, stream=False)
                text.append(out["choices"][0]["message"]["content"] or "")
        end = time.perf_counter()
        perf = self._perf()
        n = int(perf.n_eval) + 1  # n_eval counts decodes of generated tokens; the last one is not decoded
        res: dict[str, float | str] = {
            "total_ms": (end - t0) * 1e3, "tokens": float(n), "text": "".join(text),
            "prompt_tokens": float(perf.n_p_eval), "prompt_ms": float(perf.t_p_eval_ms),
            "prompt_tok_s": perf.n_p_eval / max(perf.t_p_eval_ms, 1e-9) * 1e3,
            "decode_tok_s_native": perf.n_eval / max(perf.t_eval_ms, 1e-9) * 1e3,
        }
        res["cut_at_deadline"] = float(bool(stream and deadline_s and end - t0 > deadline_s))
        if stream and first:
            res["ttft_ms"] = (first - t0) * 1e3
            res["decode_tok_s"] = (n - 1) / max(end - first, 1e-9)
        return res

    def image_turns(self, image: Path, q1: str, q2: str, max_tokens: int) -> tuple[dict[str, Any], dict[str, Any]]:
        """First turn (image + question) and a follow-up on it; streamed, as a chat UI would."""
        m1 = [_user(q1, image)]
        r1 = self.chat(m1, max_tokens, stream=True)
        m2 = [*m1, {"role": "assistant", "content": r1["text"]}, _user(q2)]
        r2 = self.chat(m2, max_tokens, stream=True)
        return r1, r2

    @staticmethod
    def user(text: str, image: Path | None = None) -> dict[str, Any]:
        return _user(text, image)
