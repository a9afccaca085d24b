"""Every error a window can show has a code of its own and a Chinese sentence that names what the error names.

The classes are found, not listed: every module of the product packages is imported and ``VisionDeskError``'s
subclasses are walked. A class added without a code, a sentence or a sample below fails here; so does a new
``reason_code`` of ``ImageError`` or ``HubUnavailable`` raised in the product without a sample (found by reading
the raise sites). Each sample is rendered with the zh_CN translation loaded.
"""

from __future__ import annotations

import ast
import importlib
import pickle
import pkgutil
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale
from visiondesk.batch import errors as batch
from visiondesk.batch.inputs import collect_images
from visiondesk.desktop.data_size import format_size
from visiondesk.desktop.error_text import SENTENCES, error_text
from visiondesk.desktop.i18n import install_language
from visiondesk.engine import errors, number_rules
from visiondesk.engine.images import check_image_file
from visiondesk.engine.llama.worker.protocol import ErrorReply
from visiondesk.engine.pdf_pages import PageRangeInvalid, PdfUnreadable
from visiondesk.engine.remote import errors as remote
from visiondesk.engine.remote.target import normalize_base_url
from visiondesk.engine.structured import read_json_file
from visiondesk.models import errors as models
from visiondesk.models.catalog import ModelCatalog

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("engine", "models", "core", "batch", "api", "cli")
CJK = re.compile(r"[\u4e00-\u9fff]")
PLACEHOLDER = re.compile(r"%\d")
URL = "http://gpu.lan:8000"
GIB = 2**30

# A class that deliberately shares its base's code, and why (none today: every class names its own failure).
SHARED_CODES: dict[type, str] = {}


def product_error_classes() -> set[type[errors.VisionDeskError]]:
    """Every ``VisionDeskError`` class defined in the product packages, after importing all of their modules."""
    for package in PRODUCT:
        root = importlib.import_module(f"visiondesk.{package}")
        for info in pkgutil.walk_packages(root.__path__, f"{root.__name__}."):
            if not info.name.endswith("__main__"):
                importlib.import_module(info.name)

    def walk(cls: type[errors.VisionDeskError]) -> Iterator[type[errors.VisionDeskError]]:
        yield cls
        for sub in cls.__subclasses__():
            yield from walk(sub)

    return {c for c in walk(errors.VisionDeskError)
            if c.__module__.startswith("visiondesk.") and ".tests" not in c.__module__}


def image(reason_code: str, **values: object) -> errors.ImageError:
    return errors.ImageError("/photos/receipt.png", "the English reason", reason_code, **values)


def raised(call: Callable[[], object]) -> errors.VisionDeskError:
    """The error ``call`` raises (a real raise site's arguments)."""
    with pytest.raises(errors.VisionDeskError) as caught:
        call()
    return caught.value


