"""Renders a conversation with the model's own Jinja chat template, images as media markers."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..errors import ChatTemplateFailed
from ..requests import Message

if TYPE_CHECKING:
    from jinja2 import Template

# jinja2 (about 50 ms to import) is imported when a prompt is first rendered: the desktop window imports the
# local engine at start-up but renders nothing until the user sends a message.

# libmtmd's default media marker (mtmd_default_marker()); the child splits the prompt on it.
MEDIA_MARKER = "<__media__>"


def _raise(message: str) -> None:
    from jinja2 import TemplateError

    raise TemplateError(message)


@functools.lru_cache(maxsize=8)
def _compiled(template: str) -> Template:
    """Compiling a template costs milliseconds; a conversation renders the same one every turn."""
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals["raise_exception"] = _raise
    env.globals["strftime_now"] = lambda fmt: datetime.datetime.now().strftime(fmt)
    return env.from_string(template)


def message_content(message: Message) -> str:
    """A message's text with one media marker per image, images first (as most models are trained)."""
    if not message.images:
        return message.text
    return "".join(MEDIA_MARKER for _ in message.images) + "\n" + message.text


def render_prompt(template: str, messages: Sequence[Message], *, bos_token: str = "", eos_token: str = "",
                  add_generation_prompt: bool = True) -> str:
    """The prompt text for ``messages``; a BOS the tokenizer adds anyway is not repeated."""
    from jinja2 import TemplateError

    items: list[dict[str, Any]] = [{"role": m.role, "content": message_content(m)} for m in messages]
    try:
        text = _compiled(template).render(
            messages=items, add_generation_prompt=add_generation_prompt, bos_token=bos_token,
            eos_token=eos_token, tools=None, documents=None)
    except TemplateError as exc:
        raise ChatTemplateFailed(str(exc)) from exc
    if bos_token and text.startswith(bos_token):
        text = text[len(bos_token):]
    return text
