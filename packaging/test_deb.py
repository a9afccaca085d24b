"""Install the .deb into a clean Debian system and check it there: the command line, the window, removal.

    python3 packaging/test_deb.py [dist/visiondesk_<version>_amd64.deb]      (root; after packaging/build.py)

The clean system is Debian bookworm ``minbase`` made by mmdebstrap (no Python, no compiler), cached as a
tarball in ``~/.cache/visiondesk/``. The .deb is installed with apt and ``--no-install-recommends``, so only
what it declares in ``Depends`` comes in. Everything VisionDesk runs, it runs as an ordinary user inside a
chroot; the window is shown on an Xvfb server of the host whose socket is bind-mounted into the chroot (the
chroot gets no X server of its own). Each check prints PASS or FAIL; the exit code is 1 when any failed.
Figures (sizes, times) are printed at the end as JSON.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import deb_system
from deb_system import Chroot, Xvfb

REPO = Path(__file__).resolve().parent.parent
SCREENSHOT = REPO / "docs" / "screenshots" / "installed-deb.png"
DATA = "/home/tester/.local/share/VisionDesk"
failures: list[str] = []
figures: dict[str, object] = {}


def check(name: str, ok: bool, detail: str = "") -> bool:
    """Print PASS or FAIL for ``name``; a failure is remembered for the exit code."""
    print(f"{'PASS' if ok else 'FAIL'}  {name}" + (f"\n      {detail.strip()[-1500:]}" if detail and not ok else ""),
          flush=True)
    if not ok:
        failures.append(name)
    return ok


def host_python() -> Path:
    """The build environment's Python (numpy, gguf, Pillow, PySide6): makes the test models and the screenshot."""
    python = REPO / "build" / "installer" / "venv" / "bin" / "python"
    if not python.exists():
        raise SystemExit(f"{python} is missing: run python3 packaging/build.py linux first")
    return python


def make_inputs(python: Path, home: Path) -> None:
    """A generated model pair, a broken projector, an image and a 2-page PDF, in the tester's home."""
    code = ("import sys; from pathlib import Path; from PIL import Image\n"
            "from tests.model_factory import write_test_models, write_mmproj\n"
            "d = Path(sys.argv[1]); write_test_models(d)\n"
            "write_mmproj(d / 'broken-mmproj.gguf', omit=('mm.2.weight', 'mm.2.bias'))\n"
            "Image.new('RGB', (64, 48), (200, 40, 40)).save(d / 'red.png')\n"
            "Image.new('RGB', (300, 400), (200, 40, 40)).save(d / 'invoice.pdf', save_all=True, "
            "append_images=[Image.new('RGB', (300, 400), (40, 40, 200))])\n"
            "(d / 'ok.schema.json').write_text('{\"type\": \"object\", \"properties\": {\"ok\": {\"type\": "
            "\"boolean\"}}, \"required\": [\"ok\"], \"additionalProperties\": false}')\n")
    subprocess.run([str(python), "-c", code, str(home / "models")], cwd=REPO, check=True)


