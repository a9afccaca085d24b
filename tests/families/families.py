"""The vision families the engine is tested on: decoder, projector, tokens and chat template of each.

Templates are the families' published chat templates, cut down to what a conversation of plain
strings uses (our prompts carry libmtmd's media marker in the message text; libmtmd adds each
family's image begin/end tokens itself).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from tests.families.projectors import (
    CLIP_MEAN_STD,
    IMAGENET_MEAN_STD,
    SIGLIP_MEAN_STD,
    Int32,
    VisionSpec,
    write_family_mmproj,
)
from tests.families.text_models import TextSpec, write_family_text_model

CHATML = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
# Qwen2-VL / Qwen2.5-VL: ChatML with a default system prompt.
QWEN_VL = (
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}<|im_start|>system\n"
    "You are a helpful assistant.<|im_end|>\n{% endif %}<|im_start|>{{ message['role'] }}\n"
    "{{ message['content'] }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n"
    "{% endif %}"
)
# InternVL 3: ChatML with its default (Chinese) system prompt.
INTERNVL = (
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}<|im_start|>system\n"
    "你是书生·万象，英文名是InternVL，是由上海人工智能实验室、清华大学及多家合作单位联合开发的多模态大语言模型。"
    "<|im_end|>\n{% endif %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
# Gemma 3: a system prompt is folded into the first user turn; the assistant is "model"; text is trimmed.
GEMMA3 = (
    "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{% set first_user_prefix = messages[0]['content'] + "
    "'\n\n' %}{% set loop_messages = messages[1:] %}{% else %}{% set first_user_prefix = '' %}"
    "{% set loop_messages = messages %}{% endif %}{% for message in loop_messages %}"
    "{% if message['role'] == 'assistant' %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}"
    "{% endif %}<start_of_turn>{{ role }}\n{{ (first_user_prefix if loop.first else '') }}"
    "{{ message['content'] | trim }}<end_of_turn>\n{% endfor %}{% if add_generation_prompt %}"
    "<start_of_turn>model\n{% endif %}"
)
# SmolVLM (Idefics3): "User:"/"Assistant:" turns ended by <end_of_utterance>.
SMOLVLM = (
    "<|im_start|>{% for message in messages %}{{ message['role'] | capitalize }}: {{ message['content'] }}"
    "<end_of_utterance>\n{% endfor %}{% if add_generation_prompt %}Assistant:{% endif %}"
)
# LFM2-VL: ChatML after a BOS.
LFM2 = "{{ bos_token }}" + CHATML
# Pixtral (Mistral): [INST] ... [/INST], answers end with </s>.
PIXTRAL = (
    "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}[INST]{{ message['content'] }}"
    "[/INST]{% elif message['role'] == 'assistant' %}{{ message['content'] }}{{ eos_token }}{% endif %}{% endfor %}"
)

CHATML_TOKENS = ("<|im_start|>", "<|im_end|>")
V = "clip.vision."


@dataclasses.dataclass(frozen=True)
class Family:
    """One vision family: what it is, what it exercises, and how to write its pair."""

    name: str
    text: TextSpec
    vision: VisionSpec
    exercises: str  # what this family's path through libmtmd adds (for the README table)
    slices: bool = False  # cuts a 64x48 picture into tiles (plus an overview)

    @property
    def sliding_window(self) -> bool:
        """Whether the decoder has sliding-window layers."""
        return self.text.sliding_window > 0

    @property
    def recurrent(self) -> bool:
        """Whether part of the decoder keeps a recurrent state (which cannot be cut back to a position)."""
        return bool(self.text.conv_layers)

    def write(self, folder: Path, seed: int = 0) -> tuple[Path, Path]:
        """Write (text model, mmproj) into ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        model = write_family_text_model(folder / f"{self.name}.gguf", self.text, seed)
        mmproj = write_family_mmproj(folder / f"mmproj-{self.name}.gguf", self.vision, self.text.n_embd, seed)
        return model, mmproj


