"""Light, dark or the system's look: one Fusion palette per theme."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

THEMES = ("system", "light", "dark")


def _dark_palette() -> QPalette:
    p = QPalette()
    role = QPalette.ColorRole
    colors = {
        role.Window: "#1f2227", role.WindowText: "#e6e6e6", role.Base: "#16181c",
        role.AlternateBase: "#262a30", role.ToolTipBase: "#2b2f36", role.ToolTipText: "#e6e6e6",
        role.Text: "#e6e6e6", role.Button: "#2b2f36", role.ButtonText: "#e6e6e6",
        role.BrightText: "#ff6b6b", role.Link: "#8ab4f8", role.Highlight: "#3d6fb4",
        role.HighlightedText: "#ffffff", role.PlaceholderText: "#8a8f98", role.Mid: "#3a3f48",
        role.Dark: "#101214", role.Light: "#3a3f48", role.Midlight: "#30343b", role.Shadow: "#000000",
    }
    for r, c in colors.items():
        p.setColor(r, QColor(c))
    for r in (role.Text, role.WindowText, role.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, r, QColor("#6b7079"))
    return p


def _light_palette() -> QPalette:
    p = QPalette()
    role = QPalette.ColorRole
    colors = {
        role.Window: "#f6f7f9", role.WindowText: "#1d1f23", role.Base: "#ffffff",
        role.AlternateBase: "#eef0f3", role.Text: "#1d1f23", role.Button: "#eceef1",
        role.ButtonText: "#1d1f23", role.Highlight: "#3d6fb4", role.HighlightedText: "#ffffff",
        role.Link: "#1a5fb4", role.PlaceholderText: "#80868f", role.Mid: "#c8ccd2",
        role.ToolTipBase: "#ffffdc", role.ToolTipText: "#1d1f23",
    }
    for r, c in colors.items():
        p.setColor(r, QColor(c))
    return p


def system_prefers_dark(app: QApplication) -> bool:
    """What the desktop asks for (Qt reports Unknown on platforms that cannot tell: light then)."""
    return app.styleHints().colorScheme() == Qt.ColorScheme.Dark


def apply_theme(app: QApplication, theme: str) -> bool:
    """Apply ``theme`` ("system", "light" or "dark"); returns whether the result is dark."""
    app.setStyle("Fusion")
    dark = theme == "dark" or (theme == "system" and system_prefers_dark(app))
    app.setPalette(_dark_palette() if dark else _light_palette())
    app.setProperty("visiondesk_dark", dark)
    # A widget with its own style sheet resolved palette(...) colours when it was polished: set the
    # sheet again so it takes the new palette (the composer's "+" button, the transcript's bodies).
    for widget in app.allWidgets():
        sheet = widget.styleSheet()
        if sheet:
            widget.setStyleSheet("")
            widget.setStyleSheet(sheet)
    return dark


def is_dark(app: QApplication) -> bool:
    """Whether the theme applied last is dark."""
    return bool(app.property("visiondesk_dark"))
