"""A dialog showing one image large (click a thumbnail); Esc closes it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QDialog, QLabel, QScrollArea, QVBoxLayout, QWidget


class ImageViewer(QDialog):
    """Shows an image scaled to fit the screen, scrollable when larger."""

    def __init__(self, image: QImage, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        area = QScrollArea(self)
        area.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label = QLabel(area)
        self.label.setAccessibleName(title)
        screen = self.screen().availableGeometry() if self.screen() else None
        pixmap = QPixmap.fromImage(image)
        if screen is not None and (pixmap.width() > screen.width() * 0.9 or
                                   pixmap.height() > screen.height() * 0.9):
            pixmap = pixmap.scaled(int(screen.width() * 0.9), int(screen.height() * 0.9),
                                   Qt.AspectRatioMode.KeepAspectRatio,
                                   Qt.TransformationMode.SmoothTransformation)
        self.label.setPixmap(pixmap)
        area.setWidget(self.label)
        layout.addWidget(area)
        self.resize(min(pixmap.width() + 4, 1400), min(pixmap.height() + 4, 1000))
