"""The engine's side of the benchmark: requests timed as a consumer sees them, and the figures built
from them (decode, prompt, image turns, streaming, the fresh-engine rounds, the sampling A/B).

Used by ``run_engine_bench.py`` (the table) and ``profile_engine.py``; see ``bench/README.md``.
"""

from __future__ import annotations

import dataclasses
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from peers import llama_bench
from visiondesk.engine import Finished, Message, ModelSpec, SamplingParams, TextDelta, Tuning
from visiondesk.engine.llama import LocalEngine

RAW_TEMPLATE = "{% for m in messages %}{{ m['content'] }}{% endfor %}"  # Gemma 3 270M base has none
GREEDY = SamplingParams(temperature=0.0, repeat_penalty=1.0)
DEFAULT_CHAIN = SamplingParams(seed=1234)  # the app's default sampling chain, with a fixed seed
Q1 = "Describe this image in detail."
Q2 = "What colour is the largest object in it?"


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run_note(t_start: float) -> str:
    """The end of a results header: the run's wall time since ``t_start`` and the machine's load now."""
    return f"run time {time.perf_counter() - t_start:.0f} s; load average {os.getloadavg()[0]:.1f}."


def publish(md: str, path: Path | None) -> None:
    """Print a results table, and write it to ``path`` when one was asked for."""
    print(md)
    if path:
        path.write_text(md)


