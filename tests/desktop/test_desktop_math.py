r"""Formulas in answers (a photo of maths homework): $...$, $$...$$, \(...\) and \[...\] are drawn on this computer
as images in the answer's colours, Chinese words in them included; money stays text; what cannot be parsed stays
its source."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QImage, QTextDocument
from visiondesk.desktop.markdown_render import render_markdown

ANSWER = ("Solve $x^2 - 5x + 6 = 0$ with\n\n$$x = \\frac{-b \\pm \\sqrt{b^2-4ac}}{2a}$$\n\n"
          "so \\(x_1 = 2\\) and \\(x_2 = 3\\). It costs $5 and $10. In Chinese: $\\text{面积} = \\pi r^2$, "
          "$v = \\frac{\\text{路程}}{\\text{时间}}$.\n\n"
          "\\[\n\\int_0^1 x^2\\,dx = \\frac{1}{3}\n\\]\n")
SOURCE = "v = \\frac{\\text{路程}}{\\text{时间}}"
DRAWN = ["x^2 - 5x + 6 = 0", "x = \\frac{-b \\pm \\sqrt{b^2-4ac}}{2a}", "x_1 = 2", "x_2 = 3",
         "\\int_0^1 x^2\\,dx = \\frac{1}{3}"]


def test_markdown_finds_each_kind_of_formula_and_leaves_money_and_code_alone() -> None:
    calls: list[tuple[str, bool]] = []

    def drawer(latex: str, display: bool) -> list[tuple[str, int, int] | str] | None:
        calls.append((latex.strip(), display))
        return None if "路程" in latex else [(f"math:{len(calls)}", 40, 12)]

    out = render_markdown(ANSWER + "\n`$y$ in code` and unclosed $z^2 +", math=drawer)
    assert [c for c, _ in calls] == DRAWN[:4] + ["\\text{面积} = \\pi r^2", SOURCE] + DRAWN[4:]
    assert [d for _, d in calls] == [False, True, False, False, False, False, True]
    assert out.html.count('<img src="math:') == 6 and '<p align="center"><img src="math:2"' in out.html
    assert "costs $5 and $10" in out.html  # a $ before a digit is money
    assert f"<code>{SOURCE}</code>" in out.html  # not drawable: its source
    assert "<code>$y$ in code</code>" in out.html and "unclosed $z^2 +" in out.html
    plain = render_markdown("$a<b$ and $$c$$")  # no drawer (the export, a test): sources, escaped
    assert "<code>a&lt;b</code>" in plain.html and '<pre class="code">c</pre>' in plain.html


def glyph_pixels(image: QImage) -> list[int]:
    """The grey level of every pixel the formula drew (alpha over half)."""
    image = image.convertToFormat(QImage.Format.Format_ARGB32)
    out = []
    for y in range(image.height()):
        for x in range(image.width()):
            c = image.pixelColor(x, y)
            if c.alpha() > 128:
                out.append((c.red() + c.green() + c.blue()) // 3)
    return out


def open_answer(qtbot, shell, text: str):
    """A conversation with one question and ``text`` as its answer, opened in the window; the answer's body."""
    conversation = shell.store.create_conversation("Homework")
    shell.store.add_message(conversation.id, "user", "How do I solve question 3?")
    answer = shell.store.add_message(conversation.id, "assistant", text)
    shell.conversations.refresh()
    shell.conversations.select(conversation.id)
    qtbot.waitUntil(lambda: answer.id in shell.presenter.views, timeout=5_000)
    return shell.presenter.views[answer.id].body


def test_an_answers_formulas_are_drawn_in_its_colours_and_served_only_from_here(qtbot, data_dir: Path) -> None:
    from tests.desktop.conftest import open_shell, write_settings

    write_settings(data_dir)
    shell = open_shell(qtbot, data_dir, wait_loaded=False)
    try:
        body = open_answer(qtbot, shell, ANSWER)
        html = body.document().toHtml()
        assert html.count('src="math:') == 7
        assert len(body.formulas) == 7
        text = body.document().toPlainText()
        assert "It costs $5 and $10" in text  # money
        assert "Chinese: 面积" in text and "\\text" not in text  # top-level words as text, the fraction drawn
        for url, image in body.formulas.items():
            served = body.loadResource(QTextDocument.ResourceType.ImageResource.value, QUrl(url))
            assert served is image and not image.isNull()
            ink = glyph_pixels(image)
            # glyphs, not the blank rules an SVG 2 <symbol> leaves in QtSvg: a good share of the box is ink
            assert len(ink) > 0.04 * image.width() * image.height(), url
            assert sum(ink) / len(ink) < 110, "dark ink on the light theme"
        fraction = next(img for img in body.formulas.values() if img.height() > 2 * min(
            i.height() for i in body.formulas.values()))  # the displayed fraction is taller than inline ones
        assert fraction.width() > 100
        assert body.loadResource(QTextDocument.ResourceType.ImageResource.value,
                                 QUrl("https://example.com/x.png")) is None  # nothing remote, ever

        shell.set_theme("dark")
        for image in body.formulas.values():
            ink = glyph_pixels(image)
            assert sum(ink) / len(ink) > 150, "light ink on the dark theme"
    finally:
        shell.set_theme("light")
        shell.shutdown()


