"""The logits: the article's one-logit resnet18 (or its printed logit), or the user's logits with their ranking.

The article's version (`article_section`) and the version on the user's numbers (`your_section`).
"""

from __future__ import annotations

import numpy as np

from logitcli.errors import LogitcliError
from logitcli.inputs.batch import Batch
from logitcli.output.render import DEFAULT_TOP_K
from logitcli.tour import article
from logitcli.tour.data import (
    Block,
    Section,
)
from logitcli.tour.writer import (
    Writer,
    logits_calc,
    num,
)

SECTION = "logits"


def _run_article_model(seed: int) -> Batch | None:
    """The article's resnet18 with a one-logit head on a random image, or None without torch/timm."""
    try:
        from logitcli.model import ModelOptions, run_random_input
    except ImportError:
        return None
    try:
        run = run_random_input(1, ModelOptions(model="resnet18", weights="random", num_classes=1, seed=seed))
    except (ImportError, LogitcliError):
        return None
    return run.batch


def article_section(w: Writer) -> Section:
    printed = num(article.SIGMOID_LOGIT[0, 0])
    blocks: list[Block] = [*w.say("logits", "intro")]
    ran = _run_article_model(w.seed) if w.run_model else None
    if ran is None:
        blocks += w.say("logits", "no_model", printed=printed)
        x = article.SIGMOID_LOGIT
        blocks.append(w.table("", logits_calc(x), Batch(x)))
    else:
        blocks += w.say("logits", "model", seed=w.seed)
        blocks.append(w.table(w.texts["logits"]["caption_run"].format(seed=w.seed), logits_calc(ran.values), ran))
        blocks += w.say("logits", "model_result", logit=num(ran.values[0, 0]), printed=printed)
    blocks += w.say("logits", "notice", "notice")
    return w.section("logits", blocks, result=article.SIGMOID_LOGIT if ran is None else ran.values)


def your_section(w: Writer, batch: Batch, targets: np.ndarray | None, k: int | None) -> Section:
    blocks: list[Block] = [
        *w.say("logits", "intro"),
        *w.say("logits", "yours", examples=batch.n_examples, classes=batch.n_classes, top_k=k or DEFAULT_TOP_K),
        w.table("", logits_calc(batch.values), batch, top_k=k),
    ]
    return w.section("logits", blocks, yours=True, result=batch.original())
