"""The remote backend's overhead: time to first token and tokens/s through ``RemoteBackend`` against the same
request sent to ``llama-server`` directly with the ``openai`` client, on the same machine, interleaved.

    python bench/remote_bench.py [--pairs 20] [--max-tokens 128] [--threads 1] [--tiny]

llama-server is the cached build of ``tests/remote/llama_server_build.py`` (built on first use); the model
pair is generated with ``tests/model_factory.py`` (random weights; a mid-size decoder so that decoding
runs at a realistic pace for a remote server, and 256-token images). Both sides send byte-identical JSON:
the direct side builds its request with the backend's own payload functions and the same encoded image.
Both are timed the same way, at the benchmark's side of the iterator: TTFT from the call to the first
non-empty text, tokens/s as (chunks - 1) / (last - first). llama-server's prompt cache is on (its
default), so after the warm-up every request reuses the cached prompt and TTFT is small: the overhead
is then not hidden in the noise of image encoding. Targets: median TTFT overhead <= 5 ms, median
tokens/s ratio >= 0.98.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
import openai
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from visiondesk.engine import Message, SamplingParams, TextDelta  # noqa: E402
from visiondesk.engine.remote import KeyStore, RemoteBackend, RemoteTarget, ServerKind, ServerStore  # noqa: E402
from visiondesk.engine.remote.payload import chat_messages, sampling_kwargs  # noqa: E402
from visiondesk.engine.remote.upload_images import encode_image  # noqa: E402

from tests.model_factory import TextShape, VisionShape, write_mmproj, write_text_model  # noqa: E402
from tests.remote.llama_server_build import build_server  # noqa: E402

MID_TEXT = TextShape(n_embd=512, n_layer=8, n_head=8, n_head_kv=8, n_ff=1536, extra_vocab=4000)
MID_VISION = VisionShape(image_size=224, patch_size=14, n_embd=384, n_layer=6, n_head=6, n_ff=1536)


def start_server(binary: Path, model: Path, mmproj: Path, folder: Path,
                 threads: int) -> tuple[subprocess.Popen[bytes], str]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(folder / "llama-server.log", "wb")  # noqa: SIM115 - open for the server's life
    proc = subprocess.Popen([str(binary), "-m", str(model), "--mmproj", str(mmproj), "--host", "127.0.0.1",
                             "--port", str(port), "-c", "4096", "-np", "1", "-t", str(threads), "-tb", str(threads),
                             "--no-webui", "--alias", "bench-vlm"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as r:
                if json.load(r).get("status") == "ok":
                    return proc, url
        except OSError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"llama-server exited: {(folder / 'llama-server.log').read_text()[-2000:]}")
        time.sleep(0.2)
    raise SystemExit("llama-server did not start")


def figures(stamps: list[float], t_call: float) -> tuple[float, float]:
    """(TTFT ms, tokens/s) from the arrival times of the text chunks."""
    ttft = (stamps[0] - t_call) * 1000.0
    tok_s = (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else 0.0
    return ttft, tok_s


def run_direct(client: openai.OpenAI, kwargs: dict[str, object]) -> tuple[float, float]:
    stamps: list[float] = []
    t_call = time.monotonic()
    stream = client.chat.completions.create(stream=True, **kwargs)  # type: ignore[call-overload]
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            stamps.append(time.monotonic())
    return figures(stamps, t_call)


def run_backend(backend: RemoteBackend, messages: list[Message], sampling: SamplingParams) -> tuple[float, float]:
    stamps: list[float] = []
    t_call = time.monotonic()
    for event in backend.chat(messages, sampling):
        if isinstance(event, TextDelta):
            stamps.append(time.monotonic())
    return figures(stamps, t_call)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=30)
    ap.add_argument("--max-tokens", type=int, default=128)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--tiny", action="store_true", help="the tests' tiny model (smoke test; figures meaningless)")
    ap.add_argument("--json", type=Path, help="write the raw figures here")
    args = ap.parse_args()

    binary = build_server()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        text_shape, vision_shape = (TextShape(), VisionShape()) if args.tiny else (MID_TEXT, MID_VISION)
        model = write_text_model(tmp / "text.gguf", shape=text_shape)
        mmproj = write_mmproj(tmp / "mmproj.gguf", projection_dim=text_shape.n_embd, shape=vision_shape)
        photo = tmp / "photo.jpg"
        # A photo-like picture (smooth gradients, mild grain): it encodes to a realistic ~0.3 MB JPEG, where pure
        # noise would make a 2 MB upload whose decoding on the server adds noise to every TTFT.
        rng = np.random.default_rng(3)
        yy, xx = np.mgrid[0:1200, 0:1600]
        base = np.stack([xx / 1600 * 255, yy / 1200 * 255, (xx + yy) / 2800 * 255], axis=-1)
        grain = rng.normal(0, 6, base.shape)
        Image.fromarray(np.clip(base + grain, 0, 255).astype(np.uint8), "RGB").save(photo, quality=90)
        proc, url = start_server(binary, model, mmproj, tmp, args.threads)
        try:
            servers = ServerStore(KeyStore(fallback_path=tmp / "keys.json"), path=None)
            servers.add(url, name="bench")
            backend = RemoteBackend(servers)
            backend.load(RemoteTarget(base_url=url, model="bench-vlm"))
            messages = [Message.system("You are a careful assistant."), Message.user("Describe the picture.", photo)]
            sampling = SamplingParams(temperature=0.0, max_tokens=args.max_tokens, seed=1, repeat_penalty=1.0)
            upload = encode_image(messages[1].images[0], 1500)
            kwargs = {"model": "bench-vlm", "messages": chat_messages(messages, {(1, 0): upload}),
                      **sampling_kwargs(sampling, ServerKind.LLAMA_SERVER)}
            client = openai.OpenAI(base_url=url + "/v1", api_key="none", max_retries=0)
            run_direct(client, kwargs)  # warm-up: the image is encoded, the prompt cached
            run_backend(backend, messages, sampling)
            direct: list[tuple[float, float]] = []
            remote: list[tuple[float, float]] = []
            for i in range(args.pairs):
                if i % 2:
                    direct.append(run_direct(client, kwargs))
                    remote.append(run_backend(backend, messages, sampling))
                else:
                    remote.append(run_backend(backend, messages, sampling))
                    direct.append(run_direct(client, kwargs))
            backend.close()
            client.close()
        finally:
            proc.terminate()
            proc.wait(10)
        # The server's own decode speed for each request, in the order sent (two warm-ups, then the pairs):
        # where the two sides differ here too, the difference is the machine's, not the client path's.
        server_rates = [float(m) for m in re.findall(r"\|\s+eval time =.*?([\d.]+) tokens per second",
                                                      (tmp / "llama-server.log").read_text())][2:]
    server_direct = [r for i, r in enumerate(server_rates) if (i % 2 == 0) == bool((i // 2) % 2)]
    server_remote = [r for i, r in enumerate(server_rates) if (i % 2 == 0) != bool((i // 2) % 2)]

    d_ttft, r_ttft = statistics.median(t for t, _ in direct), statistics.median(t for t, _ in remote)
    d_tps, r_tps = statistics.median(s for _, s in direct), statistics.median(s for _, s in remote)
    paired = statistics.median(r[0] - d[0] for r, d in zip(remote, direct, strict=True))
    paired_ratio = statistics.median(r[1] / d[1] for r, d in zip(remote, direct, strict=True))
    overhead_ok = paired <= 5.0
    print(f"llama-server {url}, {args.pairs} interleaved pairs, {args.max_tokens} tokens, {args.threads} thread(s)")
    print(f"{'':28}{'direct openai':>16}{'RemoteBackend':>16}")
    print(f"{'TTFT, median (ms)':28}{d_ttft:16.2f}{r_ttft:16.2f}")
    print(f"{'tokens/s, median':28}{d_tps:16.1f}{r_tps:16.1f}")
    delivered = None
    if len(server_rates) == 2 * args.pairs:
        # How much of the server's own speed reaches the caller, per request: the shared machine's load moves the
        # server's speed by tens of percent from one request to the next, and this ratio cancels it out.
        got_d = statistics.median(c[1] / s for c, s in zip(direct, server_direct, strict=True))
        got_r = statistics.median(c[1] / s for c, s in zip(remote, server_remote, strict=True))
        delivered = got_r / got_d
        print(f"{'server decode tok/s, median':28}{statistics.median(server_direct):16.1f}"
              f"{statistics.median(server_remote):16.1f}")
        print(f"{'delivered / server tok/s':28}{got_d:16.4f}{got_r:16.4f}")
    print(f"TTFT overhead, median of pairs: {paired:+.2f} ms (target <= 5 ms): {'met' if overhead_ok else 'MISSED'}")
    print(f"tokens/s ratio, median of pairs: {paired_ratio:.3f} (ratio of the medians {r_tps / d_tps:.3f}): "
          "the server's own speed, load-driven")
    if delivered is not None:
        speed_ok = delivered >= 0.98
        print(f"tokens/s ratio, server speed factored out: {delivered:.4f} (target >= 0.98): "
              f"{'met' if speed_ok else 'MISSED'}")
    if args.json:
        args.json.write_text(json.dumps({"direct": direct, "remote": remote, "pairs": args.pairs,
                                         "server_direct": server_direct, "server_remote": server_remote,
                                         "delivered_ratio": delivered,
                                         "max_tokens": args.max_tokens}, indent=1))


if __name__ == "__main__":
    main()
