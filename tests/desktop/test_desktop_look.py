"""Issue 18, defect 2 and the finished look: theme switched live everywhere, message styles, copied feedback,
date groups in the sidebar, elided titles, keyboard shortcuts."""

from __future__ import annotations

from collections import Counter

from PySide6.QtGui import QColor, QGuiApplication, QImage

from tests.desktop.test_desktop_chat import send


def luminance(c: QColor) -> float:
    def channel(v: int) -> float:
        x = v / 255
        return x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(c.red()) + 0.7152 * channel(c.green()) + 0.0722 * channel(c.blue())


def contrast(image: QImage) -> tuple[float, QColor]:
    """Contrast ratio between the most common colour (the background) and the colour farthest from it."""
    counts = Counter(image.pixel(x, y) for x in range(0, image.width(), 2) for y in range(0, image.height(), 2))
    background = QColor.fromRgb(counts.most_common(1)[0][0])
    lb = luminance(background)
    farthest = max((QColor.fromRgb(p) for p in counts), key=lambda c: abs(luminance(c) - lb))
    lo, hi = sorted((lb, luminance(farthest)))
    return (hi + 0.05) / (lo + 0.05), background


def body_image(view) -> QImage:
    return view.grab(view.body.geometry()).toImage()


def set_theme_by_dialog(shell, index: int) -> None:
    dialog = shell.settings_controller.open()
    dialog.theme.setCurrentIndex(index)
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()


def test_theme_switch_is_live_in_the_open_conversation(qtbot, shell):
    """Defect 2: Dark then Light through the settings; the open answer stays readable, "+" follows."""
    send(qtbot, shell, "some text to read")
    view = shell.window.transcript.messages()[0]
    plus = shell.window.composer.attach_button
    ratio, background = contrast(body_image(view))
    assert ratio > 4.5 and background.lightness() > 180
    set_theme_by_dialog(shell, 2)  # Dark
    qtbot.wait(50)
    ratio, background = contrast(body_image(view))
    assert ratio > 4.5, ratio
    assert background.lightness() < 90
    assert contrast(plus.grab().toImage())[1].lightness() < 90  # the "+" button is dark too
    set_theme_by_dialog(shell, 1)  # Light again
    qtbot.wait(50)
    ratio, background = contrast(body_image(view))
    assert ratio > 4.5 and background.lightness() > 180, ratio
    assert contrast(plus.grab().toImage())[1].lightness() > 180


def test_user_and_assistant_messages_look_different_and_copy_says_copied(qtbot, shell):
    send(qtbot, shell, "who is who")
    user, answer = shell.window.transcript.messages()[:2]
    user_bg = contrast(user.grab().toImage())[1]
    answer_bg = contrast(answer.grab().toImage())[1]
    assert user_bg != answer_bg
    assert user.mark.text() and answer.mark.text() and user.mark.text() != answer.mark.text()
    assert user.time.text() and ":" in user.time.text()
    assert not answer.copy_button.icon().isNull() and not user.edit_button.icon().isNull()
    assert not shell.window.sidebar.new_button.icon().isNull()
    answer.copy_button.click()
    assert answer.copy_button.text().startswith("Copied")
    assert QGuiApplication.clipboard().text() == shell.presenter.texts[shell.presenter.last_assistant]
    qtbot.waitUntil(lambda: answer.copy_button.text() == "Copy", timeout=5_000)


def test_ctrl_f_searches_and_settings_have_a_shortcut(qtbot, shell):
    w = shell.window
    assert "Ctrl+F" in [k.toString() for k in w.find_action.shortcuts()]
    assert "Ctrl+," in [k.toString() for k in w.settings_action.shortcuts()]
    w.activateWindow()
    w.find_action.trigger()
    qtbot.waitUntil(lambda: w.sidebar.search.hasFocus(), timeout=3_000)


def test_sidebar_groups_by_date_and_elides_long_chinese_titles(qtbot, shell):
    import datetime

    from PySide6.QtCore import Qt
    from visiondesk.desktop.controllers.conversations import date_group
    from visiondesk.desktop.views.sidebar import GROUP_ROLE

    wednesday = datetime.datetime(2026, 12, 2, 15, 0)
    day = 86_400
    ts = wednesday.timestamp()
    assert [date_group(ts - d * day, wednesday) for d in (0, 1, 2, 9)] == ["today", "yesterday", "week", "older"]

    long_title = "这是一个非常长的中文对话标题，用来检查侧边栏是否会在字符中间截断并出现水平滚动条" * 2
    conv = shell.store.create_conversation(long_title)
    shell.conversations.refresh()
    lst = shell.window.sidebar.list
    assert lst.item(0).data(GROUP_ROLE) == "Today"
    assert lst.item(0).data(Qt.ItemDataRole.UserRole) == conv.id
    assert lst.textElideMode() == Qt.TextElideMode.ElideRight
    assert not lst.horizontalScrollBar().isVisible()
    assert lst.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    elided = lst.fontMetrics().elidedText(long_title, Qt.TextElideMode.ElideRight, 200)
    assert elided.endswith("…") and long_title.startswith(elided[:-1])  # cut between characters