def samples() -> dict[type, list[tuple[errors.VisionDeskError, tuple[str, ...]]]]:
    """One or more real instances per class, and what the sentence must name (sizes as the UI writes them now)."""
    n = QLocale().toString
    served = ModelCatalog.load().remote_entries[0]  # the catalog's model that runs on a server
    return {
        errors.VisionDeskError: [(errors.VisionDeskError("Run the batch first."), ("Run the batch first.",))],
        errors.InputError: [(errors.InputError("/out/receipts.csv already exists; choose another name."),
                             ("/out/receipts.csv",))],
        errors.ModelFileMissing: [(errors.ModelFileMissing(Path("/models/gone.gguf")), ("/models/gone.gguf",))],
        errors.NotAModelFile: [(errors.NotAModelFile(Path("/models/folder"), "model", "a folder"),
                                ("/models/folder",))],
        errors.NotAGGUF: [(errors.NotAGGUF(Path("/models/photo.jpg")), ("/models/photo.jpg",))],
        errors.TruncatedGGUF: [(errors.TruncatedGGUF(Path("/models/half.gguf"), "ends early"),
                                ("/models/half.gguf",))],
        errors.UnknownArchitecture: [(errors.UnknownArchitecture(Path("/models/new.gguf"), "mamba9"),
                                      ("new.gguf", "mamba9"))],
        errors.NotAProjector: [(errors.NotAProjector(Path("/models/llava.gguf"), "llama"), ("llava.gguf",))],
        errors.ProjectorMismatch: [(errors.ProjectorMismatch(Path("/m/a.gguf"), Path("/m/mmproj-b.gguf"), 64, 96),
                                    ("a.gguf", "mmproj-b.gguf"))],
        errors.ImagesNeedProjector: [(errors.ImagesNeedProjector(Path("/m/text-only.gguf")), ("text-only.gguf",)),
                                     (errors.ImagesNeedProjector(None), ("该模型",))],
        errors.ContextOverflow: [(errors.ContextOverflow(5000, 4096), ("5000", "4096"))],
        PdfUnreadable: [(PdfUnreadable("payslip.pdf", "password"), ("payslip.pdf", "密码")),
                        (PdfUnreadable("torn.pdf", "damaged", "Data format error"), ("torn.pdf", "已损坏")),
                        (PdfUnreadable("blank.pdf", "no_pages"), ("blank.pdf", "没有页面")),
                        (PdfUnreadable("moved.pdf", "unopenable", "FileNotFoundError"), ("moved.pdf", "无法打开")),
                        (PdfUnreadable("odd.pdf", "crashed"), ("odd.pdf", "意外停止")),
                        (PdfUnreadable("huge.pdf", "stuck"), ("huge.pdf", "超过一分钟"))],
        PageRangeInvalid: [(PageRangeInvalid("12-3", 40), ("12-3", "40", "页码范围"))],
        number_rules.BadGpuSplit: [(raised(lambda: number_rules.parse_gpu_split("1,x")), ("1,x", "16", "GPU 分配"))],
        errors.NoChatTemplate: [(errors.NoChatTemplate(Path("/m/base.gguf")), ("base.gguf",))],
        errors.ImageError: [
            (image("missing"), ("receipt.png", "不存在")),
            (raised(lambda: check_image_file(Path(__file__).parent)), (str(Path(__file__).parent), "文件夹")),
            (image("not_a_file", kind="pipe", detail=""), ("receipt.png", "命名管道", "不是图片文件")),
            (image("not_a_file", kind="broken_link", detail="/gone/photo.png"), ("/gone/photo.png", "符号链接")),
            (image("not_a_file_any_more"), ("receipt.png", "普通文件")),
            (image("too_large", size=300_000_000, max_bytes=200_000_000),
             (format_size(300_000_000), format_size(200_000_000))),
            (image("unreadable", detail="Permission denied"), ("Permission denied",)),
            (image("nothing_given"), ("没有提供",)),
            (image("too_many_pixels", width=40_000, height=30_000, max_pixels=1_000_000_000),
             ("40000×30000", n(1_000_000_000))),
            (image("bomb", width=20_000, height=20_000, size=30_000), ("20000×20000", format_size(30_000))),
            (image("over_pixel_limit", max_pixels=1_000_000_000), (n(1_000_000_000),)),
            (image("empty"), ("0 字节",)),
            (image("damaged_start"), ("损坏",)),
            (image("unknown_format"), ("PNG",)),
            (image("damaged", detail="broken PNG chunk"), ("broken PNG chunk",)),
            (image("truncated", detail="image file is truncated"), ("image file is truncated",)),
            (image("too_small", width=1, height=1), ("1×1",)),
            (image("out_of_memory"), ("内存不足",)),
            (image("not_rgb"), ("RGB",)),
            (image("changed"), ("重新发送",)),
        ],
        errors.ChatTemplateFailed: [(errors.ChatTemplateFailed("'dict object' has no attribute 'tools'"),
                                     ("'dict object' has no attribute 'tools'", "对话模板"))],
        errors.JsonFileUnreadable: [(raised(lambda: read_json_file(Path("/nowhere/receipt.json"), "schema")),
                                     ("/nowhere/receipt.json", "无法读取")),
                                    (errors.JsonFileUnreadable(Path("/p/mine.json"), "preset", "Expecting value",
                                                               not_json=True),
                                     ("/p/mine.json", "预设", "Expecting value"))],
        errors.NoSuchGpu: [(errors.NoSuchGpu(2, 1), ("2", "1 个 GPU"))],
        errors.GpuSplitMismatch: [(errors.GpuSplitMismatch(3, 2), ("3 份", "2 个 GPU"))],
        errors.UnsupportedSchema: [(errors.UnsupportedSchema("#/properties/a", "patternProperties", "is not supported"),
                                    ("#/properties/a", "patternProperties"))],
        errors.AnswerInvalid: [(errors.AnswerInvalid("it is not JSON"), ("it is not JSON",))],
        errors.EngineCrashed: [(errors.EngineCrashed(-9, "loading the model"), ("模型进程",))],
        errors.EngineHung: [(errors.EngineHung("loading the model", 45.0), ("45",))],
        errors.EngineProtocolError: [(errors.EngineProtocolError("unknown message Foo"), ("VisionDesk",))],
        errors.EngineClosed: [(errors.EngineClosed("loading the model"), ("模型已关闭",))],
        errors.ModelLoadFailed: [(errors.ModelLoadFailed("llama.cpp could not load /m/x.gguf"), ("/m/x.gguf",))],
        errors.EngineFailure: [(errors.EngineFailure("llama_decode failed with code 1"), ("code 1",))],
        number_rules.BadNumber: [(number_rules.CONTEXT_TOKENS.error(-5), ("-5",)),
                                 (number_rules.THREADS.error(0), ("0",))],
        remote.RemoteError: [(remote.RemoteError("the server hung up"), ("the server hung up",))],
        remote.ServerNotAdded: [(remote.ServerNotAdded(URL), (URL,))],
        remote.BadServerAddress: [(raised(lambda: normalize_base_url("ftp://gpu/v1")),
                                   ("ftp://gpu/v1", "不是服务器地址")),
                                  (raised(lambda: normalize_base_url("http://gpu:port")), ("http://gpu:port", "端口"))],
        remote.ServerAlreadyAdded: [(remote.ServerAlreadyAdded(f"{URL}/v1"), (f"{URL}/v1",)),
                                    (remote.ServerAlreadyAdded(f"{URL}/v1", "lab"), (f"{URL}/v1", "lab"))],
        remote.UnknownServer: [(remote.UnknownServer("lab-1a2b3c"), ("服务器列表",))],
        remote.KeyMissing: [(remote.KeyMissing("LAB_API_KEY"), ("LAB_API_KEY",)), (remote.KeyMissing(), ("凭据存储",))],
        remote.NoServerModel: [(remote.NoServerModel(), ("选择",))],
        remote.ServerUnreachable: [(remote.ServerUnreachable(URL, "connection refused"), (URL,))],
        remote.TlsVerifyFailed: [(remote.TlsVerifyFailed("https://gpu.lan", "self-signed"), ("https://gpu.lan",))],
        remote.ServerTimeout: [(remote.ServerTimeout(URL, "first byte", 60.0), (URL, "60"))],
        remote.KeyRejected: [(remote.KeyRejected(URL, 401, False), (URL, "401", "添加密钥")),
                             (remote.KeyRejected(URL, 403, True), (URL, "403", "管理员")),
                             (remote.KeyRejected(URL, 401, True), (URL, "401", "检查"))],
        remote.ModelNotFound: [(remote.ModelNotFound("llava", URL, ["qwen-vl", "gemma"]),
                                (URL, "llava", "qwen-vl, gemma")),
                               (remote.ModelNotFound("llava", URL, []), (URL, "llava", "没有列出"))],
        remote.ImageTooLarge: [(remote.ImageTooLarge("413 Payload Too Large", 2048), (n(2048),))],
        remote.TooManyImages: [(remote.TooManyImages(2, 5), ("2", "5"))],
        remote.OneImagePerPrompt: [(remote.OneImagePerPrompt("llama-3.2-vision", 3), ("llama-3.2-vision", "3"))],
        remote.VisionNotSupported: [(remote.VisionNotSupported("phi-text", URL), ("phi-text", URL))],
        remote.RateLimited: [(remote.RateLimited(URL, 130.0), (URL, "2 分钟")),
                             (remote.RateLimited(URL, 20.0), (URL, "20 秒")),
                             (remote.RateLimited(URL, None), (URL, "稍等"))],
        remote.ServerFailed: [(remote.ServerFailed(URL, 503, "overloaded"), (URL, "503")),
                              (remote.ServerFailed(URL, None), (URL,))],
        remote.RequestRejected: [(remote.RequestRejected(URL, 422, "unknown field 'foo'"),
                                  (URL, "422", "unknown field 'foo'"))],
        remote.StreamCutOff: [(remote.StreamCutOff(URL, 1234), (URL, n(1234)))],
        remote.MalformedChunk: [(remote.MalformedChunk(URL, "not JSON"), (URL,))],
        remote.CredentialStoreError: [(remote.CredentialStoreError("store", "the keyring is locked"),
                                       ("保存", "the keyring is locked")),
                                      (remote.CredentialStoreError("read", "no wallet"), ("读取", "no wallet")),
                                      (remote.CredentialStoreError("delete", "denied"), ("删除", "denied"))],
        batch.InputNotFound: [(raised(lambda: collect_images([Path("/nowhere/scans")])), ("/nowhere/scans", "不存在"))],
        batch.ImageListUnreadable: [(batch.ImageListUnreadable(Path("/lists/scans.txt"), "Permission denied"),
                                     ("/lists/scans.txt", "Permission denied"))],
        batch.NotAResultRow: [(batch.NotAResultRow(Path("/out/r.jsonl"), 7, resuming=True), ("/out/r.jsonl", "7")),
                              (batch.NotAResultRow(Path("/out/r.jsonl"), 3, "Expecting value", resuming=False),
                               ("/out/r.jsonl", "3", "Expecting value"))],
        batch.ResultColumnsDiffer: [(batch.ResultColumnsDiffer(Path("/out/r.csv"), ["image", "answer"],
                                                               ["image", "total", "date"]),
                                     ("/out/r.csv", "image, answer", "image, total, date"))],
        batch.ResultOfAnotherTask: [(batch.ResultOfAnotherTask(Path("/out/r.jsonl")), ("/out/r.jsonl", "另一个任务"))],
        batch.ExportExists: [(batch.ExportExists(Path("/out/r.csv")), ("/out/r.csv", "已存在"))],
        batch.BadPreset: [(batch.BadPreset("/p/a.json", "not_object"), ("/p/a.json", "JSON 对象")),
                          (batch.BadPreset("/p/a.json", "no_prompt"), ("/p/a.json", "prompt")),
                          (batch.BadPreset("/p/a.json", "schema_not_object"), ("/p/a.json", "schema")),
                          (batch.BadPreset("/p/a.json", "bad_export", "rows"), ("/p/a.json", "'rows'", "fields"))],
        batch.UnknownPreset: [(batch.UnknownPreset("receipts", ["invoice", "receipt"], Path("/data/presets")),
                               ("receipts", "invoice, receipt", "/data/presets"))],
        models.ModelManagerError: [(models.ModelManagerError("the registry is locked"), ("the registry is locked",))],
        models.HubUnavailable: [
            (models.HubUnavailable("Offline mode is on", "offline"), ("HF_HUB_OFFLINE",)),
            (models.HubUnavailable("busy", "busy", endpoint="https://hf.example", status=503),
             ("https://hf.example", "HTTP 503")),
            (models.HubUnavailable("gated", "gated", repo_id="org/gated-GGUF"), ("org/gated-GGUF",)),
            (models.HubUnavailable("refused", "refused", endpoint="https://hf.example", status=451),
             ("https://hf.example", "HTTP 451")),
            (models.HubUnavailable("unreachable", "unreachable", endpoint="https://hf.example"),
             ("https://hf.example",)),
        ],
        models.RepositoryNotFound: [(models.RepositoryNotFound("org/missing-GGUF"), ("org/missing-GGUF",))],
        models.NoVisionFiles: [(models.NoVisionFiles("org/text-GGUF", no_mmproj=True), ("org/text-GGUF", "mmproj")),
                               (models.NoVisionFiles("org/vl-GGUF", "Q5_K_M", "Q4_K_M, Q8_0"),
                                ("org/vl-GGUF", "Q5_K_M", "Q4_K_M, Q8_0")),
                               (models.NoVisionFiles("org/empty-GGUF"), ("org/empty-GGUF",))],
        models.NotEnoughDiskSpace: [
            (models.NotEnoughDiskSpace(Path("/data/models"), 5 * GIB, GIB), ("/data/models", format_size(5 * GIB),
                                                                             format_size(GIB), "磁盘空间不足")),
            (models.NotEnoughDiskSpace(Path("/data/models"), 5 * GIB, 0, during=True), ("/data/models", "下载过程中")),
        ],
        models.ChecksumMismatch: [(models.ChecksumMismatch("mmproj-f16.gguf", "ab" * 32, "cd" * 32),
                                   ("mmproj-f16.gguf",))],
        models.DownloadFailed: [(models.DownloadFailed("model-Q4.gguf", 5, "timed out", 1_000_000),
                                 ("model-Q4.gguf", "5", format_size(1_000_000))),
                                (models.DownloadFailed("model-Q4.gguf", 5, "timed out", 0),
                                 ("model-Q4.gguf", "没有保留"))],
        models.DownloadBusy: [(models.DownloadBusy("model-Q4.gguf", Path("/data/models/org")),
                               ("model-Q4.gguf", "/data/models/org"))],
        models.DownloadCancelled: [(models.DownloadCancelled(), ("已取消",))],
        models.ModelNotInstalled: [(models.ModelNotInstalled("qwen-vl"), ("qwen-vl",))],
        models.NotARepository: [(models.NotARepository("tiny vision", ["gemma-3-4b", "qwen2.5-vl-3b"]),
                                 ("tiny vision", "gemma-3-4b, qwen2.5-vl-3b", "仓库"))],
        models.RunsOnAServer: [(models.RunsOnAServer(served.title, served.remote), (served.title, "服务器"))],
        models.ImportNameTaken: [(models.ImportNameTaken(Path("/data/models/local/a.gguf")),
                                  ("/data/models/local/a.gguf", "已存在"))],
        models.FilesDoNotPair: [(models.FilesDoNotPair("The projector b.gguf does not belong to a.gguf."),
                                 ("The projector b.gguf", "不匹配")),
                                (models.FilesDoNotPair("x.gguf is not a projector.", "downloaded"),
                                 ("x.gguf", "已删除")),
                                (models.FilesDoNotPair("x.gguf is not a projector.", "headers"),
                                 ("x.gguf", "没有下载"))],
    }


