"""The app's settings for machines with several GPUs: how they share the layers, and which holds the projector."""

from __future__ import annotations

from visiondesk.engine import number_rules

from .settings_error import SettingsError


def normalize_gpu_placement(split: object, main_gpu: object) -> tuple[str, int | None]:
    """The split as text (``"auto"``, ``"even"`` or shares such as ``"3,1"``) and the main GPU (None: automatic).

    Raises ``SettingsError`` with the engine's sentence for a split or a GPU number it would refuse.
    """
    try:
        shares = number_rules.parse_gpu_split(split) if isinstance(split, str) else number_rules.check_gpu_split(split)
        gpu = None if main_gpu is None else int(number_rules.MAIN_GPU.check(main_gpu))
    except number_rules.BadNumber as exc:
        raise SettingsError(str(exc)) from exc  # the cause, for a window that says it in its language
    return (shares if isinstance(shares, str) else ",".join(f"{s:g}" for s in shares)), gpu
