"""The decode loop: one pick and one ``llama_decode`` per token, text sent as it forms.

Kept free of anything but the per-token work: the sampler chain runs in llama.cpp (on the device
when attached there; plain greedy on the host is an argmax over llama.cpp's logits, see
``sampling.py``), token facts are looked up in a dict filled on first sight, text goes through
an incremental UTF-8 decoder, and the parent hears about it at most every ``TEXT_FLUSH_S`` (the
first token at once).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

import llama_cpp

from ...errors import EngineFailure
from ...events import StopReason
from ...text_stream import TextStream
from .protocol import ChildMessage, Text

# Text goes to the parent at most this often (the first token at once). Each message costs a pickle, a
# write and a wake-up of the parent, whose work then competes with the decode: a py-spy profile of the
# child decoding ~600 tok/s (2-core VM) had 14.8% of its samples in Connection.send at 8 ms, 6.2% at 25 ms.
# 40 updates a second still read as a smooth stream.
TEXT_FLUSH_S = 0.025


@dataclasses.dataclass(frozen=True)
class Generated:
    """How generation ended."""

    reason: StopReason
    n_out: int  # tokens generated (the ending token not counted)
    t_first: float | None  # perf_counter of the first token


def generate(m: Any, pick: Callable[[], int], max_tokens: int, pos: int, stream: TextStream, evaluated: list[int],
             flag: Any, send: Callable[[ChildMessage], None], token_info: dict[int, tuple[bool, bytes]],
             describe: Callable[[int], tuple[bool, bytes]], end_pos: int | None = None) -> Generated:
    """Generate from position ``pos``; tokens fed back into the model are appended to ``evaluated``.

    Stops at ``end_pos`` (default: the context size), the position at which the KV cache is full.
    """
    end = m.n_ctx if end_pos is None else end_pos
    one = m.one_batch
    n_out = 0
    reason = StopReason.LENGTH
    pending = ""
    t_first: float | None = None
    last_flush = 0.0

    def advance(tok: int) -> None:
        nonlocal pos
        one.token[0] = tok
        one.pos[0] = pos
        rc = llama_cpp.llama_decode(m.ctx, one)
        if rc != 0:
            raise EngineFailure(f"llama_decode failed with code {rc} while generating.")
        evaluated.append(tok)
        pos += 1

    while True:
        if flag.value:
            reason = StopReason.CANCELLED
            break
        if n_out >= max_tokens or pos >= end:
            reason = StopReason.LENGTH
            break
        tok = pick()
        info = token_info.get(tok)
        if info is None:
            info = token_info[tok] = describe(tok)
        if info[0]:
            reason = StopReason.END
            break
        n_out += 1
        go_on = n_out < max_tokens
        # After the first token (which goes out at once), queue the next step before the bookkeeping:
        # on a GPU ``llama_decode`` returns once the graph is launched, so the text handling below runs
        # while the device computes.
        queued = go_on and t_first is not None
        if queued:
            advance(tok)
        pending += stream.feed(info[1])
        now = time.perf_counter()
        if t_first is None:
            t_first = now
        if stream.stopped_by is not None:
            reason = StopReason.STOP_STRING
            break
        if pending and (now - last_flush >= TEXT_FLUSH_S or last_flush == 0.0):
            send(Text(pending))
            pending = ""
            last_flush = now
        if not go_on:
            reason = StopReason.LENGTH
            break
        if not queued:
            advance(tok)
    pending += stream.finish()
    if pending:
        send(Text(pending))
    return Generated(reason, n_out, t_first)