def test_a_long_conversation_opens_with_its_newest_messages_and_grows_upwards(qtbot, shell):
    """Build 7: 500 messages open with views for the newest only; scrolling up brings earlier ones in
    without moving what is on screen."""
    from visiondesk.desktop.controllers.transcript import EARLIER_CHUNK, WINDOW

    conv = shell.store.create_conversation("long")
    for i in range(250):
        shell.store.add_message(conv.id, "user", f"question {i}")
        shell.store.add_message(conv.id, "assistant", f"answer **{i}**\n\n" + "words " * 40)
    shell.conversations.select(conv.id)
    views = shell.window.transcript.messages()
    assert len(views) == WINDOW and len(shell.presenter.texts) == 500
    assert views[-1].body.toPlainText().startswith("answer 249")
    transcript = shell.window.transcript
    qtbot.waitUntil(lambda: transcript.verticalScrollBar().maximum() > 0, timeout=3_000)
    bar = transcript.verticalScrollBar()
    first = views[0]
    qtbot.wait(20)
    before = first.mapTo(transcript.viewport(), first.rect().topLeft()).y()
    shown = len(transcript.messages())
    shell.presenter.show_earlier()
    assert len(transcript.messages()) == shown + EARLIER_CHUNK
    after = first.mapTo(transcript.viewport(), first.rect().topLeft()).y()
    assert abs(after - before) <= 2  # the message on screen stayed where it was
    for _ in range(2000):  # scrolling to the top keeps asking for more
        if not shell.presenter.earlier_count():
            break
        bar.setValue(0)
        qtbot.wait(1)
    assert len(transcript.messages()) == 500
    assert transcript.messages()[0].body.toPlainText() == "question 0"


def test_message_views_fit_their_text_at_any_width_and_a_repeated_picture_is_decoded_once(qtbot, shell, images):
    """Build 7: each message fixes its own height for its width (the layouts above ask no height-for-width), so
    none is cut, neither when made above the others nor after the window narrows; thumbnails of the same stored
    picture are decoded once."""
    conv = shell.store.create_conversation("pictures")
    for i in range(12):
        shell.store.add_message(conv.id, "user", f"question {i} " + "about the harbour " * (3 * i), images[:1])
        shell.store.add_message(conv.id, "assistant", f"answer **{i}**\n\n" + "the boats are small " * 30)
    shell.conversations.select(conv.id)
    transcript = shell.window.transcript

    def all_fit() -> bool:
        for view in transcript.messages():
            need = view.layout().totalHeightForWidth(view.width())
            if view.body.height() < view.body.document().size().height() or (need > 0 and view.height() < need):
                return False
        return True

    buttons = [b for v in transcript.messages() for b in v.thumbnail_buttons()]
    assert len(buttons) == len([v for v in transcript.messages() if v.role == "user"]) >= 4
    qtbot.waitUntil(lambda: all(not b.icon().isNull() for b in buttons), timeout=10_000)
    assert shell.presenter.thumbnails.decoded == 1, "one stored picture, decoded once"
    qtbot.waitUntil(all_fit, timeout=3_000)
    while shell.presenter.earlier_count():
        shell.presenter.show_earlier()
    assert transcript.messages()[0].body.toPlainText().startswith("question 0")
    qtbot.waitUntil(all_fit, timeout=3_000)
    narrow = {id(v): (v.width(), v.height()) for v in transcript.messages()}
    shell.window.resize(shell.window.width() + 500, shell.window.height())
    # Wider: the text takes fewer lines, and each message gets shorter (none is left taller than it needs).
    qtbot.waitUntil(lambda: transcript.messages()[-1].width() > narrow[id(transcript.messages()[-1])][0] + 400
                    and all_fit() and all(v.height() < narrow[id(v)][1] for v in transcript.messages()
                                          if v.role == "assistant"), timeout=5_000)
    shell.window.resize(shell.window.width() - 500, shell.window.height())
    qtbot.waitUntil(lambda: [(v.width(), v.height()) for v in transcript.messages()] == list(narrow.values()),
                    timeout=5_000)  # narrow again: the same heights as before
    assert shell.presenter.thumbnails.decoded == 1


def test_keyboard_focus_is_visible_on_message_actions(qtbot, shell):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QPalette

    send(qtbot, shell, "focus")
    button = shell.window.transcript.messages()[-1].copy_button
    unfocused = button.grab().toImage()
    shell.window.activateWindow()
    button.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(button.hasFocus, timeout=3_000)
    focused = button.grab().toImage()
    highlight = button.palette().color(QPalette.ColorRole.Highlight).rgb()
    ring = sum(1 for x in range(focused.width()) for y in range(focused.height()) if focused.pixel(x, y) == highlight)
    assert focused != unfocused and ring > 20
