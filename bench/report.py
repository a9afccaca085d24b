"""Turns ``run_engine_bench``'s raw figures into a Markdown section of ``bench/RESULTS.md``.

Each run owns the section between ``<!-- bench:LABEL -->`` and ``<!-- /bench:LABEL -->``; a new run of
the same label replaces it, other sections stay. ``python bench/report.py RAW.json [--out FILE]``
re-renders a section from a saved raw file (e.g. the one a GPU run brought back).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
from pathlib import Path
from typing import Any

NA = "—"


def _med(xs: list[float]) -> float:
    xs = [x for x in xs if x is not None and not math.isnan(x)]
    return statistics.median(xs) if xs else math.nan


def _f(x: float, d: int = 1) -> str:
    return NA if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:,.{d}f}"


def _la(x: Any) -> str:
    return ", ".join(f"{v:.1f}" for v in x) if x else "?"


def _ratio_row(ratio: float, target: float, le: bool) -> tuple[str, str]:
    if ratio is None or math.isnan(ratio):
        return NA, "not measured"
    ok = ratio <= target if le else ratio >= target
    return f"{ratio:.3f}", "**met**" if ok else "**NOT met**"


def _get(d: dict[str, Any] | None, *keys: str) -> Any:
    for k in keys:
        if not isinstance(d, dict):
            return None
        d = d.get(k)
    return d


def _bench_pair(before: dict[str, Any], after: dict[str, Any], key: str) -> tuple[float, str]:
    """The mean of llama-bench's runs before and after the engine, and how to show it."""
    vals = [d[key] for d in (before, after) if d and key in d]
    if not vals:
        return math.nan, NA
    mean = sum(vals) / len(vals)
    sds = "/".join(_f(d.get(f"{key}_sd", math.nan)) for d in (before, after) if d and key in d)
    runs = " and ".join(_f(v) for v in vals)
    shown = f"{key} {_f(mean)}" + (f" (mean of {runs}: before and after the engine; ± {sds})" if len(vals) > 1
                                    else f" ± {sds}")
    return mean, shown


def _rounds(xs: list[float]) -> str:
    return ", ".join(_f(x) for x in xs)


def _paired(engine: list[float], tool: list[float]) -> tuple[float, float]:
    """Median of the per-round ratios (the judged figure), and the ratio of the medians."""
    pairs = [e / t for e, t in zip(engine, tool, strict=False) if e and t and not (math.isnan(e) or math.isnan(t))]
    both = _med(engine) / _med(tool) if tool and _med(tool) else math.nan
    return (_med(pairs) if pairs else math.nan), both


def _round_rows(rd: dict[str, Any], name: str, peer_dec: str, peer_pr: str, block_dec: str,
                block_pr: str) -> list[str]:
    """Decode and prompt rows judged on the fresh-engine rounds (see fresh_engine_rounds)."""
    rows = []
    n = len(rd.get("decode", []))
    depth = rd.get("depth")
    k = rd.get("per_round", 1)
    dec = [x.get("decode_tok_s") for x in rd.get("decode", [])]
    tgd, tg0, pp = rd.get("tg128_depth", []), rd.get("tg128", []), rd.get("pp512", [])
    paired, both = _paired(dec, tgd)
    ratio, st = _ratio_row(paired, 0.97, False)
    rows.append(f"| {name}decode tok/s, 128 tokens after the {depth}-token chat prompt (greedy, no repetition "
                f"penalty); {n} rounds, each a fresh engine process ({k} request{'s' if k > 1 else ''} of each kind, "
                f"median) and `llama-bench -r {k}` per figure | "
                f"{_f(_med(dec))} (rounds: {_rounds(dec)}) | tg128 at depth {depth} (`-d {depth}`) {_f(_med(tgd))} "
                f"(rounds: {_rounds(tgd)}) | {peer_dec} | ≥ 0.97× tg128 | {ratio} (median of the per-round "
                f"ratios; ratio of the medians {_f(both, 3)}) | {st} |")
    p0, b0 = _paired(dec, tg0)
    rows.append(f"| {name}decode, same rounds, against tg128 from an empty context | | tg128 {_f(_med(tg0))} "
                f"(rounds: {_rounds(tg0)}) | | (information: llama-bench decodes with nothing in the cache) | "
                f"{_f(p0, 3)} (ratio of the medians {_f(b0, 3)}) | |")
    if block_dec:
        rows.append(block_dec)
    pr = [x.get("eng_prompt_tok_s") for x in rd.get("prompt", [])]
    n_ev = _med([x.get("prompt_tokens_evaluated") for x in rd.get("prompt", [])])
    paired, both = _paired(pr, pp)
    ratio, st = _ratio_row(paired, 0.95, False)
    q = rd.get("prompt_pairs", 1)
    each, unit = (f", {q} pairs in each (opposite orders)", "pairs") if q > 1 else ("", "rounds")
    rows.append(f"| {name}prompt tok/s, {_f(n_ev, 0)} tokens, same rounds{each} | {_f(_med(pr))} ({unit}: "
                f"{_rounds(pr)}) | pp512 {_f(_med(pp))} ({unit}: {_rounds(pp)}) | {peer_pr} | ≥ 0.95× pp512 | "
                f"{ratio} (median of the per-{unit[:-1]} ratios; ratio of the medians {_f(both, 3)}) | {st} |")
    if block_pr:
        rows.append(block_pr)
    return rows


