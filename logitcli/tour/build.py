"""`logitcli explain`: the article as a guided tour, on its own numbers or on the user's.

This module decides which lessons run and in what order; each lesson (`lessons/`) decides what its
section shows, with the article's numbers (`article_section`) or the user's (`your_section`). Nothing here
computes: every number comes from `logitcli.steps` (or from the model, for the logits), every sentence from
`texts/<lang>.toml`, and layout is `layout`'s job. A new lesson is a new module in `lessons/` and one entry
in `LESSONS`.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from logitcli.errors import InputError
from logitcli.inputs.batch import Batch
from logitcli.output.lang import LANGS, default_lang
from logitcli.output.lang import texts as output_texts
from logitcli.output.render import default_top_k
from logitcli.tour.data import Tour
from logitcli.tour.lessons import calibration, gradients, logits, nll, sigmoid, softmax, xent
from logitcli.tour.writer import Writer

__all__ = ["LANGS", "SECTIONS", "build_tour", "default_lang", "load_texts"]

#: The lessons in the tour's order; each has SECTION, article_section(w) and your_section(w, batch, targets, top_k).
LESSONS = (logits, sigmoid, softmax, nll, xent, gradients, calibration)
SECTIONS: tuple[str, ...] = tuple(lesson.SECTION for lesson in LESSONS)


@cache
def load_texts(lang: str) -> dict[str, dict[str, Any]]:
    """The tour's prose for one language, from the package's texts/<lang>.toml."""
    if lang not in LANGS:
        raise InputError(f"unknown language {lang!r}: use one of {', '.join(LANGS)}")
    with resources.files("logitcli.tour").joinpath("texts", f"{lang}.toml").open("rb") as handle:
        return {**tomllib.load(handle), **output_texts(lang)}  # the tables' words and the notes: the commands'


def build_tour(
    batch: Batch | None = None,
    targets: np.ndarray | None = None,
    section: str | None = None,
    lang: str = "en",
    *,
    top_k: int | None = None,
    run_model: bool = True,
    torch_checks: bool = True,
    seed: int = 0,
) -> Tour:
    """The tour as data. Without a batch it walks the article's numbers; with one, the user's logits.

    `targets` (one class index per example) add the nll and cross-entropy of the user's batch.
    `section` keeps one part. `run_model=False` skips running resnet18 for the logits section (the
    article's printed logit is used), `torch_checks=False` skips the PyTorch comparisons: both keep the
    output the same on every machine, for tests.
    """
    section = section.strip().lower() if section is not None else None
    if section is not None and section not in SECTIONS:
        raise InputError(f"unknown section {section!r}: use one of {', '.join(SECTIONS)}")
    if targets is not None and batch is None:
        raise InputError("--targets needs logits or images to go with them")
    w = Writer(load_texts(lang), torch_checks, run_model=run_model, seed=seed)
    wanted = [lesson for lesson in LESSONS if section is None or lesson.SECTION == section]
    t = None if targets is None else np.asarray(targets)
    k = None if batch is None else default_top_k(batch.n_classes, top_k)
    try:
        sections = tuple(
            lesson.article_section(w) if batch is None else lesson.your_section(w, batch, t, k) for lesson in wanted
        )
    except ValueError as error:  # the step functions' messages are written for the user
        raise InputError(str(error)) from error
    tour = w.texts["tour"]
    return Tour(
        lang=lang,
        title=tour["title"],
        intro=tour["intro"] if batch is None else tour["intro_yours"],
        sections=sections,
        notice_title=tour["notice"],
        note_title=tour["note"],
        source="article" if batch is None else "yours",
        labels=w.texts.get("table", {}),
    )