FAMILIES = (
    Family(
        "gemma3",
        TextSpec("gemma3", GEMMA3, bos="<bos>", eos="<eos>",
                 specials=("<start_of_turn>", "<end_of_turn>", "<start_of_image>", "<end_of_image>"),
                 sliding_window=24),
        VisionSpec("gemma3", image_size=32, patch_size=4, mean_std=SIGLIP_MEAN_STD,
                   keys=((V + "projector.scale_factor", 2), ("clip.use_gelu", True))),
        "non-causal attention inside the image; sliding-window layers (window 24, every 2nd layer global)",
    ),
    Family(
        "qwen2.5-vl",
        TextSpec("qwen2vl", QWEN_VL, eos="<|endoftext|>",
                 specials=(*CHATML_TOKENS, "<|vision_start|>", "<|vision_end|>", "<|image_pad|>"),
                 rope_sections=(2, 3, 3, 0)),
        VisionSpec("qwen2.5vl_merger", image_size=56, patch_size=4, mean_std=CLIP_MEAN_STD,
                   keys=((V + "n_wa_pattern", 2), ("clip.use_silu", True))),
        "M-RoPE: an image takes fewer positions than tokens; native resolution (tokens follow the size)",
    ),
    Family(
        "qwen3-vl",
        TextSpec("qwen3vl", QWEN_VL, eos="<|endoftext|>",
                 specials=(*CHATML_TOKENS, "<|vision_start|>", "<|vision_end|>", "<|image_pad|>"),
                 rope_sections=(4, 2, 2, 0), deepstack_layers=1),
        VisionSpec("qwen3vl_merger", image_size=32, patch_size=4, mean_std=SIGLIP_MEAN_STD,
                   keys=(("clip.use_gelu", True),)),
        "interleaved M-RoPE; deepstack: image embeddings twice as wide as the text's (n_embd_inp)",
    ),
    Family(
        "smolvlm",
        TextSpec("llama", SMOLVLM, bos="<|im_start|>", eos="<end_of_utterance>",
                 specials=("<|endoftext|>", "<fake_token_around_image>", "<global-img>",
                           *(f"<row_{r}_col_{c}>" for r in range(1, 7) for c in range(1, 7))),
                 extra_pieces=("\n\n",)),
        VisionSpec("idefics3", image_size=16, patch_size=4, mean_std=SIGLIP_MEAN_STD,
                   keys=((V + "projector.scale_factor", 2), (V + "preproc_image_size", 32),
                         ("clip.use_gelu", True))),
        "slices: a global image plus a grid of tiles, each wrapped in <row_r_col_c> text",
        slices=True,
    ),
    Family(
        "minicpm-v",
        TextSpec("qwen2", CHATML, eos="<|endoftext|>",
                 specials=(*CHATML_TOKENS, "<image>", "</image>", "<slice>", "</slice>"),
                 n_embd=128, n_head=4, n_ff=192),
        VisionSpec("resampler", image_size=28, patch_size=7, mean_std=SIGLIP_MEAN_STD,
                   keys=(("clip.minicpmv_version", Int32(3)), ("clip.minicpmv_query_num", 8),
                         ("clip.use_gelu", True))),
        "perceiver resampler (fixed tokens per slice); overview plus slices in <image>/<slice> markers",
        slices=True,
    ),
    Family(
        "internvl",
        TextSpec("qwen2", INTERNVL, eos="<|endoftext|>",
                 specials=(*CHATML_TOKENS, "<img>", "</img>", "<IMG_CONTEXT>")),
        VisionSpec("internvl", image_size=16, patch_size=4, mean_std=IMAGENET_MEAN_STD,
                   keys=((V + "projector.scale_factor", 2), (V + "preproc_max_tiles", 4),
                         ("clip.use_gelu", True))),
        "dynamic tiles (aspect-ratio grid) then a thumbnail; CJK system prompt in the template",
        slices=True,
    ),
    Family(
        "pixtral",
        TextSpec("llama", PIXTRAL, specials=("[INST]", "[/INST]", "[IMG]", "[IMG_BREAK]", "[IMG_END]")),
        VisionSpec("pixtral", image_size=64, patch_size=8, mean_std=CLIP_MEAN_STD,
                   keys=(("clip.use_silu", True),)),
        "native resolution with 2D RoPE; an [IMG_BREAK] embedding after every row",
    ),
    Family(
        "lfm2-vl",
        TextSpec("lfm2", LFM2, bos="<|startoftext|>", eos="<|im_end|>",
                 specials=("<|im_start|>", "<|image_start|>", "<|image_end|>", "<|img_thumbnail|>",
                           *(f"<|img_row_{r}_col_{c}|>" for r in range(1, 5) for c in range(1, 5))),
                 conv_layers=(0,)),
        VisionSpec("lfm2", image_size=32, patch_size=4, mean_std=SIGLIP_MEAN_STD,
                   keys=((V + "projector.scale_factor", 2), ("clip.use_gelu", True))),
        "hybrid decoder: short-convolution layers keep a recurrent state that cannot be cut back, so an edit "
        "or a regenerate reads the prompt again; at least 64 tokens per image",
    ),
)

FAMILIES_BY_NAME = {f.name: f for f in FAMILIES}