def med(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


# ------------------------------------------------------------------------------------------------ inputs


def make_images(folder: Path, n: int) -> list[Path]:
    """Distinct 640x480 JPEGs (distinct so no cache of a previous repetition can answer)."""
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        rng = np.random.default_rng(1000 + i)
        y, x = np.mgrid[0:480, 0:640]
        base = np.stack([(x * (i + 1)) % 256, (y * 3 + i * 40) % 256, ((x + y) // 3) % 256], -1)
        img = (base + rng.integers(0, 40, base.shape)).clip(0, 255).astype("uint8")
        p = folder / f"bench-{i}.jpg"
        Image.fromarray(img).save(p, quality=90)
        out.append(p)
    return out


PROMPT_TOKENS = 512  # evaluated tokens of the prompt-reading figure (llama-bench pp512)


def digit_prompt(n_digits: int, seed: int) -> str:
    """``n_digits`` random digits: one token each, both for the generated models' letter-by-letter tokenizer
    and for Gemma's (it splits numbers into digits), so the prompt's token count can be set exactly. The
    first digit is ``seed % 10``: consecutive seeds never share a first token, so no cached prefix of the
    previous request cuts the count."""
    rng = random.Random(seed)
    return str(seed % 10) + "".join(str(rng.randrange(10)) for _ in range(n_digits - 1))


def word_prompt(n_words: int, seed: int, vocab_words: bool) -> str:
    """A prompt of about ``n_words`` tokens; distinct per seed so no prefix cache can answer it."""
    rng = random.Random(seed)
    if vocab_words:  # words of the generated vocabulary ("▁w0".."▁w31699"); its tokenizer spells them out
        return "".join(f" w{rng.randrange(31_000)}" for _ in range(n_words))
    words = ["apple", "river", "mountain", "blue", "quiet", "engine", "window", "garden", "paper", "light",
             "stone", "music", "north", "table", "silver", "cloud", "horse", "winter", "ocean", "glass"]
    return "".join(" " + rng.choice(words) for _ in range(n_words))


# ------------------------------------------------------------------------------------------------ engine


def engine_request(eng: LocalEngine, messages: list[Message], max_tokens: int, stream: bool = True,
                   sampling: SamplingParams | None = None) -> dict[str, Any]:
    """One request, greedy without a repetition penalty unless ``sampling`` says otherwise (llama-bench
    samples nothing; the cheapest sampler is the fair counterpart). ``stream``: timestamp and collect
    every TextDelta as it arrives; otherwise the events are drained untouched and only Finished is
    looked at (the "not streamed" consumer)."""
    params = dataclasses.replace(sampling or GREEDY, max_tokens=max_tokens)
    first = 0.0
    text: list[str] = []
    fin: Finished | None = None
    t0 = time.perf_counter()
    if stream:
        for ev in eng.chat(messages, params):
            if isinstance(ev, TextDelta):
                if not first:
                    first = time.perf_counter()
                text.append(ev.text)
            elif isinstance(ev, Finished):
                fin = ev
    else:
        for ev in eng.chat(messages, params):
            if isinstance(ev, Finished):
                fin = ev
    end = time.perf_counter()
    assert fin is not None, "no Finished event"
    if fin.error is not None:
        raise RuntimeError(f"engine error: {fin.error!r}")
    u, tm = fin.usage, fin.timings
    r: dict[str, Any] = {
        "total_ms": (end - t0) * 1e3, "text": "".join(text), "stop": str(fin.stop_reason),
        "completion_tokens": u.completion_tokens, "prompt_tokens": u.prompt_tokens,
        "prompt_tokens_evaluated": u.prompt_tokens_evaluated, "images_encoded": u.images_encoded,
        "images_reused": u.images_reused, "eng_ttft_ms": tm.ttft_ms, "eng_encode_ms": tm.encode_ms,
        "eng_prompt_ms": tm.prompt_ms, "eng_decode_ms": tm.decode_ms, "eng_prompt_tok_s": tm.prompt_tok_s,
        "eng_decode_tok_s": tm.decode_tok_s, "backend": fin.backend, "gpu_layers": fin.gpu_layers,
    }
    if first:
        r["ttft_ms"] = (first - t0) * 1e3
        r["decode_tok_s"] = (u.completion_tokens - 1) / max(end - first, 1e-9)
    return r


def engine_load(model: Path, mmproj: Path | None, threads: int, ngl: int | str, n_ctx: int = 4096,
                chat_template: str | None = None, tuning: Tuning = Tuning()) -> tuple[LocalEngine, Any]:
    eng = LocalEngine()
    t = time.perf_counter()
    res = eng.load(ModelSpec(model=model, mmproj=mmproj, n_ctx=n_ctx, threads=threads, gpu_layers=ngl,
                             chat_template=chat_template, tuning=tuning))
    log(f"engine loaded {model.name} in {time.perf_counter() - t:.1f} s: backend={res.backend} "
        f"gpu_layers={res.gpu_layers}/{res.n_layers} {res.fallback_reason}; warm-up batch {res.warmup_tokens}")
    return eng, res


def engine_close(eng: LocalEngine) -> None:
    for name in ("close", "shutdown", "unload"):
        fn = getattr(eng, name, None)
        if callable(fn):
            fn()
            return


def text_figures(eng: LocalEngine, reps: int, tag: str) -> dict[str, Any]:
    """decode over 128 tokens; prompt reading over 512 evaluated tokens (calibrated, see below)."""
    out: dict[str, Any] = {}
    engine_request(eng, [Message.user("Hello there.")], 8)  # warm-up
    dec = [engine_request(eng, [Message.user(story(50 + i))], 128) for i in range(reps)]
    out["decode"] = dec
    out["decode_default_chain"] = [engine_request(eng, [Message.user(story(i))], 128, sampling=DEFAULT_CHAIN)
                                   for i in range(reps)]
    # Prompt: exactly 512 evaluated tokens, one micro-batch, as llama-bench's pp512. The count matters on a
    # GPU: on the H100 batches of 498-510 tokens read at 33.4k-34.6k tok/s and batches of 512 at 38.0k-38.6k
    # (bench/RESULTS.md), so "about 500" tokens measured a slower batch shape than pp512's. Digits are one
    # token each; the template's share is found with probes.
    n_words, target = 480, PROMPT_TOKENS
    for seed in (97, 98, 99):
        got = engine_request(eng, [Message.user(digit_prompt(n_words, seed))], 1)["prompt_tokens_evaluated"]
        if got == target:
            break
        n_words = max(16, n_words + target - got)
    pro = [engine_request(eng, [Message.user(digit_prompt(n_words, 100 + i))], 1) for i in range(reps)]
    out["prompt"] = pro
    out["prompt_words"] = n_words  # digits (the key's name predates digit prompts; old raw files use it)
    log(f"{tag}: engine decode {[round(r['eng_decode_tok_s'], 1) for r in dec]} tok/s (engine) "
        f"{[round(r.get('decode_tok_s', 0), 1) for r in dec]} (consumer); prompt "
        f"{[round(r['eng_prompt_tok_s'], 1) for r in pro]} tok/s over "
        f"{[r['prompt_tokens_evaluated'] for r in pro]} tokens")
    return out


def story(i: int) -> str:
    """The decode figure's question (its answer runs to the token limit on the random-weight models)."""
    return f"Tell me a long story number {i}. Count from 1 to 300: 1, 2, 3,"


def _median_request(requests: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """The request with the median ``key`` (the upper one of an even count)."""
    return sorted(requests, key=lambda r: r.get(key, 0.0))[len(requests) // 2]


def fresh_engine_rounds(bench_bin: Path, model: Path, mmproj: Path | None, threads: int, ngl: int | str,
                        rounds: int, depth: int, prompt_words: int,
                        chat_template: str | None = None, tag: str = "vlm", per_round: int = 1,
                        prompt_pairs: int = 1) -> dict[str, Any]:
    """The judged decode and prompt figures: ``rounds`` rounds, each of one freshly started engine
    (warm-up, one 128-token answer, one 512-token prompt per prompt pair, closed) and three ``llama-bench -r 1`` runs —
    tg128 at the engine's context depth (``-d depth``: its chat prompt is in the cache when it decodes),
    tg128 from an empty context, pp512.

    Each engine figure and the ``llama-bench`` figure it is judged against run back to back: the engine's
    answer next to tg128 ``-d depth`` and its prompt next to pp512, ``llama-bench`` running while the
    engine process waits idle. Which of the two goes first alternates from round to round (for the
    prompt pair on a different cycle than for the decode pair); tg128 from an empty context (information)
    runs before the engine starts or after it closes, alternately. On the shared CPU VM the machine's
    speed switches state every 10-30 s, so a pair taken seconds apart sees the same state more often
    than one taken half a minute apart (as in the rounds before ``da7c9fb``, whose four steps rotated).

    A fresh process per round on both sides: ``llama-bench`` is a new process every run, and so is the
    engine here. On the shared VM one process's speed is one draw (four identical engine processes,
    interleaved, differed by 4% in their 5th-percentile token time), so a single long-lived engine
    against many ``llama-bench`` processes compares one draw with an average. ``per_round`` (on a GPU,
    where one run takes milliseconds): ``llama-bench -r per_round``, and as many engine requests of each
    kind, the round's figure being their median. ``prompt_pairs`` (on the CPU, where a 512-token prompt
    costs seconds against the decode's tens of seconds): that many prompt/pp512 pairs per round, in
    opposite orders, each pair judged on its own."""
    out: dict[str, Any] = {"depth": depth, "per_round": per_round, "prompt_pairs": prompt_pairs, "tg128_depth": [],
                           "tg128": [], "pp512": [], "decode": [], "prompt": [], "prompt_each": [], "pairs": "adjacent"}

    def bench(name: str, **kwargs: int) -> None:
        row = "pp512" if kwargs.get("n_gen") == 0 else "tg128"
        out[name].append(llama_bench(bench_bin, model, threads, int(ngl), per_round, **kwargs)[row])

    def decode(eng: LocalEngine, i: int) -> None:
        dec = [engine_request(eng, [Message.user(story(50 + i))], 128) for _ in range(per_round)]
        out["decode"].append(_median_request(dec, "decode_tok_s"))

    assert per_round * prompt_pairs <= 10, "a round's prompts need distinct first digits (see digit_prompt)"

    def prompt(eng: LocalEngine, i: int, q: int) -> None:
        pro = [engine_request(eng, [Message.user(digit_prompt(prompt_words, 200 + 10 * i + per_round * q + j))], 1)
               for j in range(per_round)]
        out["prompt"].append(_median_request(pro, "eng_prompt_tok_s"))
        out["prompt_each"].append([(round(r["eng_prompt_tok_s"], 1), r["prompt_tokens_evaluated"]) for r in pro])

    for i in range(rounds):
        if i % 2 == 1:
            bench("tg128", n_prompt=0)
        eng, _ = engine_load(model, mmproj, threads, ngl, chat_template=chat_template)
        try:
            engine_request(eng, [Message.user("Hello there.")], 8)  # warm-up, as llama-bench's
            if i % 2 == 0:
                decode(eng, i)
                bench("tg128_depth", n_prompt=0, n_depth=depth)
            else:
                bench("tg128_depth", n_prompt=0, n_depth=depth)
                decode(eng, i)
            for q in range(prompt_pairs):
                if (i % 4 in (0, 3)) == (q % 2 == 0):
                    prompt(eng, i, q)
                    bench("pp512", n_gen=0)
                else:
                    bench("pp512", n_gen=0)
                    prompt(eng, i, q)
        finally:
            engine_close(eng)
        if i % 2 == 0:
            bench("tg128", n_prompt=0)
    log(f"{tag} rounds: engine decode {[round(r.get('decode_tok_s', 0), 1) for r in out['decode']]} "
        f"(after {[r.get('prompt_tokens') for r in out['decode']]} prompt tokens), tg128 -d {depth} "
        f"{[round(x, 1) for x in out['tg128_depth']]}, tg128 {[round(x, 1) for x in out['tg128']]}; engine prompt "
        f"{[round(r.get('eng_prompt_tok_s', 0), 1) for r in out['prompt']]} over "
        f"{[r.get('prompt_tokens_evaluated') for r in out['prompt']]} tokens, pp512 "
        f"{[round(x, 1) for x in out['pp512']]}; each prompt request (tok/s, tokens): {out['prompt_each']}")
    return out


def sampling_ab(model: Path, threads: int, ngl: int, reps: int) -> dict[str, Any]:
    """Decode and prompt reading with the sampler chain on the device (1) and on the host (0)."""
    out: dict[str, Any] = {}
    for mode in ("0", "1", "0", "1"):  # interleaved, twice
        eng, _ = engine_load(model, None, threads, ngl, tuning=Tuning(device_sampling=mode == "1"))
        try:
            f = text_figures(eng, reps, f"backend sampling {mode}")
        finally:
            engine_close(eng)
        got = out.setdefault(mode, {"decode": [], "prompt": []})
        got["decode"] += f["decode"]
        got["prompt"] += f["prompt"]
    return out


def image_figures(eng: LocalEngine, images: list[Path], answer_tokens: int,
                  cli: Callable[[Path], dict[str, Any] | None] | None = None) -> dict[str, Any]:
    """Warm-up image turn, then per image: turn 1 (image + question) and a follow-up.

    With ``cli`` (``llama-mtmd-cli`` answering the same question about the same image in a fresh
    process; None where a run failed), each turn 1 runs back to back with it, the engine first in
    alternate pairs, so that a pair's ratio sees one state of the machine; the follow-up comes after
    the pair.
    """
    cold = engine_request(eng, [Message.user(Q1, images[0])], answer_tokens)
    reps: list[tuple[dict[str, Any], dict[str, Any]]] = []
    clis: list[dict[str, Any] | None] = []
    for i, img in enumerate(images[1:]):
        m1 = [Message.user(Q1, img)]
        if cli and i % 2 == 0:
            clis.append(cli(img))
        r1 = engine_request(eng, m1, answer_tokens)
        if cli and i % 2 == 1:
            clis.append(cli(img))
        m2 = [*m1, Message.assistant(r1["text"]), Message.user(Q2)]
        r2 = engine_request(eng, m2, answer_tokens)
        reps.append((r1, r2))
        log(f"image: ttft1 {r1['ttft_ms']:.0f} ms (encode {r1['eng_encode_ms']:.0f}, evaluated "
            f"{r1['prompt_tokens_evaluated']}) ttft2 {r2['ttft_ms']:.0f} ms (evaluated "
            f"{r2['prompt_tokens_evaluated']}, images reused {r2['images_reused']})"
            + (f"; llama-mtmd-cli {clis[-1]['ttft_ms']:.0f} ms" if clis and clis[-1] else ""))
    return {"cold_first_image": cold, "turns": reps, "cli": clis}


def stream_figures(eng: LocalEngine, n_tokens: int, reps: int, tag: str) -> dict[str, Any]:
    """Same request streamed (iterate TextDelta) and not streamed (only Finished): ``reps`` pairs, the
    order within a pair alternating (streamed first, then not streamed first), each pair judged on its own."""
    msg = [Message.user("Write a very long essay about the sea.")]
    engine_request(eng, msg, 16)  # warm-up
    s, ns = [], []
    for i in range(reps):
        for streamed in ((True, False) if i % 2 == 0 else (False, True)):
            (s if streamed else ns).append(engine_request(eng, msg, n_tokens, stream=streamed))
    log(f"{tag}: streamed {[round(r['decode_tok_s'], 1) for r in s]} tok/s; not streamed: engine "
        f"{[round(r['eng_decode_tok_s'], 1) for r in ns]}, wall {[round(nonstream_wall(r, s), 1) for r in ns]}; "
        f"tokens {[r['completion_tokens'] for r in s]}; text {s[0]['text'][:24]!r}")
    return {"streamed": s, "not_streamed": ns}


def nonstream_wall(r: dict[str, Any], streamed: list[dict[str, Any]]) -> float:
    """Not-streamed tok/s seen by the consumer: tokens / (request total − time to first token), the time
    to first token taken from the streamed runs of the same request (a non-streamed consumer sees none)."""
    ttft = med([x["ttft_ms"] for x in streamed])
    return (r["completion_tokens"] - 1) / max((r["total_ms"] - ttft) / 1e3, 1e-9)
