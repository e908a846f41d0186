"""The negative log-likelihood: the log-probability of the target, negated and averaged.

The article's version (`article_section`) and the version on the user's numbers (`your_section`).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from logitcli import steps
from logitcli.inputs.batch import Batch
from logitcli.output.render import format_number
from logitcli.tour import article
from logitcli.tour.data import (
    Block,
    Section,
)
from logitcli.tour.writer import (
    Writer,
    nums,
    only,
    targets_text,
)

SECTION = "nll"


def article_section(w: Writer) -> Section:
    x, t = article.BEAR_LOGITS, article.BEAR_TARGETS
    classes = article.BEAR_CLASSES
    soft = steps.softmax(x)
    probs = soft.result
    picked = steps.nll(probs, t, reduction="none")
    losses = picked.result
    blocks: list[Block] = [
        *w.say(
            "nll",
            "intro",
            targets="[" + ", ".join(str(int(i)) for i in t) + "]",
            target_names="[" + ", ".join(classes[int(i)] for i in t) + "]",
        ),
        w.table("", soft, Batch(x, classes=classes), x, shown=only(soft, "logits", "softmax")),
        *w.say("nll", "pick"),
        w.table("", picked, Batch(probs, classes=classes), probs, t),
        *w.say(
            "nll",
            "result",
            losses=nums(losses),
            printed=nums(article.BEAR_NLL_PRINTED),
            last_long=format_number(float(losses[-1]), 6),
        ),
        *w.say("nll", "why_log"),
        *w.say("nll", "notice", "notice"),
    ]
    return w.section("nll", blocks, result=losses)


def your_section(w: Writer, batch: Batch, targets: np.ndarray | None, k: int | None) -> Section:
    if targets is None:
        return w.section("nll", [*w.say("nll", "needs_targets", "note"), *w.say("nll", "notice", "notice")], yours=True)
    x = batch.values
    soft = steps.softmax(x)
    probs = soft.result
    picked = steps.nll(probs, targets, reduction="none")
    prob_batch = replace(batch, values=probs)
    blocks: list[Block] = [
        *w.say("nll", "yours", targets=targets_text(targets)),
        w.table("", soft, batch, x, top_k=k, shown=only(soft, "logits", "softmax")),
        *w.say("nll", "pick"),
        w.table("", picked, prob_batch, probs, targets, top_k=k),
        *w.notes(picked, prob_batch, own=False),
        *w.say("nll", "why_log"),
        *w.say("nll", "notice", "notice"),
    ]
    return w.section("nll", blocks, yours=True, result=picked.result)