def test_cli(box: Chroot, version: str) -> None:
    """--version (timed), doctor, ask with the generated pair, the broken projector, models import/list."""
    times = []
    for _ in range(5):
        started = time.monotonic()
        run = box.user(["visiondesk", "--version"])
        times.append(time.monotonic() - started)
    check("visiondesk --version", run.returncode == 0 and version in run.stdout, run.stdout + run.stderr)
    figures["version_s_median_of_5"] = round(statistics.median(times), 3)
    figures["version_s_first"] = round(times[0], 3)
    doctor = box.user(["visiondesk", "doctor"], timeout=300)
    print("      " + doctor.stdout.strip().replace("\n", "\n      "))
    check("visiondesk doctor runs the engine process and reports the CPU", doctor.returncode == 0
          and "CPU" in doctor.stdout, doctor.stdout + doctor.stderr)
    figures["doctor"] = doctor.stdout.strip()
    variants = sorted((box.root / "opt/visiondesk/_internal/llama_cpp/lib").glob("libggml-cpu-*.so"))
    if variants:  # the distribution build: ggml chose one of the shipped CPU variants, and doctor names it
        figures["cpu_variants_shipped"] = len(variants)
        check("doctor names the CPU variant llama.cpp chose", "variant" in doctor.stdout, doctor.stdout)
    bundle = box.root / "opt/visiondesk/_internal"
    parts = [bundle / "ziamath/fonts/STIXTwoMath-Regular.ttf", bundle / "ziafont/fonts/DejaVuSans.ttf",
             bundle / "latex2mathml/unimathsymbols.txt", bundle / "pypdfium2_raw/libpdfium.so"]
    check("the formula drawer's fonts and symbol table, and PDFium, are in the bundle",
          all(f.is_file() for f in parts), ", ".join(str(f) for f in parts if not f.is_file()))
    models = "/home/tester/models"
    ask = box.user(["visiondesk", "ask", "--model", f"{models}/tiny-chat.gguf",
                    "--mmproj", f"{models}/tiny-mmproj.gguf", "--image", f"{models}/red.png",
                    "--temperature", "0", "--max-tokens", "8", "--stats", "What colour is this?"], timeout=300)
    check("visiondesk ask answers about an image (generated model pair)", ask.returncode == 0
          and ask.stdout.strip() != "", ask.stdout + ask.stderr)
    paged = box.user(["visiondesk", "ask", "--model", f"{models}/tiny-chat.gguf", "--mmproj",
                      f"{models}/tiny-mmproj.gguf", "--image", f"{models}/invoice.pdf", "--temperature", "0",
                      "--max-tokens", "4", "--dry-run", "What is the total?"], timeout=300)
    check("a PDF's pages are drawn (PDFium in the frozen app's PDF process) and read as images",
          paged.returncode == 0 and "invoice p.1.png" in paged.stdout + paged.stderr
          and "invoice p.2.png" in paged.stdout + paged.stderr, paged.stdout + paged.stderr)
    # A schema whose every answer is short (one boolean), so even random weights finish it.
    shaped = box.user(["visiondesk", "ask", "--model", f"{models}/tiny-chat.gguf", "--json-schema",
                       f"{models}/ok.schema.json", "--max-tokens", "64", "Answer in JSON"], timeout=300)
    check("an answer under a JSON schema (llama.cpp's grammar converter is in the bundle)", shaped.returncode == 0
          and shaped.stdout.replace(" ", "").replace("\n", "") in ('{"ok":true}', '{"ok":false}'),
          shaped.stdout + shaped.stderr)
    broken = box.user(["visiondesk", "ask", "--model", f"{models}/tiny-chat.gguf", "--mmproj",
                       f"{models}/broken-mmproj.gguf", "--image", f"{models}/red.png", "Still there?"], timeout=300)
    said = broken.stderr.lower()
    check("a broken projector: a clear error, the app itself exits normally (crash isolated in the engine process)",
          broken.returncode in (1, 2) and "traceback" not in said
          and any(word in said for word in ("model process", "crash", "projector")), broken.stdout + broken.stderr)
    print(f"      said: {broken.stderr.strip()[:300]}")
    again = box.user(["visiondesk", "ask", "--model", f"{models}/tiny-chat.gguf", "--max-tokens", "4", "hello"],
                     timeout=300)
    check("the next question after the crash answers", again.returncode == 0, again.stdout + again.stderr)
    imported = box.user(["visiondesk", "models", "import", f"{models}/tiny-chat.gguf", "--mmproj",
                         f"{models}/tiny-mmproj.gguf", "--copy", "--name", "tiny-test"], timeout=120)
    listed = box.user(["visiondesk", "models", "list"])
    check("a model imported into the data folder is listed", imported.returncode == 0 and "tiny-test" in listed.stdout,
          imported.stdout + imported.stderr + listed.stdout + listed.stderr)


def test_startup_errors(box: Chroot, display: str) -> None:
    """The window's start-up failures are said in words with a non-zero exit, never only 'Aborted'."""
    run = box.user(["visiondesk"], env={"QT_QPA_PLATFORM": "xcb"})
    check("no display: the reason on the terminal, exit 1", run.returncode == 1 and "DISPLAY" in run.stderr
          and "Aborted" not in run.stderr, f"rc={run.returncode} {run.stderr}")
    lib = box.root / "usr/lib/x86_64-linux-gnu/libxcb-cursor.so.0"
    aside = lib.with_name("libxcb-cursor.so.0.aside")
    lib.rename(aside)
    try:
        run = box.user(["visiondesk"], env={"DISPLAY": display})
    finally:
        aside.rename(lib)
    check("a missing X11 library: named with the package to install, exit 1", run.returncode == 1
          and "libxcb-cursor" in run.stderr and "apt install" in run.stderr, f"rc={run.returncode} {run.stderr}")
    print(f"      said: {run.stderr.strip()[:400]}")