def test_a_formula_streams_in_as_text_until_it_is_closed(qtbot, data_dir: Path) -> None:
    from tests.desktop.conftest import open_shell, write_settings

    write_settings(data_dir)
    shell = open_shell(qtbot, data_dir, wait_loaded=False)
    try:
        body = open_answer(qtbot, shell, "The roots are")
        message_id = next(mid for mid, v in shell.presenter.views.items() if v.body is body)
        shell.presenter.set_text(message_id, "The roots are $x = \\frac{1")
        assert body.formulas == {} and "$x = \\frac{1" in body.document().toPlainText()
        shell.presenter.set_text(message_id, "The roots are $x = \\frac{1}{2}$.")
        assert len(body.formulas) == 1 and "$" not in body.document().toPlainText()
        shell.presenter.set_text(message_id, "Broken: $\\frac{1$ stays readable.")  # ziamath cannot parse it
        assert body.formulas == {} and "\\frac{1" in body.document().toPlainText()
    finally:
        shell.shutdown()


def test_chinese_words_at_a_formulas_top_level_become_text_between_its_drawn_pieces(qtbot) -> None:
    from visiondesk.desktop.math_render import draw_pieces, split_text

    units = "5\\text{米} \\times 3\\text{米} = 15\\text{平方米}"
    assert split_text(units) == [("5", False), ("米", True), (" \\times 3", False), ("米", True), (" = 15", False),
                                 ("平方米", True)]
    assert split_text("x^2 + \\text{if } y") == [("x^2 + \\text{if } y", False)]  # Latin words stay in the formula
    assert split_text(SOURCE) == [(SOURCE, False)]  # inside a group: cutting would change it, so it is drawn
    assert split_text("面积 = 3") == [("面积 = 3", False)]  # bare Chinese in the formula: drawn too
    pieces = draw_pieces(units, False, "#000000", 14, 1.0)
    assert pieces is not None and [p if isinstance(p, str) else "img" for p in pieces] == \
        ["img", "米", "img", "米", "img", "平方米"]


def _ink(image: QImage, top: int, bottom: int) -> list[tuple[int, int]]:
    """The pixels (x, y - top) of rows top..bottom drawn at over half opacity."""
    return [(x, y - top) for y in range(top, bottom) for x in range(image.width())
            if image.pixelColor(x, y).alpha() > 128]


def test_chinese_inside_a_fraction_is_written_where_ziamath_left_room(qtbot) -> None:
    from PySide6.QtGui import QFontDatabase
    from visiondesk.desktop.math_render import STAND_IN, draw

    assert QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese), \
        "no font with Chinese on this machine (Debian: apt-get install fonts-noto-cjk)"
    formula = draw(SOURCE, True, "#c81e1e", 20, 1.0)  # red ink: Qt's default pen (black) would not pass
    assert formula is not None
    image = formula.image.convertToFormat(QImage.Format.Format_ARGB32)
    colours = {image.pixelColor(x, y).name() for y in range(image.height()) for x in range(image.width())}
    assert not any(c.startswith(STAND_IN) for c in colours)  # the blanks' fills are gone
    bar = max(range(image.height()), key=lambda y: len(_ink(image, y, y + 1)))  # the fraction bar: the widest row
    half = min(bar, image.height() - bar - 1) - 2
    above, below = _ink(image, bar - 1 - half, bar - 1), _ink(image, bar + 2, bar + 2 + half)
    area = image.width() * half
    assert len(above) > 0.08 * area and len(below) > 0.08 * area  # both words are ink, not empty room
    overlap = len(set(above) & set(below)) / min(len(above), len(below))
    assert overlap < 0.6, "路程 and 时间 drew alike: missing-glyph boxes, not the words"
    ink = [image.pixelColor(x, y + bar + 2) for x, y in below]
    assert all(c.red() > c.green() + c.blue() for c in ink), "the words in the formula's colour"


def test_a_word_in_a_formula_is_the_size_of_the_text_around_it(qtbot) -> None:
    from PySide6.QtGui import QFont, QFontMetricsF
    from visiondesk.desktop.math_render import draw

    font = QFont()
    font.setPixelSize(40)
    expected = QFontMetricsF(font).tightBoundingRect("面").height()
    formula = draw("面", True, "#202020", 40, 1.0)
    assert formula is not None
    ink = _ink(formula.image.convertToFormat(QImage.Format.Format_ARGB32), 0, formula.image.height())
    height = max(y for _, y in ink) - min(y for _, y in ink) + 1
    assert abs(height - expected) <= 3, (height, expected)  # not scaled by ziamath's em (4/3 too large)


def test_the_drawer_loads_off_the_ui_thread_once_a_formula_begins(tmp_path: Path) -> None:
    """In a fresh process: an answer whose formula is still open loads the drawer on the pool (~0.15 s that the UI
    thread would otherwise spend when the formula closes); nothing is drawn until it closes."""
    from tests.desktop.conftest import fresh_window

    out = fresh_window(tmp_path / "data", (
        "c = shell.store.create_conversation('t')\nshell.store.add_message(c.id, 'user', 'q')\n"
        "m = shell.store.add_message(c.id, 'assistant', 'Solve')\n"
        "shell.conversations.refresh()\nshell.conversations.select(c.id)\napp.processEvents()\n"
        "name = 'visiondesk.desktop.math_render'\nbefore = name in sys.modules\n"
        "shell.presenter.set_text(m.id, 'Solve $x^2 -')\n"
        "body = shell.presenter.views[m.id].body\ndrawn = len(body.formulas)\n"
        "end = time.monotonic() + 20\n"
        "while name not in sys.modules and time.monotonic() < end:\n    app.processEvents()\n    time.sleep(0.01)\n"
        "shell.presenter.set_text(m.id, 'Solve $x^2 - 1 = 0$.')\n"
        "print(before, drawn, name in sys.modules, len(body.formulas))\nshell.shutdown()\n"))
    assert out.split() == ["False", "0", "True", "1"]
