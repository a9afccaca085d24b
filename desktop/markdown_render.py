r"""Markdown → the HTML subset QTextBrowser understands, with no way to reach the network.

Raw HTML in answers is disabled (shown as text), images in answers become their alt text, and each
code block gets a ``copy:N`` link the transcript turns into a clipboard copy. LaTeX formulas (``$...$``,
``$$...$$``, ``\(...\)``, ``\[...\]``; prices such as ``$5 and $10`` stay text) go to the caller's ``math``
drawer, which gives back an image resource (``math_render``), or stay as their source where it cannot.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Callable, Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.texmath import texmath_plugin

# Draws a formula: (LaTeX, display) -> its pieces in order, each an image (resource URL, width, height in logical
# pixels) or words to show as text; None to show the source.
MathDrawer = Callable[[str, bool], "list[tuple[str, int, int] | str] | None"]

COPY_SCHEME = "copy"
MATH_SCHEME = "math"  # formulas drawn by math_render, served by the message view: math:<key>


@dataclasses.dataclass(frozen=True)
class RenderedMarkdown:
    """HTML for the transcript plus the raw text of each code block (for the copy links)."""

    html: str
    code_blocks: tuple[str, ...]


def _fence(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict,
           env: EnvType) -> str:
    token = tokens[idx]
    blocks: list[str] = env.setdefault("code_blocks", [])
    blocks.append(token.content)
    lang = html.escape(token.info.strip().split(" ")[0]) if token.info else ""
    label = env.get("copy_label", "Copy")
    head = (f'<table class="codehead" width="100%" cellspacing="0" cellpadding="2"><tr>'
            f'<td class="lang">{lang}</td><td align="right">'
            f'<a href="{COPY_SCHEME}:{len(blocks) - 1}">{html.escape(label)}</a></td></tr></table>')
    return f'{head}<pre class="code">{html.escape(token.content.rstrip(chr(10)))}</pre>\n'


def _image(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict,
           env: EnvType) -> str:
    # Never let an answer make the viewer fetch anything: show what the image would have been.
    token = tokens[idx]
    alt = self.renderInlineAsText(token.children or [], options, env)
    return f"[{html.escape(alt or 'image')}]"


def _math(display: bool) -> Callable[..., str]:
    def rule(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        latex = tokens[idx].content
        drawer: MathDrawer | None = env.get("math")
        drawn = drawer(latex, display) if drawer is not None else None
        if drawn is None:  # its source, as the model wrote it
            source = html.escape(latex.strip())
            return f'<pre class="code">{source}</pre>\n' if display else f"<code>{source}</code>"
        parts = [html.escape(piece) if isinstance(piece, str) else
                 f'<img src="{html.escape(piece[0])}" width="{piece[1]}" height="{piece[2]}" '
                 'style="vertical-align: middle">' for piece in drawn]
        return f'<p align="center">{"".join(parts)}</p>\n' if display else "".join(parts)
    return rule


def _make_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": False})
    md.enable(["table", "strikethrough"])
    # $...$ and $$...$$, as pandoc reads them: no space inside the dollars, no digit right after the closing
    # one, so prices ("$12.50, tax $1.03", "$5-$10") stay text
    md.use(dollarmath_plugin, allow_digits=False, allow_space=False, double_inline=True)
    md.use(texmath_plugin, delimiters="brackets")  # \(...\) and \[...\]
    md.add_render_rule("fence", _fence)
    md.add_render_rule("code_block", _fence)
    md.add_render_rule("image", _image)
    for kind in ("math_inline", "math_single"):
        md.add_render_rule(kind, _math(False))
    for kind in ("math_inline_double", "math_block", "math_block_label", "math_block_eqno"):
        md.add_render_rule(kind, _math(True))
    return md


_MD = _make_parser()


def render_markdown(text: str, copy_label: str = "Copy", math: MathDrawer | None = None) -> RenderedMarkdown:
    """Render ``text``; unclosed fences while streaming still render as code, an unclosed formula as text."""
    env: dict[str, Any] = {"copy_label": copy_label, "math": math}
    body = _MD.render(text, env).replace(
        "<table>", '<table class="md" border="1" cellspacing="0" cellpadding="4">')
    return RenderedMarkdown(body, tuple(env.get("code_blocks", [])))


def style_sheet(dark: bool) -> str:
    """CSS for the transcript's documents (QTextDocument supports a subset of CSS 2.1)."""
    code_bg = "#2b2f36" if dark else "#f3f4f6"
    border = "#555b66" if dark else "#c8ccd2"
    head_bg = "#3a3f48" if dark else "#e6e8eb"
    link = "#8ab4f8" if dark else "#1a5fb4"
    return (
        f"pre.code {{ background-color: {code_bg}; font-family: monospace; padding: 6px; margin-top: 0; }}"
        f"code {{ font-family: monospace; background-color: {code_bg}; }}"
        f"table.codehead {{ background-color: {head_bg}; margin-bottom: 0; }}"
        f"td.lang {{ font-family: monospace; }}"
        f"th {{ background-color: {head_bg}; font-weight: bold; padding: 4px 8px; }}"
        f"td {{ padding: 4px 8px; }}"
        f"table.md {{ border-collapse: collapse; border-color: {border}; margin: 4px 0; }}"
        f"a {{ color: {link}; }}"
        "h1 { font-size: x-large; } h2 { font-size: large; } h3 { font-size: medium; }"
        "p { margin-top: 4px; margin-bottom: 4px; }"
    )
