"""The views' one reaction to a language switch: their fixed strings again, in the new language."""

from __future__ import annotations

from PySide6.QtCore import QEvent


class FollowsLanguage:
    """Mixed in before the Qt widget class by a view that has a ``retranslate()`` method."""

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        """Follow a language switch."""
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()  # type: ignore[attr-defined]
        super().changeEvent(event)  # type: ignore[misc]
