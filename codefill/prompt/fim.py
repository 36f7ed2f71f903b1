"""Fill-in-the-middle families: their templates, how to spot them in a vocabulary, their stops.

A model without a configured template gets the template of the first family whose marker
tokens are all control tokens in its vocabulary (llama.cpp's own detection looks for the same
spellings). Each family's end and separator tokens become stop strings, so a completion ends
instead of running on into a new file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from codefill.prompt.templates import PREFIX_ONLY_TEMPLATE

__all__ = ["FAMILIES", "PREFIX_ONLY", "FimFamily", "detect_family", "family_named", "is_templated"]


@dataclass(frozen=True)
class FimFamily:
    name: str
    template: str
    markers: tuple[str, ...]  # control tokens that identify the family; all must exist
    stops: tuple[str, ...]


FAMILIES: tuple[FimFamily, ...] = (
    FimFamily(
        name="codegemma",
        template="<|fim_prefix|>{code_prefix}<|fim_suffix|>{code_suffix}<|fim_middle|>",
        markers=("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|file_separator|>"),
        stops=(
            "<|fim_prefix|>",
            "<|fim_suffix|>",
            "<|fim_middle|>",
            "<|file_separator|>",
            "<end_of_turn>",
            "<eos>",
        ),
    ),
    FimFamily(
        name="qwen2.5-coder",
        template="<|fim_prefix|>{code_prefix}<|fim_suffix|>{code_suffix}<|fim_middle|>",
        markers=("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"),
        stops=(
            "<|endoftext|>",
            "<|fim_prefix|>",
            "<|fim_suffix|>",
            "<|fim_middle|>",
            "<|fim_pad|>",
            "<|repo_name|>",
            "<|file_sep|>",
            "<|im_start|>",
            "<|im_end|>",
        ),
    ),
    FimFamily(
        name="starcoder",
        template="<fim_prefix>{code_prefix}<fim_suffix>{code_suffix}<fim_middle>",
        markers=("<fim_prefix>", "<fim_suffix>", "<fim_middle>"),
        stops=(
            "<|endoftext|>",
            "<fim_prefix>",
            "<fim_suffix>",
            "<fim_middle>",
            "<fim_pad>",
            "<file_sep>",
            "<filename>",
            "<reponame>",
        ),
    ),
    FimFamily(
        name="deepseek-coder",
        template="<｜fim▁begin｜>{code_prefix}<｜fim▁hole｜>{code_suffix}<｜fim▁end｜>",
        markers=("<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>"),
        stops=(
            "<｜fim▁begin｜>",
            "<｜fim▁hole｜>",
            "<｜fim▁end｜>",
            "<｜end▁of▁sentence｜>",
            "<|EOT|>",
        ),
    ),
    FimFamily(
        name="codellama",
        template="<PRE> {code_prefix} <SUF>{code_suffix} <MID>",
        markers=("<PRE>", "<SUF>", "<MID>"),
        stops=("<EOT>", "<PRE>", "<SUF>", "<MID>"),
    ),
    FimFamily(
        name="codellama",
        template="▁<PRE> {code_prefix} ▁<SUF>{code_suffix} ▁<MID>",
        markers=("▁<PRE>", "▁<SUF>", "▁<MID>"),
        stops=("▁<EOT>", "<EOT>"),
    ),
    FimFamily(
        name="codestral",
        template="[SUFFIX]{code_suffix}[PREFIX]{code_prefix}",
        markers=("[SUFFIX]", "[PREFIX]"),
        stops=("[SUFFIX]", "[PREFIX]", "[MIDDLE]", "</s>"),
    ),
    FimFamily(
        name="codegeex4",
        template=(
            "<|user|>\n###PATH:{code_file_path}\n###LANGUAGE:{code_language}\n###MODE:BLOCK\n"
            "<|code_suffix|>{code_suffix}<|code_prefix|>{code_prefix}<|code_middle|><|assistant|>\n"
        ),
        markers=("<|code_prefix|>", "<|code_suffix|>", "<|code_middle|>"),
        stops=(
            "<|endoftext|>",
            "<|user|>",
            "<|code_prefix|>",
            "<|code_suffix|>",
            "<|code_middle|>",
        ),
    ),
)

PREFIX_ONLY = FimFamily(name="", template=PREFIX_ONLY_TEMPLATE, markers=(), stops=())


def detect_family(is_control_token: Callable[[str], bool]) -> FimFamily:
    """The first family whose markers are all control tokens; :data:`PREFIX_ONLY` if none."""
    for family in FAMILIES:
        if all(is_control_token(marker) for marker in family.markers):
            return family
    return PREFIX_ONLY


def family_named(name: str) -> FimFamily | None:
    for family in FAMILIES:
        if family.name == name:
            return family
    return None


def is_templated(prompt: str, family: FimFamily) -> bool:
    """Whether ``prompt`` is already a complete FIM prompt for ``family``.

    Twinny and Tabby send prompts they templated themselves without setting ``raw``; such a
    prompt starts with the family's first marker and holds all of them, and is passed on
    verbatim (as with ``raw``) instead of being wrapped in the template a second time.
    """
    if not family.markers:
        return False
    first = min(family.markers, key=family.template.find)
    return prompt.lstrip().startswith(first) and all(m in prompt for m in family.markers)