def raised_reason_codes(package: str, class_name: str, position: int) -> set[str]:
    """The literal reason codes the product passes to ``class_name`` (argument ``position``) in ``package``."""
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == class_name
                    and len(node.args) > position):
                arg = node.args[position]
                assert isinstance(arg, ast.Constant) and isinstance(arg.value, str), (path, ast.unparse(node))
                found.add(arg.value)
    return found


@pytest.fixture
def chinese(qapp, tmp_path: Path) -> Iterator[None]:
    try:
        assert install_language("zh_CN", tmp_path / "i18n") == "zh_CN"
        yield
    finally:
        install_language("en", tmp_path / "i18n")


def test_every_error_class_has_a_code_of_its_own_and_a_sentence() -> None:
    classes = product_error_classes()
    assert {errors.ImageError, remote.KeyRejected, models.ChecksumMismatch, number_rules.BadNumber} <= classes
    own = {c: c.__dict__.get("code") for c in classes}
    assert sorted(c.__qualname__ for c, code in own.items() if code is None and c not in SHARED_CODES) == []
    codes = [code for code in own.values() if code is not None]
    assert sorted(c for c in codes if codes.count(c) > 1) == [], "two classes share a code"
    assert sorted(set(codes) - set(SENTENCES)) == [], "codes without a sentence"
    assert sorted(set(SENTENCES) - set(codes)) == [], "sentences of codes no class has"