def _default_chain_row(et: dict[str, Any], tg: float, tg_shown: str) -> list[str]:
    """Decode with the app's default sampling chain (no target), if it was measured."""
    dch = _med([x.get("decode_tok_s") for x in et.get("decode_default_chain", [])])
    if math.isnan(dch):
        return []
    return [f"| decode tok/s, 128 tokens, the app's default sampling chain (repeat penalty 1.1, top-k 40, "
            f"top-p 0.95, min-p 0.05, temperature 0.7) | {_f(dch)} | {tg_shown} | {NA} | (no target: "
            f"llama-bench samples nothing) | {_f(dch / tg if tg else math.nan, 3)} | |"]


def _ab_rows(ab: dict[str, Any]) -> list[str]:
    rows = []
    for mode, name in (("0", "on the host"), ("1", "on the device")):
        f = ab.get(mode) or {}
        dec = _med([x.get("decode_tok_s") for x in f.get("decode", [])])
        pro = _med([x.get("eng_prompt_tok_s") for x in f.get("prompt", [])])
        rows.append(f"| sampler chain {name} (`Tuning(device_sampling={mode == '1'})`) | {_f(dec)} | {_f(pro)} | "
                    f"{len(f.get('decode', []))} |")
    return rows


def _legacy_text_rows(r: dict[str, Any], et: dict[str, Any], pe: dict[str, Any], lb: dict[str, Any],
                      lba: dict[str, Any], dec: list[dict[str, Any]], d_cons: float, d_eng: float, tg: float,
                      tg_shown: str, p_dec: float, p_dec_n: float) -> list[str]:
    """Decode and prompt rows of raw files from before the fresh-engine rounds (re-rendering old runs)."""
    L: list[str] = []
    il = r.get("decode_interleaved") or {}
    il_tools = il.get("llama_bench_tg128", [])
    il_eng = [x.get("decode_tok_s") for x in il.get("engine", [])]
    if il_tools and il_eng:
        # The target is judged on the interleaved rounds; the block figures stay as information.
        il_t, il_e = _med(il_tools), _med(il_eng)
        ratio, st = _ratio_row(il_e / il_t if il_t else math.nan, 0.97, False)
        L.append(f"| decode tok/s, 128 tokens (greedy, no repetition penalty), {len(il_eng)} rounds alternating "
                 f"engine and llama-bench | {_f(il_e)} (rounds: {', '.join(_f(x) for x in il_eng)}) | tg128 "
                 f"{_f(il_t)} (rounds: {', '.join(_f(x) for x in il_tools)}) | {_f(p_dec)} (native timer "
                 f"{_f(p_dec_n)}) | ≥ 0.97× tg128 | {ratio} | {st} |")
        il_kept = [x.get("decode_tok_s") for x in il.get("engine_ieee", [])]
        if il_kept:
            k = _med(il_kept)
            L.append(f"| decode tok/s, same rounds, engine process keeping IEEE denormals "
                     f"(`Tuning(flush_denormals=False)`) | {_f(k)} (rounds: {', '.join(_f(x) for x in il_kept)}) | "
                     f"tg128 {_f(il_t)} | | (no target: the A/B for flushing) | "
                     f"{_f(k / il_t if il_t else math.nan, 3)} | |")
        L.append(f"| decode tok/s, 128 tokens, as a block (requests: {len(dec)}; greedy, no repetition penalty) | "
                 f"{_f(d_cons)} (engine's own timer: {_f(d_eng)}) | {tg_shown} | | | "
                 f"{_f(d_cons / tg if tg else math.nan, 3)} | |")
    else:
        ratio, st = _ratio_row(d_cons / tg if tg else math.nan, 0.97, False)
        L.append(f"| decode tok/s, 128 tokens (greedy, no repetition penalty) | {_f(d_cons)} "
                 f"(engine's own timer: {_f(d_eng)}) | {tg_shown} "
                 f"| {_f(p_dec)} (native timer {_f(p_dec_n)}) | "
                 f"≥ 0.97× tg128 | {ratio} | {st} |")
    L.extend(_default_chain_row(et, tg, tg_shown))
    # prompt
    pro = et.get("prompt", [])
    pr_eng = _med([x.get("eng_prompt_tok_s") for x in pro])
    pr_cons = _med([x["prompt_tokens_evaluated"] / (x["ttft_ms"] / 1e3) for x in pro if x.get("ttft_ms")])
    n_ev = _med([x.get("prompt_tokens_evaluated") for x in pro])
    pp, pp_shown = _bench_pair(lb, lba, "pp512")
    p_pr = _med([x.get("prompt_tok_s") for x in pe.get("prompt", [])])
    ratio, st = _ratio_row(pr_eng / pp if pp else math.nan, 0.95, False)
    L.append(f"| prompt tok/s, {_f(n_ev, 0)} tokens | {_f(pr_eng)} (tokens ÷ time to first token: {_f(pr_cons)}) "
             f"| {pp_shown} | {_f(p_pr)} | ≥ 0.95× pp512 | {ratio} | {st} |")
    return L


