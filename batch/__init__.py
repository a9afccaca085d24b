"""Batch jobs: one question over many images into a resumable JSON Lines or CSV file. Plain Python, no Qt.

``run_batch`` answers images through any ``visiondesk.engine.Backend``; ``ResultFile`` is the
append-only result file; ``presets`` holds the task presets; ``command`` is ``visiondesk batch``.
"""

from .export import export_csv, read_rows
from .inputs import collect_images
from .presets import Preset, all_presets, find_preset, read_preset
from .result_file import ResultFile, ResultRow
from .runner import BatchSummary, run_batch
from .task import BatchTask, ImageOutcome

__all__ = ["BatchSummary", "BatchTask", "ImageOutcome", "Preset", "ResultFile", "ResultRow", "all_presets",
           "collect_images", "export_csv", "find_preset", "read_preset", "read_rows", "run_batch"]