def test_every_class_and_every_reason_code_has_a_sample(chinese) -> None:
    table = samples()
    assert sorted(c.__qualname__ for c in product_error_classes() - set(table)) == [], "add a sample for these"
    image_codes = {e.reason_code for e, _ in table[errors.ImageError] if isinstance(e, errors.ImageError)}
    assert raised_reason_codes("engine", "ImageError", 2) == image_codes
    hub_codes = {e.reason_code for e, _ in table[models.HubUnavailable] if isinstance(e, models.HubUnavailable)}
    assert raised_reason_codes("models", "HubUnavailable", 1) == hub_codes


def test_every_sample_reads_in_chinese_and_names_what_the_error_names(chinese) -> None:
    wrong = []
    for cls, cases in samples().items():
        for error, names in cases:
            assert type(error) is cls
            text = error_text(error)
            if not CJK.search(text) or PLACEHOLDER.search(text) or not all(v in text for v in names):
                wrong.append((cls.__qualname__, text, names))
    assert wrong == []


def test_the_english_window_keeps_the_english_words(qapp) -> None:
    unreachable = error_text(remote.ServerUnreachable(URL, "connection refused"))
    assert unreachable.startswith(f"Cannot reach the server at {URL}.") and not CJK.search(unreachable)
    words = "/out/receipts.csv already exists; choose another name."
    assert error_text(errors.InputError(words)) == words
    assert "It needs an API key" in error_text(remote.KeyRejected(URL, 401, False))


def test_errors_keep_their_sentence_across_the_process_boundary(chinese) -> None:
    """What the engine process sends (pickled ``ErrorReply``) comes back as the same sentence."""
    crossing = [(e, names) for cls, cases in samples().items() for e, names in cases
                if errors._BY_NAME.get(cls.__name__) is cls]
    assert len(crossing) >= 20
    for error, _ in crossing:
        back = pickle.loads(pickle.dumps(ErrorReply.of(error))).error()
        assert type(back) is type(error) and error_text(back) == error_text(error)


def test_an_error_without_the_attributes_of_its_sentence_shows_its_own_message(chinese) -> None:
    for kind in ("ImageError", "ContextOverflow", "UnknownArchitecture"):
        bare = errors.rebuild(kind, "English words", {})
        assert error_text(bare) == "English words"
    no_values = errors.rebuild("ImageError", "English words", {"source": "a.png", "reason": "x", "reason_code": "new",
                                                                      "reason_values": {}})
    assert error_text(no_values) == "English words"