def render(r: dict[str, Any]) -> str:
    L: list[str] = []
    lb = r.get("llama_bench") or {}
    lba = r.get("llama_bench_after") or {}
    et = r.get("engine_text") or {}
    ei = r.get("engine_image") or {}
    es = r.get("engine_stream") or {}
    ec = r.get("engine_cjk_stream") or {}
    pe = r.get("peer") or {}
    pc = r.get("peer_cjk_stream") or {}
    cli = [x for x in (r.get("mtmd_cli") or []) if x]
    hw = r.get("hardware", {})
    L.append(f"Date: {r.get('date')} · commit `{r.get('commit')}` · llama-cpp-python {r.get('llama_cpp_python')} · "
             f"threads {r.get('threads')} · offload `-ngl {r.get('ngl')}` / `gpu_layers={r.get('ngl')}` · "
             f"repetitions {r.get('reps')} (medians){' · --quick' if r.get('quick') else ''} · "
             f"run time {r.get('total_s', NA)} s")
    L.append("")
    hidden = f"; GPU {hw.get('gpu_hidden')} hidden (`--cpu`: `CUDA_VISIBLE_DEVICES=`)"
    gpu_desc = f"; GPU: {hw['gpu']}" if hw.get("gpu") else hidden if hw.get("gpu_hidden") else "; no GPU"
    L.append(f"Hardware: {hw.get('cpu', '?')}" + gpu_desc
             + f". Load average at start / end: {_la(r.get('loadavg_start'))} / {_la(r.get('loadavg_end'))}"
             " (other work on the machine shows here).")
    if r.get("peer_note"):
        L.append("")
        L.append(f"Note: {r['peer_note']}.")
    load = r.get("engine_load") or {}
    if load:
        L.append("")
        L.append(f"LocalEngine load: backend {load.get('backend')}, {load.get('gpu_layers')}/{load.get('n_layers')} "
                 f"layers offloaded{', ' + load['fallback_reason'] if load.get('fallback_reason') else ''}.")
    sizes = r.get("model_sizes_mib", {})
    L.append("")
    L.append(f"Models: 1.1B llama decoder (n_embd 2048, 22 layers, 32k vocab, random weights) Q4_K_M "
             f"({sizes.get('model', '?')} MiB) + CLIP ViT-L/14-336 projector f16 ({sizes.get('mmproj', '?')} MiB, "
             f"576 image tokens); the scripted byte-fallback \"中文\" model of the same shape, Q4_K_M"
             + ("; Gemma 3 270M Q4_K_M (real weights, text only)." if r.get("gemma_engine") or
                r.get("gemma_llama_bench") else ". Gemma 3 270M not run here."))
    L.append("")
    L.append("| figure | VisionDesk engine | llama.cpp tool | llama-cpp-python (MTMDChatHandler) | target | "
             "ratio | status |")
    L.append("|---|---|---|---|---|---|---|")

    # decode
    dec = et.get("decode", [])
    d_cons = _med([x.get("decode_tok_s") for x in dec])
    d_eng = _med([x.get("eng_decode_tok_s") for x in dec])
    tg, tg_shown = _bench_pair(lb, lba, "tg128")
    p_dec = _med([x.get("decode_tok_s") for x in pe.get("decode", [])])
    p_dec_n = _med([x.get("decode_tok_s_native") for x in pe.get("decode", [])])
    rd = r.get("rounds")
    if rd:
        pro = et.get("prompt", [])
        pr_eng = _med([x.get("eng_prompt_tok_s") for x in pro])
        pp, pp_shown = _bench_pair(lb, lba, "pp512")
        block_dec = (f"| decode tok/s, 128 tokens, one engine process, {len(dec)} requests in a block | {_f(d_cons)} "
                     f"(engine's own timer: {_f(d_eng)}) | {tg_shown} | | (information) | "
                     f"{_f(d_cons / tg if tg else math.nan, 3)} | |")
        block_pr = (f"| prompt tok/s, one engine process, {len(pro)} requests | {_f(pr_eng)} | {pp_shown} | | "
                    f"(information) | {_f(pr_eng / pp if pp else math.nan, 3)} | |")
        p_pr = _med([x.get("prompt_tok_s") for x in pe.get("prompt", [])])
        L.extend(_round_rows(rd, "", f"{_f(p_dec)} (native timer {_f(p_dec_n)})", _f(p_pr), block_dec, block_pr))
        L.extend(_default_chain_row(et, tg, tg_shown))
    else:
        L.extend(_legacy_text_rows(r, et, pe, lb, lba, dec, d_cons, d_eng, tg, tg_shown, p_dec, p_dec_n))
    # image ttft
    turns = ei.get("turns", [])
    t1 = _med([a.get("ttft_ms") for a, _ in turns])
    t2 = _med([b.get("ttft_ms") for _, b in turns])
    enc1 = _med([a.get("eng_encode_ms") for a, _ in turns])
    cli_t = _med([x["ttft_ms"] for x in cli])
    cli_enc = _med([x["encode_ms"] for x in cli])
    pt = pe.get("turns", [])
    p1 = _med([a.get("ttft_ms") for a, _ in pt])
    p2 = _med([b.get("ttft_ms") for _, b in pt])
    # From the commit after dd1138b on, each turn 1 runs back to back with a llama-mtmd-cli run of the same
    # image ("cli" in the raw figures) and the target is judged on the median of the per-pair ratios.
    clis = ei.get("cli") or []
    paired = [(a.get("ttft_ms", math.nan), c["ttft_ms"]) for (a, _), c in zip(turns, clis, strict=bool(clis)) if c]
    by_pair, _ = _paired([e for e, _ in paired], [c for _, c in paired])
    judged = by_pair if paired else (t1 / cli_t if cli_t else math.nan)
    ratio, st = _ratio_row(judged, 1.1, True)
    how = (f" (median of the per-pair ratios {', '.join(_f(e / c, 3) for e, c in paired)}; ratio of the medians "
           f"{_f(t1 / cli_t if cli_t else math.nan, 3)})" if len(paired) > 1 else "")
    cold = _get(ei, "cold_first_image", "ttft_ms")
    n_pairs = (f"; {len(paired)} pair{'s' if len(paired) != 1 else ''}, each turn back to back with a llama-mtmd-cli "
               "run" if paired else "")
    L.append(f"| time to first token, image question (turn 1), ms{n_pairs} | {_f(t1, 0)} (encode {_f(enc1, 0)}; "
             f"first image after load: {_f(cold or math.nan, 0)}) | llama-mtmd-cli {_f(cli_t, 0)} "
             f"(encode {_f(cli_enc, 0)}) | {_f(p1, 0)} | ≤ 1.1× llama-mtmd-cli | {ratio}{how} | {st} |")
    reused = [b.get("images_reused") for _, b in turns]
    ev2 = [b.get("prompt_tokens_evaluated") for _, b in turns]
    L.append(f"| time to first token, follow-up (turn 2), ms | {_f(t2, 0)} (images reused {reused}, prompt tokens "
             f"evaluated {ev2}) | {NA} | {_f(p2, 0)} | | | |")
    ratio, st = _ratio_row(t2 / t1 if t1 else math.nan, 0.2, True)
    L.append(f"| follow-up ÷ first-turn time to first token | {ratio} | {NA} | "
             f"{_f(p2 / p1 if p1 else math.nan, 3)} | ≤ 0.2 | {ratio} | {st} |")
    # streaming
    for name, s, p in (("random-weight model", es, pe), ("byte-fallback CJK model (\"中文\")", ec, pc)):
        ss = s.get("streamed", [])
        ns = s.get("not_streamed", [])
        st_tok = _med([x.get("decode_tok_s") for x in ss])
        ns_eng = _med([x.get("eng_decode_tok_s") for x in ns])
        ttft = _med([x.get("ttft_ms") for x in ss])

        def wall(x: dict[str, Any], ttft: float = ttft) -> float:  # not-streamed tok/s seen by the consumer
            return float((x["completion_tokens"] - 1) / ((x["total_ms"] - ttft) / 1e3))

        ns_wall = _med([wall(x) for x in ns]) if ss else math.nan
        ns_best = max([v for v in (ns_eng, ns_wall) if not math.isnan(v)], default=math.nan)
        # Judged per pair (one streamed and one not-streamed request, run back to back), each against the
        # higher of its not-streamed figures; the ratio of the medians is shown beside it.
        pair_r = [x.get("decode_tok_s", math.nan) / max(y.get("eng_decode_tok_s", math.nan), wall(y))
                  for x, y in zip(ss, ns, strict=False)]
        pair_r = [v for v in pair_r if not math.isnan(v)]
        of_meds = st_tok / ns_best if ns_best else math.nan
        n_tok = _med([x.get("completion_tokens") for x in ss])
        ps = p.get("streamed", [])
        pns = p.get("not_streamed", [])
        p_st = _med([x.get("decode_tok_s") for x in ps])
        p_ntok = _med([x.get("tokens") for x in ps])
        p_cut = any(x.get("cut_at_deadline") for x in ps)
        p_ns = _med([x.get("decode_tok_s_native") for x in pns])
        txt = (ss[0].get("text", "") if ss else "")[:12]
        ratio, stt = _ratio_row(_med(pair_r) if pair_r else of_meds, 0.95, False)
        how = (f"median of the per-pair ratios {', '.join(_f(v, 3) for v in pair_r)}; ratio of the medians "
               f"{_f(of_meds, 3)}" if len(pair_r) > 1 else "against the higher not-streamed figure")
        starts = f" (starts {txt!r})" if txt else ""
        L.append(f"| streamed tok/s, {_f(n_tok, 0)}-token answer, {name} | {_f(st_tok)}{starts} | {NA} | "
                 f"{_f(p_st)}{f' (stopped at {p_ntok:.0f} tokens)' if p_cut else ''} | | | |")
        L.append(f"| not streamed tok/s, same request, {name} | engine's timer {_f(ns_eng)}; consumer {_f(ns_wall)} | "
                 f"{NA} | {_f(p_ns)} (native timer) | | | |")
        p_r = p_st / p_ns if p_ns else math.nan
        L.append(f"| streamed ÷ not streamed, {name} | {ratio} ({how}) | {NA} | "
                 f"{_f(p_r, 3)} | ≥ 0.95 | {ratio} | {stt} |")
    # gemma
    gb = r.get("gemma_llama_bench") or {}
    ge = r.get("gemma_engine") or {}
    grd = r.get("gemma_rounds")
    if grd:
        L.extend(_round_rows(grd, "Gemma 3 270M ", NA, NA, "", ""))
    elif gb or ge:
        gd = _med([x.get("decode_tok_s") for x in ge.get("decode", [])])
        gde = _med([x.get("eng_decode_tok_s") for x in ge.get("decode", [])])
        gn = _med([x.get("completion_tokens") for x in ge.get("decode", [])])
        gp = _med([x.get("eng_prompt_tok_s") for x in ge.get("prompt", [])])
        gpn = _med([x.get("prompt_tokens_evaluated") for x in ge.get("prompt", [])])
        gtg, gpp = gb.get("tg128", math.nan), gb.get("pp512", math.nan)
        ratio, st = _ratio_row(gd / gtg if gtg else math.nan, 0.97, False)
        L.append(f"| Gemma 3 270M decode tok/s, {_f(gn, 0)} tokens | {_f(gd)} (engine's timer {_f(gde)}) | tg128 "
                 f"{_f(gtg)} ± {_f(gb.get('tg128_sd', math.nan))} | {NA} | ≥ 0.97× tg128 | {ratio} | {st} |")
        ratio, st = _ratio_row(gp / gpp if gpp else math.nan, 0.95, False)
        L.append(f"| Gemma 3 270M prompt tok/s, {_f(gpn, 0)} tokens | {_f(gp)} | pp512 {_f(gpp)} ± "
                 f"{_f(gb.get('pp512_sd', math.nan))} | {NA} | ≥ 0.95× pp512 | {ratio} | {st} |")
    oom = r.get("oom")
    if oom:
        ok = oom.get("loaded") and oom.get("answered") and (oom.get("gpu_layers", 99) < oom.get("n_layers", 0) + 1)
        clean_refusal = not oom.get("loaded") and "Error" in str(oom.get("error", ""))
        desc = (f"loaded on {oom.get('backend')} with {oom.get('gpu_layers')}/{oom.get('n_layers')} layers, "
                f"n_ctx {oom.get('n_ctx_loaded')}, reason: {oom.get('fallback_reason') or '(none given)'}; answered: "
                f"{oom.get('answered')}" if oom.get("loaded") else f"refused: {oom.get('error')}")
        status = ("**met**" if ok and oom.get("fallback_reason") else
                  "**NOT met** (no crash, but " + ("no fallback reason" if ok else "refused, no fallback") + ")"
                  if ok or clean_refusal else "**NOT met**")
        L.append(f"| forced lack of GPU memory (n_ctx {oom.get('n_ctx'):,}, gpu_layers=auto) | {desc} | {NA} | {NA} | "
                 f"fewer layers or CPU, reason reported, no crash | | {status} |")
    elif r.get("gpu"):
        why = r.get("errors", {}).get("oom", "")
        L.append(f"| forced lack of GPU memory | not run{': ' + why if why else ''} | | | | | not measured |")
    L.append("")
    ab = r.get("sampling_ab")
    if ab:
        L.append("On-device sampling A/B (same model, engine reloaded per mode, modes interleaved; medians):")
        L.append("")
        L.append("| sampling | decode tok/s, 128 tokens | prompt tok/s (engine's timer) | requests |")
        L.append("|---|---|---|---|")
        L.extend(_ab_rows(ab))
        L.append("")
    errs = r.get("errors") or {}
    if errs:
        L.append("Failed steps (figures missing above):")
        L.append("")
        for k, v in errs.items():
            L.append(f"- {k}: `{v.splitlines()[-1][:300]}`")
        L.append("")
    return "\n".join(L)


def write_section(r: dict[str, Any], out: Path) -> None:
    label = r.get("label", "run")
    start, end = f"<!-- bench:{label} -->", f"<!-- /bench:{label} -->"
    body = f"{start}\n## {label}\n\n{render(r)}\n{end}\n"
    text = out.read_text() if out.is_file() else "# VisionDesk engine benchmarks\n\nSee bench/README.md for how.\n\n"
    if start in text and end in text:
        a, rest = text.split(start, 1)
        _, b = rest.split(end, 1)
        text = a + body.rstrip("\n") + b
    else:
        text = text.rstrip("\n") + "\n\n" + body
    out.write_text(text)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("raw", type=Path)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "RESULTS.md")
    ap.add_argument("--label", default=None)
    a = ap.parse_args()
    data = json.loads(a.raw.read_text())
    if a.label:
        data["label"] = a.label
    write_section(data, a.out)
    print(render(data))
