"""Sentences of remote servers' errors: reaching the server, its key, its models, its limits, its answers."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from .fill import Attributes, Sentence, fill, listed, seconds, whole

_T = QCoreApplication
_MODELS_LISTED = 20  # as many of a server's model names as a sentence lists


def _key_rejected(a: Attributes) -> str:
    if not a["had_key"]:
        template = _T.translate("EngineErrors", "The server at %1 refused the request (%2). It needs an API key: add "
                                "the key to this server's settings.")
    elif a["status"] == 403:
        template = _T.translate("EngineErrors", "The server at %1 refused the request (%2). The key was accepted but "
                                "is not allowed to use this model; ask the server's administrator.")
    else:
        template = _T.translate("EngineErrors", "The server at %1 refused the request (%2). Check the API key in this "
                                "server's settings; it may be mistyped or revoked.")
    return fill(template, a["url"], a["status"])


def _model_not_found(a: Attributes) -> str:
    names = listed(a["available"])
    if not names:
        return fill(_T.translate("EngineErrors", "The server at %1 has no model called '%2', and it lists no models."),
                    a["url"], a["model"])
    shown = ", ".join(names[:_MODELS_LISTED]) + (" …" if len(names) > _MODELS_LISTED else "")
    return fill(_T.translate("EngineErrors", "The server at %1 has no model called '%2'. It has: %3. Pick one of these "
                             "(names are exact, case included)."), a["url"], a["model"], shown)


def _wait(retry_after_s: object) -> str:
    """How long to wait, in the unit a person would say it in."""
    s = float(str(retry_after_s))
    if s < 90:
        return fill(_T.translate("EngineErrors", "%1 s"), max(1, round(s)))
    if s < 5400:
        return fill(_T.translate("EngineErrors", "%1 minutes"), round(s / 60))
    return fill(_T.translate("EngineErrors", "%1 hours"), f"{s / 3600:.1f}")


def _rate_limited(a: Attributes) -> str:
    if a["retry_after_s"] is None:
        return fill(_T.translate("EngineErrors", "The server at %1 is busy with too many requests. Wait a little and "
                                 "try again."), a["url"])
    return fill(_T.translate("EngineErrors", "The server at %1 is busy with too many requests. Try again in %2."),
                a["url"], _wait(a["retry_after_s"]))


def _server_failed(a: Attributes) -> str:
    if a["status"] is None:
        return fill(_T.translate("EngineErrors", "The server at %1 failed. This is a problem on the server; try again, "
                                 "or look at the server's log."), a["url"])
    return fill(_T.translate("EngineErrors", "The server at %1 failed (%2). This is a problem on the server; try "
                             "again, or look at the server's log."), a["url"], a["status"])


def _credential_store(a: Attributes) -> str:
    templates = {
        "read": _T.translate("EngineErrors", "The system's credential store could not read the API key (%1). Unlock "
                             "the keychain (or wallet) and try again."),
        "store": _T.translate("EngineErrors", "The system's credential store could not store the API key (%1). Unlock "
                              "the keychain (or wallet) and try again."),
        "delete": _T.translate("EngineErrors", "The system's credential store could not delete the API key (%1). "
                               "Unlock the keychain (or wallet) and try again."),
    }
    return fill(templates[str(a["action"])], a["detail"])


SENTENCES: dict[str, Sentence] = {
    "remote": lambda a: fill(_T.translate("EngineErrors", "%1", "a server's error, its own message"), a["message"]),
    "server_not_added": lambda a: fill(_T.translate(
        "EngineErrors", "%1 is not one of your servers, so nothing was sent to it. Add it on the Servers page first."),
        a["url"]),
    "bad_server_address": lambda a: fill(_T.translate(
        "EngineErrors", "'%1' has an invalid port number.") if a["bad_port"] else _T.translate(
        "EngineErrors", "'%1' is not a server address. Write it like http://192.168.1.20:8000 or "
        "https://gpu.example.org/v1."), a["url"]),
    "server_already_added": lambda a: fill(_T.translate(
        "EngineErrors", "%1 is already one of your servers (%2).") if a["name"] else _T.translate(
        "EngineErrors", "%1 is already one of your servers."), a["url"], a["name"]),
    "unknown_server": lambda a: _T.translate(
        "EngineErrors", "This server is no longer one of your servers; choose another one."),
    "key_missing": lambda a: fill(_T.translate(
        "EngineErrors", "The environment variable %1 that should hold the API key is not set.") if a["env_var"] else
        _T.translate("EngineErrors", "The API key of this server is not in the credential store any more; enter it "
                     "again in the server's settings."), a["env_var"]),
    "no_server_model": lambda a: _T.translate("EngineErrors", "No server model is connected: choose a model first."),
    "server_unreachable": lambda a: fill(_T.translate(
        "EngineErrors", "Cannot reach the server at %1. Is it running, and is the address (host, port, http or https) "
        "right?"), a["url"]),
    "tls_verify_failed": lambda a: fill(_T.translate(
        "EngineErrors", "The certificate of %1 could not be verified. If the server uses your organisation's own "
        "certificate authority, add its CA bundle (a .pem file) to the server's settings."), a["url"]),
    "server_timeout": lambda a: fill(_T.translate(
        "EngineErrors", "The server at %1 sent nothing for %2 s. It may be overloaded or stuck; try again, or raise "
        "this server's timeouts if it is just slow."), a["url"], seconds(a["seconds"])),
    "key_rejected": _key_rejected,
    "model_not_found": _model_not_found,
    "image_too_large": lambda a: fill(_T.translate(
        "EngineErrors", "The server refused the image as too large. Lower the size of the images sent to this server "
        "(now %1 px on the long side), or crop the image."), whole(a["long_side"])),
    "too_many_images": lambda a: fill(_T.translate(
        "EngineErrors", "This server accepts at most %1 image(s) per prompt, and this conversation has %2. Turn on "
        "'Send only the newest image', or start a new chat for the next image."), a["limit"], a["sent"]),
    "one_image_per_prompt": lambda a: fill(_T.translate(
        "EngineErrors", "%1 on vLLM reads one image per prompt, and this conversation has %2 images. Turn on 'Send "
        "only the newest image', or start a new chat for each image. Nothing was sent."), a["model"], a["sent"]),
    "vision_not_supported": lambda a: fill(_T.translate(
        "EngineErrors", "The model '%1' on %2 does not read images. Remove the images, or pick a vision model on that "
        "server."), a["model"], a["url"]),
    "rate_limited": _rate_limited,
    "server_failed": _server_failed,
    "request_rejected": lambda a: fill(_T.translate(
        "EngineErrors", "The server at %1 did not accept the request (%2): %3"), a["url"], a["status"], a["detail"]),
    "stream_cut_off": lambda a: fill(_T.translate(
        "EngineErrors", "The answer from %1 stopped in the middle (%2 characters in), without the server saying it was "
        "finished. What arrived is kept; send again to retry."), a["url"], whole(a["chars"])),
    "malformed_chunk": lambda a: fill(_T.translate(
        "EngineErrors", "The server at %1 sent a piece of the answer VisionDesk cannot read. Is it an "
        "OpenAI-compatible server? Update the server, or report this to its developers."), a["url"]),
    "credential_store": _credential_store,
}
