"""``visiondesk ask --dry-run``: what the model will see, printed instead of an answer.

For each image: the tokens it takes and how the projector reads it (one picture of which size, or an
overview and tiles); then the whole prompt's share of the context. Nothing is generated.
"""

from __future__ import annotations

from typing import TextIO

from visiondesk.engine import Backend, Message, ModelSpec
from visiondesk.engine.errors import EngineFailure
from visiondesk.engine.image_plan import PromptPlan


def print_plan(engine: Backend[ModelSpec], messages: list[Message], out: TextIO) -> int:
    """Print the plan of ``messages`` on the loaded model; raises ``VisionDeskError``. Returns the exit code."""
    plan_of = getattr(engine, "plan", None)
    if plan_of is None:
        raise EngineFailure("--dry-run needs the local engine: a remote server does not say how it reads images.")
    plan: PromptPlan = plan_of(messages)
    for n, image in enumerate(plan.images, 1):
        out.write(f"image {n}: {image.describe()}\n")
    out.write(f"prompt: {plan.prompt_tokens:,} tokens ({plan.text_tokens:,} of text) of a {plan.n_ctx:,}-token "
              f"context ({plan.context_share:.0%})\n")
    return 0
