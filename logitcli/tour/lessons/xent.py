"""Cross-entropy: log_softmax and nll in one call, and why the fused form survives a logit of 1000.

The article's version (`article_section`) and the version on the user's numbers (`your_section`).
"""

from __future__ import annotations

import numpy as np

from logitcli import steps
from logitcli.inputs.batch import Batch
from logitcli.tour import article
from logitcli.tour.data import (
    Block,
    Section,
)
from logitcli.tour.writer import (
    Writer,
    num,
    nums,
    only,
    targets_text,
)

SECTION = "xent"


def _huge_logit_demo(w: Writer) -> list[Block]:
    """A logit of 1000: the naive exp overflows, log(softmax) gives -inf, log_softmax stays exact."""
    x, t = article.HUGE_LOGITS, article.HUGE_TARGETS
    batch = Batch(x)
    naive = steps.softmax(x)
    stable = steps.cross_entropy(x, t, reduction="none")
    target = int(t[0])
    return [
        *w.say("xent", "stable", logits=nums(x), target=target),
        w.table("", naive, batch, x, shown=only(naive, "logits", "exp", "sum_exp", "softmax")),
        *w.say(
            "xent",
            "naive",
            exp_first=num(naive.step("exp").values[0, 0]),
            sum=num(naive.step("sum_exp").values[0]),
            probs=nums(naive.result),
            target=target,
        ),
        w.table("", stable, batch, x, t),
        *w.say(
            "xent",
            "stable_after",
            log_p=nums(stable.step("log_softmax").values),
            picked=num(stable.step("picked").values[0]),
            loss=num(stable.step("loss").values[0]),
        ),
    ]


def article_section(w: Writer) -> Section:
    x, t = article.BEAR_LOGITS, article.BEAR_TARGETS
    batch = Batch(x, classes=article.BEAR_CLASSES)
    per_sample = steps.cross_entropy(x, t, reduction="none")
    mean = steps.cross_entropy(x, t)
    log_p = per_sample.step("log_softmax").values
    via_nll = steps.nll(log_p, t, reduction="none")
    blocks: list[Block] = [
        *w.say("xent", "intro"),
        w.table("", per_sample, batch, x, t),
        *w.say("xent", "result", losses=nums(per_sample.result), printed=nums(article.BEAR_XENT_PRINTED)),
        *w.say("xent", "mean", mean=num(mean.result)),
        w.check(mean, x, t),
        *w.say("xent", "nll_equal"),
        w.table("", via_nll, Batch(log_p, classes=article.BEAR_CLASSES), log_p, t),
        *_huge_logit_demo(w),
        *w.say("xent", "code_note", "note"),
        *w.say("xent", "notice", "notice"),
    ]
    return w.section("xent", blocks, result=mean.result)


def your_section(w: Writer, batch: Batch, targets: np.ndarray | None, k: int | None) -> Section:
    blocks: list[Block] = []
    result = None
    if targets is None:
        blocks += w.say("xent", "needs_targets", "note")
    else:
        x = batch.values
        per_sample = steps.cross_entropy(x, targets, reduction="none")
        mean = steps.cross_entropy(x, targets)
        blocks += [
            *w.say("xent", "intro"),
            *w.say("xent", "yours", targets=targets_text(targets)),
            w.table("", per_sample, batch, x, targets, top_k=k),
            *w.say("xent", "yours_mean", mean=num(mean.result)),
            *w.notes(mean, batch),
            w.check(mean, x, targets),
        ]
        result = mean.result
    blocks += [*_huge_logit_demo(w), *w.say("xent", "notice", "notice")]
    return w.section("xent", blocks, yours=True, result=result)
