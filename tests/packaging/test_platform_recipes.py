"""The Windows and macOS recipes, which only hosted runners can run, checked here for what could drift silently.

Nothing here builds a package: packaging/build_platforms.py refuses to on Linux. What is checked is what ties
those recipes to the tested Linux one and to the rest of the project: the one version source, llama_dist.py's
llama.cpp flags, the one PyInstaller spec and its executables, the data folder the app really uses, the entry
points the CI workflow calls, and the parts that do run on Linux (the icons, the scripts' argument checks).
"""

from __future__ import annotations

import importlib.util
import os
import plistlib
import re
import shlex
import subprocess
import sys
from pathlib import Path, PureWindowsPath
from types import ModuleType

import platformdirs
import pytest
import yaml
from PIL import Image
from platformdirs.windows import Windows
from visiondesk.core import paths

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
ISS = PACKAGING / "windows" / "visiondesk.iss"
SPEC = PACKAGING / "visiondesk.spec"
WORKFLOW = ROOT / ".github" / "workflows" / "packages.yml"


def load(name: str) -> ModuleType:
    """A module of packaging/ by file (the folder's name would shadow PyPI's ``packaging``)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, PACKAGING / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


platforms = load("build_platforms")


def iss_defines() -> dict[str, str]:
    return dict(re.findall(r'^#define (\w+) "([^"]*)"', ISS.read_text(encoding="utf-8"), re.M))


def cmake_options(flags: tuple[str, ...]) -> dict[str, str]:
    options = dict(flag.removeprefix("-D").split("=", 1) for flag in flags)
    assert len(options) == len(flags), f"an option is given twice: {flags}"
    return options


@pytest.mark.parametrize(("version", "numeric"), [("0.1.0", "0.1.0.0"), ("1.2", "1.2.0.0"), ("2.0.0rc1", "2.0.0.0"),
                                                   ("3.1.4.1", "3.1.4.1"), ("0.2.0.dev3", "0.2.0.0")])
def test_the_installer_gets_the_projects_version_and_a_numeric_file_version(version: str, numeric: str) -> None:
    cmd = platforms.iscc_command("iscc", version, Path("bundle"), Path("out"), None)
    assert f"/DAppVersion={version}" in cmd and f"/DAppVersionNumeric={numeric}" in cmd
    assert cmd[-1] == str(ISS)


def test_the_installer_is_signed_only_when_a_signing_command_is_given() -> None:
    plain = platforms.iscc_command("iscc", "0.1.0", Path("bundle"), Path("out"), None)
    assert not any(word.startswith(("/S", "/DSignInstaller")) for word in plain)
    command = r"signtool sign /fd sha256 /f C:\cert.pfx /p secret $f"
    signed = platforms.iscc_command("iscc", "0.1.0", Path("bundle"), Path("out"), None, command)
    assert f"/Ssigntool={command}" in signed and "/DSignInstaller=1" in signed
    text = ISS.read_text(encoding="utf-8")
    assert re.search(r"#ifdef SignInstaller\n(;.*\n)*SignTool=signtool\n", text)
    for exe in ("CliExe", "GuiExe"):  # the executables themselves, not only Setup and the uninstaller
        assert f'Source: "{{#DistDir}}\\{{#{exe}}}"; DestDir: "{{app}}"; Flags: ignoreversion signonce' in text


def test_the_installer_script_holds_no_version_of_its_own() -> None:
    text = ISS.read_text(encoding="utf-8")
    assert re.search(r"^AppVersion=\{#AppVersion\}$", text, re.M)
    assert not re.search(r"^(AppVersion|VersionInfo\w*Version)=\d", text, re.M)
    for define in ("AppVersion", "AppVersionNumeric", "DistDir"):  # iscc stops when build_platforms did not pass it
        assert re.search(rf"#ifndef {define}\n\s+#error", text), define
    with pytest.raises(ValueError, match="does not start with a number"):
        platforms.numeric_version("dev")


def test_the_installer_script_uses_only_names_it_defines_or_is_given() -> None:
    text = ISS.read_text(encoding="utf-8")
    given = set(re.findall(r"#ifn?def (\w+)", text)) | set(re.findall(r'^#define (\w+)', text, re.M))
    used = set(re.findall(r"\{#(\w+)\}", text))
    assert used - given == set()
    custom = set(re.findall(r"^english\.(\w+)=", text, re.M))
    inno_defaults = {"LaunchProgram", "CreateDesktopIcon", "AdditionalIcons"}  # Inno Setup's Default.isl
    assert set(re.findall(r"\{cm:(\w+)", text)) - custom - inno_defaults == set()
    assert set(re.findall(r"CustomMessage\('(\w+)'\)", text)) <= custom


def test_the_uninstaller_asks_about_the_data_folder_the_app_really_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    # core.paths' own call of platformdirs, answered by platformdirs' Windows rules for a made-up profile.
    local = r"C:\Users\someone\AppData\Local"
    monkeypatch.setenv("WIN_PD_OVERRIDE_LOCAL_APPDATA", local)
    monkeypatch.setenv("WIN_PD_OVERRIDE_APPDATA", r"C:\Users\someone\AppData\Roaming")
    monkeypatch.delenv(paths.DATA_DIR_ENV, raising=False)
    monkeypatch.setattr(platformdirs, "user_data_dir", lambda *a, **kw: Windows(*a, **kw).user_data_dir)
    in_script = iss_defines()["UserDataDir"].replace("{localappdata}", local)
    assert PureWindowsPath(str(paths.data_root())) == PureWindowsPath(in_script)
    # ...and it is not the install folder, so an update or a second install keeps it.
    install = re.search(r"^DefaultDirName=(.+)$", ISS.read_text(encoding="utf-8"), re.M)
    assert install and install.group(1) == r"{userpf}\{#AppName}"
    assert not iss_defines()["UserDataDir"].startswith("{userpf}")


def test_the_installer_ships_the_whole_frozen_folder_and_the_specs_executables() -> None:
    text = ISS.read_text(encoding="utf-8")
    assert re.search(r'^Source: "\{#DistDir\}\\\*"; DestDir: "\{app\}"; Flags: .*recursesubdirs', text, re.M)
    spec = SPEC.read_text(encoding="utf-8")
    name = re.search(r'^NAME = "(\w+)"', spec, re.M)
    assert name, "the spec names its executable in NAME"
    defines = iss_defines()
    assert defines["CliExe"] == f"{name.group(1)}.exe"
    assert defines["GuiExe"] == f"{name.group(1)}w.exe"  # the windowed twin, made on Windows only
    # The spec's Windows and macOS branches (packaging/README.md, "Windows and macOS", says what they add).
    assert re.search(r'name=(NAME \+ "w"|f"\{NAME\}w"), console=False', spec), "the spec makes no windowed twin"
    assert f'name="{platforms.APP_BUNDLE}"' in spec, "the spec's macOS branch makes the bundle build_platforms opens"


# The extensions the installer lists VisionDesk under "Open with" for, by the MIME type the Linux package's
# .desktop entry declares. A type added there and not here (or the reverse) fails below.
OPEN_WITH = {"image/png": {".png"}, "image/jpeg": {".jpg", ".jpeg"}, "image/webp": {".webp"}, "image/gif": {".gif"},
             "image/bmp": {".bmp"}, "image/tiff": {".tif", ".tiff"}, "image/heic": {".heic"}, "image/avif": {".avif"}}


def test_open_with_offers_the_image_types_of_the_linux_package_to_the_apps_image_argument() -> None:
    assert set(OPEN_WITH) == set(load("linux_package").MIME_TYPES)
    text = ISS.read_text(encoding="utf-8")
    listed = re.findall(r'^Root: HKA; Subkey: "Software\\Classes\\(\.\w+)\\OpenWithProgids"; .*'
                        r'ValueName: "\{#ImageProgId\}".*Tasks: openwith$', text, re.M)
    assert sorted(listed) == sorted(set().union(*OPEN_WITH.values()))
    command = re.search(r'\\shell\\open\\command"; .*ValueData: """\{app\}\\\{#GuiExe\}"" (.+)"; Tasks', text)
    assert command and command.group(1) == 'app ""%1""'
    from visiondesk.cli import build_parser  # the command the registry runs parses: one image for the window

    args = build_parser().parse_args(["app", r"C:\Users\someone\Pictures\receipt.png"])
    assert [str(image) for image in args.images] == [r"C:\Users\someone\Pictures\receipt.png"]


def test_the_built_app_gets_the_projects_version(tmp_path: Path) -> None:
    app = tmp_path / "VisionDesk.app"
    (app / "Contents").mkdir(parents=True)
    made = {"CFBundleShortVersionString": "0.0.0", "CFBundleIdentifier": "app.visiondesk.VisionDesk"}  # BUNDLE's
    (app / "Contents" / "Info.plist").write_bytes(plistlib.dumps(made))
    platforms.stamp_version(app, "0.1.0")
    info = plistlib.loads((app / "Contents" / "Info.plist").read_bytes())
    assert info == {**made, "CFBundleShortVersionString": "0.1.0", "CFBundleVersion": "0.1.0"}


def test_the_macos_bundle_metadata_keeps_the_window_and_matches_the_llama_build() -> None:
    info = plistlib.loads((PACKAGING / "macos" / "Info.plist").read_bytes())
    assert "CFBundleShortVersionString" not in info and "CFBundleVersion" not in info  # stamped per build
    assert info["LSBackgroundOnly"] is False  # the executable is console=True, which PyInstaller makes background-only
    opened = {t for d in info["CFBundleDocumentTypes"] if d["CFBundleTypeRole"] == "Viewer"
              for t in d["LSItemContentTypes"]}
    assert {"public.image", "com.adobe.pdf"} <= opened  # Open With in Finder: pictures and PDFs
    assert info["LSMinimumSystemVersion"] == platforms.MACOS_DEPLOYMENT_TARGET
    llama = cmake_options(platforms.llama_flags("macos"))
    assert llama["CMAKE_OSX_DEPLOYMENT_TARGET"] == info["LSMinimumSystemVersion"]
    entitlements = plistlib.loads((PACKAGING / "macos" / "entitlements.plist").read_bytes())
    assert entitlements and all(value is True for value in entitlements.values())


@pytest.mark.parametrize("target", ["windows", "macos"])
def test_llama_cpp_is_configured_as_the_linux_distribution_build(target: str) -> None:
    linux = cmake_options(load("llama_dist").COMMON_FLAGS)
    options = cmake_options(platforms.llama_flags(target))
    for key in ("GGML_NATIVE", "GGML_BACKEND_DL", "GGML_CPU_ALL_VARIANTS"):
        assert options[key] == linux[key], key
    assert options["GGML_NATIVE"] == "OFF" and options["GGML_CPU_ALL_VARIANTS"] == "ON"
    different = {key for key in linux if options.get(key) != linux[key]}
    assert different == ({"CMAKE_INSTALL_RPATH"} if target == "macos" else set())
    gpu = {"windows": {"GGML_VULKAN": "ON"}, "macos": {"GGML_METAL": "ON", "GGML_METAL_EMBED_LIBRARY": "ON"}}[target]
    assert gpu.items() <= options.items()


def test_the_workflow_runs_entry_points_and_files_that_exist() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert set(workflow["jobs"]) >= {"linux", "windows", "macos"}
    commands = [step["run"] for job in workflow["jobs"].values() for step in job["steps"] if "run" in step]
    calls = {(Path(words[i]).name, words[i + 1]) for cmd in commands for line in cmd.splitlines()
             if (words := shlex.split(line.replace("\\", "/"), comments=True))
             for i in range(len(words) - 1) if words[i].endswith(("packaging/build.py", "build_platforms.py"))}
    assert calls >= {("build.py", "linux"), ("build_platforms.py", "windows"), ("build_platforms.py", "macos")}
    for script, target in calls:  # each target parses: --help exits 0, an unknown target exits 2
        with pytest.raises(SystemExit) as done:
            load(script.removesuffix(".py")).main([target, "--help"])
        assert done.value.code == 0, (script, target)
    mentioned = set(re.findall(r"packaging/[\w/]+\.(?:py|sh)", "\n".join(commands)))
    assert mentioned >= {"packaging/test_deb.py", "packaging/macos/sign_and_notarize.sh"}
    for path in mentioned:
        assert (ROOT / path).is_file(), path
        if path.endswith(".sh"):
            assert os.access(ROOT / path, os.X_OK), f"{path} is run directly and must be executable"
    cache_keys = re.findall(r"hashFiles\(([^)]*)\)", WORKFLOW.read_text(encoding="utf-8"))
    cached = {path for key in cache_keys for path in re.findall(r"'([^']+)'", key)}
    assert len(cache_keys) == 3 and all((ROOT / path).is_file() for path in cached), cached


def test_the_icons_are_drawn_for_windows_and_macos(tmp_path: Path, qapp: object) -> None:
    made = platforms.render_icons(platforms.ICON_SVG, tmp_path)
    with Image.open(made["ico"]) as ico:
        assert {(16, 16), (32, 32), (256, 256)} <= set(ico.info["sizes"])
        ico.size = (256, 256)
        assert ico.convert("RGBA").getpixel((128, 20))[3] == 255  # drawn, not an empty square
    with Image.open(made["icns"]) as icns:
        assert icns.size == (1024, 1024)


def run_script(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", *map(str, args)], capture_output=True, text=True, timeout=60)


def test_the_macos_scripts_check_their_arguments_before_any_macos_tool(tmp_path: Path) -> None:
    macos = PACKAGING / "macos"
    for script in ("make_dmg.sh", "sign_and_notarize.sh"):
        assert subprocess.run(["bash", "-n", str(macos / script)]).returncode == 0, script
    done = run_script(macos / "make_dmg.sh")
    assert done.returncode != 0 and "usage: make_dmg.sh APP DMG" in done.stderr
    done = run_script(macos / "make_dmg.sh", tmp_path, tmp_path / "x.dmg")
    assert done.returncode == 2 and "is not an .app bundle" in done.stderr
    done = run_script(macos / "sign_and_notarize.sh", "sign", tmp_path)
    assert done.returncode == 2 and "is not an .app bundle" in done.stderr
    done = run_script(macos / "sign_and_notarize.sh", "notarize", tmp_path / "missing.dmg")
    assert done.returncode == 2 and "no such disk image" in done.stderr
    done = run_script(macos / "sign_and_notarize.sh", "staple")
    assert done.returncode == 2 and "usage:" in done.stderr