def test_window(box: Chroot, x: Xvfb, python: Path) -> None:
    """Launch to a mapped window, timed four times; the last one photographed and closed with Ctrl+C."""
    launches, cpu = [], []
    for attempt in range(4):
        started = time.monotonic()
        proc = box.user_popen(["visiondesk"], env={"DISPLAY": x.display})
        shown = x.wait_for_window("VisionDesk", 90)
        if shown is None:
            proc.kill()
            out, err = proc.communicate()
            check("the window comes up", False, err.decode(errors="replace"))
            return
        launches.append(shown - started)
        cpu.append(deb_system.cpu_seconds(proc.pid))
        if attempt < 3:
            proc.send_signal(signal.SIGINT)
            deb_system.wait_or_kill(proc, 30)
            continue
        time.sleep(4)  # the first-run page's texts and the model list settle
        x.screenshot(python, SCREENSHOT)
        proc.send_signal(signal.SIGINT)
        code = deb_system.wait_or_kill(proc, 30)
        check("the window comes up, and Ctrl+C closes it cleanly", code == 0, f"exit code {code}")
    print(f"      screenshot: {SCREENSHOT}")
    figures["window_s_first"] = round(launches[0], 3)
    figures["window_s_median_warm"] = round(statistics.median(launches[1:]), 3)
    figures["window_cpu_s_median_warm"] = round(statistics.median(cpu[1:]), 3)
    figures["load_average"] = os.getloadavg()[0]
    db = box.root / DATA.lstrip("/") / "conversations.sqlite3"
    check("user data went to ~/.local/share/VisionDesk", db.exists(), str(db))


def data_snapshot(box: Chroot) -> dict[str, str]:
    """Every file of the tester's data folder (logs aside) with its SHA-256."""
    folder = box.root / DATA.lstrip("/")
    return {str(p.relative_to(folder)): deb_system.sha256(p) for p in sorted(folder.rglob("*"))
            if p.is_file() and "logs" not in p.parts}


def test_install_folder_untouched(box: Chroot) -> None:
    """Nothing under /opt/visiondesk but what the package installed (nothing written at run time)."""
    listed = set(box.run(["dpkg", "-L", "visiondesk"]).stdout.split())
    present = {"/" + str(p.relative_to(box.root)) for p in (box.root / "opt/visiondesk").rglob("*")}
    extra = sorted(present - listed)
    check("the install folder holds only the package's files after running", not extra, "\n".join(extra[:20]))


def main() -> int:
    """Build the clean system, run the checks, tear it down."""
    if os.geteuid() != 0:
        raise SystemExit("run as root: a chroot and bind mounts are needed")
    found = sorted((REPO / "dist").glob("visiondesk_*_amd64.deb"))
    deb = Path(sys.argv[1]) if len(sys.argv) > 1 else (found[-1] if found else None)
    if deb is None or not deb.exists():
        raise SystemExit("no .deb: run python3 packaging/build.py linux first")
    version = deb.name.split("_")[1]
    python = host_python()
    deb_system.host_tools()
    started = time.monotonic()
    base = deb_system.base_tarball()
    figures["deb_mb"] = round(deb.stat().st_size / 1e6, 1)
    work = Path(tempfile.mkdtemp(prefix="vd-deb-test-"))
    try:
        with Chroot(base, work / "root") as box, Xvfb() as x:
            missing = [tool for tool in ("python3", "gcc", "cc", "cmake") if box.run(["which", tool]).returncode == 0]
            check("the clean system has no Python and no compiler", not missing, f"found {missing}")
            shutil.copy2(deb, box.root / "tmp" / deb.name)
            install = box.apt(["install", "-y", "--no-install-recommends", f"/tmp/{deb.name}"])
            check("apt installs the .deb with its declared Depends only", install.returncode == 0,
                  install.stdout + install.stderr)
            if install.returncode != 0:
                return 1
            figures["installed_mb"] = round(deb_system.du(box.root / "opt/visiondesk") / 1e6, 1)
            figures["biggest"] = deb_system.biggest(box.root / "opt/visiondesk", 12)
            box.add_user()
            make_inputs(python, box.root / "home/tester")
            box.run(["chown", "-R", "tester:tester", "/home/tester"])
            test_cli(box, version)
            test_startup_errors(box, x.display)
            test_window(box, x, python)
            test_install_folder_untouched(box)
            before = data_snapshot(box)
            again = box.apt(["install", "-y", "--reinstall", "--no-install-recommends", f"/tmp/{deb.name}"])
            after = data_snapshot(box)
            listed = box.user(["visiondesk", "models", "list"])
            check("a second install over the first keeps conversations and models", again.returncode == 0
                  and before == after and "conversations.sqlite3" in after and "tiny-test" in listed.stdout,
                  f"{sorted(set(before) ^ set(after))} {listed.stdout}")
            purge = box.apt(["purge", "-y", "visiondesk"])
            installed = ("opt/visiondesk", "usr/bin/visiondesk", "usr/share/applications/visiondesk.desktop")
            leftovers = [p for p in installed if (box.root / p).exists() or (box.root / p).is_symlink()]
            check("apt purge leaves nothing in /opt (nor the launcher, nor the menu entry)", purge.returncode == 0
                  and not leftovers and not any((box.root / "opt").glob("*")), f"{leftovers} {purge.stderr}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    figures["test_s"] = round(time.monotonic() - started)
    print(json.dumps(figures, indent=1, ensure_ascii=False))
    print(f"{'FAILED: ' + ', '.join(failures) if failures else 'ALL PASSED'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
