"""The numbers, step by step: pure numpy, float64, no CLI and no torch.

Each public function takes a 2-D array (one row per example) and returns a `Calculation`: every
intermediate value the article shows, in the article's order, plus the result shaped as
`torch.nn.functional` returns it for a 2-D input. The stable forms real libraries use (the
max-shift, log-sum-exp, softplus) are what the results are computed with; the naive forms are
shown beside them where the article uses them, so a reader can see both and see where they part.

A step's `values` tell their own granularity by shape: (N, C) is one value per class,
(N,) one per example, () one for the whole batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Reduction = Literal["none", "mean", "sum"]
REDUCTIONS: tuple[str, ...] = ("none", "mean", "sum")
DEFAULT_IGNORE_INDEX = -100


@dataclass(frozen=True)
class Step:
    """One intermediate value: a stable `name` for JSON, a `title` for a table header, the values."""

    name: str
    title: str
    values: np.ndarray
    formula: str = ""
    probability: bool = False

    @property
    def per(self) -> Literal["class", "example", "batch"]:
        return ("batch", "example", "class")[min(self.values.ndim, 2)]


class Note(str):
    """A note's English text, with a stable `id` so the tour can say it in another language."""

    id: str

    def __new__(cls, note_id: str, text: str) -> Note:
        note = super().__new__(cls, text)
        note.id = note_id
        return note


@dataclass(frozen=True)
class Calculation:
    """The ordered steps of one command and its result (shaped like PyTorch's return value)."""

    command: str
    steps: tuple[Step, ...]
    result: np.ndarray | float
    notes: tuple[Note, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)

    def step(self, name: str) -> Step:
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(name)


def _quiet() -> Any:
    """Overflow to inf and 0 * inf are the lessons here, not warnings."""
    return np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore")


# ----------------------------------------------------------------------------- sigmoid


def stable_sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)) for x >= 0, exp(x) / (1 + exp(x)) for x < 0: no exp ever overflows."""
    with _quiet():
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def log_sigmoid(x: np.ndarray) -> np.ndarray:
    """log(sigmoid(x)) = -softplus(-x), exact even where sigmoid(x) rounds to 0."""
    with _quiet():
        return -(np.maximum(-x, 0.0) + np.log1p(np.exp(-np.abs(x))))


def sigmoid(x: np.ndarray) -> Calculation:
    """The article's formula 1 / (1 + exp(-x)), step by step; the result uses the stable form."""
    x = np.asarray(x, dtype=np.float64)
    with _quiet():
        neg = -x
        exp_neg = np.exp(neg)
        one_plus = 1.0 + exp_neg
    result = stable_sigmoid(x)
    notes: list[Note] = []
    if (np.isinf(exp_neg) & np.isfinite(x)).any():
        notes.append(
            Note(
                "sigmoid_overflow",
                "exp(-x) overflowed to inf for a very negative x; 1 / (1 + inf) = 0 is still right, and "
                "the stable form exp(x) / (1 + exp(x)) used for x < 0 never overflows.",
            )
        )
    steps = (
        Step("logits", "x", x, "the logits"),
        Step("neg_x", "-x", neg, "-x"),
        Step("exp_neg_x", "exp(-x)", exp_neg, "exp(-x)"),
        Step("one_plus_exp_neg_x", "1 + exp(-x)", one_plus, "1 + exp(-x)"),
        Step("sigmoid", "sigmoid", result, "1 / (1 + exp(-x))", probability=True),
    )
    return Calculation("sigmoid", steps, result, tuple(notes))


# ----------------------------------------------------------------------------- softmax


def log_softmax_rows(x: np.ndarray) -> np.ndarray:
    """x - max - log(sum(exp(x - max))) by row: never log(softmax(x)), which turns 0 into -inf."""
    with _quiet():
        m = _row_max(x)
        shifted = x - m[:, None]
        return shifted - np.log(np.exp(shifted).sum(axis=1))[:, None]


def softmax_rows(x: np.ndarray) -> np.ndarray:
    """exp(x - max) / sum(exp(x - max)) by row."""
    with _quiet():
        shifted = x - _row_max(x)[:, None]
        e = np.exp(shifted)
        return e / e.sum(axis=1)[:, None]


def _row_max(x: np.ndarray) -> np.ndarray:
    """Row maxima; a row of all -inf keeps -inf (and then gives nan, exactly as PyTorch does)."""
    return x.max(axis=1) if x.shape[1] else np.zeros(x.shape[0])


def softmax(x: np.ndarray, temperature: float = 1.0) -> Calculation:
    """The article's exp, sum, divide (true values), then the max-shift that real libraries use."""
    x = np.asarray(x, dtype=np.float64)
    if not temperature > 0:
        raise ValueError(f"temperature must be a positive number, got {temperature:g}")
    steps = [Step("logits", "x", x, "the logits")]
    z = x
    if temperature != 1.0:
        with _quiet():
            z = x / temperature
        steps.append(Step("scaled", f"x / {temperature:g}", z, "x / T"))
    with _quiet():
        naive_exp = np.exp(z)
        naive_sum = naive_exp.sum(axis=1)
        row_max = _row_max(z)
        shifted = z - row_max[:, None]
        exp_shifted = np.exp(shifted)
        sum_shifted = exp_shifted.sum(axis=1)
        result = exp_shifted / sum_shifted[:, None]
    zname = "x" if temperature == 1.0 else "z"
    steps += [
        Step("exp", f"exp({zname})", naive_exp, f"exp({zname})"),
        Step("sum_exp", f"Σ exp({zname})", naive_sum, f"sum_j exp({zname}_j)"),
        Step("max", "max", row_max, f"max_j {zname}_j"),
        Step("shifted", f"{zname} - max", shifted, f"{zname} - max"),
        Step("exp_shifted", f"exp({zname} - max)", exp_shifted, f"exp({zname} - max)"),
        Step("sum_exp_shifted", f"Σ exp({zname} - max)", sum_shifted, f"sum_j exp({zname}_j - max)"),
        Step("softmax", "softmax", result, f"exp({zname} - max) / Σ exp({zname} - max)", probability=True),
    ]
    notes: list[Note] = []
    if (np.isinf(naive_exp) & np.isfinite(z)).any() or (np.isinf(naive_sum) & np.isfinite(z).all(axis=1)).any():
        notes.append(
            Note(
                "softmax_overflow",
                f"exp({zname}) or its sum overflowed to inf, so the article's exp / sum would give nan or 0; "
                f"subtracting the max first keeps every exp in (0, 1] and gives the same softmax.",
            )
        )
    return Calculation("softmax", tuple(steps), result, tuple(notes), {"temperature": temperature})


# ----------------------------------------------------------------------------- targets, weights


def _check_class_targets(targets: np.ndarray, n_examples: int, n_classes: int, ignore_index: int) -> None:
    """PyTorch raises on these; we raise ValueError with a sentence a person can act on."""
    if targets.dtype.kind == "f" and not np.all(targets == np.round(targets)):
        raise ValueError("class targets must be whole class indices (or give class probabilities, one per class)")
    if targets.shape != (n_examples,):
        raise ValueError(f"got {targets.size} target(s) for {n_examples} example(s): give one class index per example")
    bad = (targets != ignore_index) & ((targets < 0) | (targets >= n_classes))
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"target {int(targets[first])} (example {first}) is out of range: "
            f"class indices run from 0 to {n_classes - 1}"
            + (f" (or {ignore_index} to ignore an example)" if ignore_index < 0 else "")
        )


def _check_class_weight(weight: np.ndarray | None, n_classes: int) -> None:
    if weight is not None and np.shape(weight) != (n_classes,):
        raise ValueError(
            f"--weight has {np.size(weight)} value(s) but there are {n_classes} classes: give one per class"
        )


def _reduce(per_example: np.ndarray, reduction: str, denominator: float) -> tuple[np.ndarray | float, Step | None]:
    """Apply PyTorch's reduction; the mean divides by `denominator` (PyTorch's, not always N)."""
    if reduction == "none":
        return per_example, None
    total = float(per_example.sum())
    if reduction == "sum":
        return total, Step("sum", "sum", np.float64(total), "Σ loss")
    with _quiet():
        mean = float(np.float64(total) / np.float64(denominator))
    return mean, Step("mean", "mean", np.float64(mean), f"Σ loss / {denominator:g}")


def check_reduction(reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"unknown reduction {reduction!r}: use one of none, mean, sum")


# ----------------------------------------------------------------------------- nll


def looks_like_probabilities(values: np.ndarray) -> bool:
    """Every row in [0, 1] and summing to 1: softmax output, not log-probabilities."""
    if values.size == 0 or not np.isfinite(values).all():
        return False
    return bool(((values >= 0) & (values <= 1)).all() and np.allclose(values.sum(axis=1), 1.0, atol=1e-3))


def nll(
    log_probs: np.ndarray,
    targets: np.ndarray,
    weight: np.ndarray | None = None,
    ignore_index: int = DEFAULT_IGNORE_INDEX,
    reduction: str = "mean",
) -> Calculation:
    """PyTorch's nll_loss: pick each row's target entry, negate it, weight it, reduce. Nothing more."""
    x = np.asarray(log_probs, dtype=np.float64)
    targets = np.asarray(targets)
    n, c = x.shape
    check_reduction(reduction)
    _check_class_targets(targets, n, c, ignore_index)
    targets = targets.astype(np.int64)
    _check_class_weight(weight, c)
    kept = targets != ignore_index
    safe = np.where(kept, targets, 0)
    picked = np.where(kept, x[np.arange(n), safe], 0.0)
    w = np.ones(c) if weight is None else np.asarray(weight, dtype=np.float64)
    w_target = np.where(kept, w[safe], 0.0)
    with _quiet():
        loss = -w_target * picked
    loss = np.where(kept, loss, 0.0)
    denominator = float(w_target.sum())
    steps = [
        Step("input", "log p", x, "log-probabilities"),
        Step("target", "target", targets.astype(np.float64), "class index"),
        Step("picked", "log p[target]", picked, "x[n, target_n]"),
    ]
    if weight is not None or not kept.all():
        steps.append(Step("weight", "w[target]", w_target, "weight[target_n] (0 if ignored)"))
    steps.append(Step("loss", "loss", loss, "-w[target] · x[target]"))
    result, reduced = _reduce(loss, reduction, denominator)
    if reduced is not None:
        steps.append(reduced)
    notes: list[Note] = []
    if looks_like_probabilities(x):
        notes.append(
            Note(
                "nll_probabilities",
                "These rows look like probabilities (each in [0, 1], summing to 1), not log-probabilities: "
                "nll_loss only picks the target's entry and negates it, so this is -p, not a loss. "
                "Take the log first, or let `logitcli xent` do log_softmax for you.",
            )
        )
    elif (x > 0).any():
        notes.append(
            Note(
                "nll_not_log_probabilities",
                "Some values are above 0, so these are not log-probabilities (log p <= 0); nll_loss "
                "still just picks and negates. For raw logits, use `logitcli xent`.",
            )
        )
    details = {"reduction": reduction, "ignore_index": ignore_index, "denominator": denominator}
    return Calculation("nll", tuple(steps), result, tuple(notes), details)


# ----------------------------------------------------------------------------- cross-entropy


def cross_entropy(
    logits: np.ndarray,
    targets: np.ndarray,
    weight: np.ndarray | None = None,
    ignore_index: int = DEFAULT_IGNORE_INDEX,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Calculation:
    """PyTorch's cross_entropy in the article's four steps: logits, softmax, log, nll.

    `targets` is either one class index per example (shape (N,)) or class probabilities of the
    same shape as the logits (soft targets). The log is log_softmax via log-sum-exp.
    """
    x = np.asarray(logits, dtype=np.float64)
    targets = np.asarray(targets)
    n, c = x.shape
    check_reduction(reduction)
    _check_class_weight(weight, c)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label smoothing {label_smoothing:g} is outside [0, 1]")
    probs = softmax_rows(x)
    log_p = log_softmax_rows(x)
    steps = [
        Step("logits", "x", x, "the logits"),
        Step("softmax", "softmax", probs, "exp(x - max) / Σ exp(x - max)", probability=True),
        Step("log_softmax", "log softmax", log_p, "x - max - log Σ exp(x - max)"),
    ]
    w = None if weight is None else np.asarray(weight, dtype=np.float64)
    if targets.ndim == 2:
        return _soft_cross_entropy(x, log_p, targets.astype(np.float64), w, reduction, label_smoothing, steps)
    _check_class_targets(targets, n, c, ignore_index)
    targets = targets.astype(np.int64)
    kept = targets != ignore_index
    safe = np.where(kept, targets, 0)
    w_all = np.ones(c) if w is None else w
    w_target = np.where(kept, w_all[safe], 0.0)
    picked = np.where(kept, log_p[np.arange(n), safe], 0.0)
    with _quiet():
        nll_term = np.where(kept, -w_target * picked, 0.0)
    steps += [
        Step("target", "target", targets.astype(np.float64), "class index"),
        Step("picked", "log p[target]", picked, "log_softmax(x)[n, target_n]"),
    ]
    if w is not None or not kept.all():
        steps.append(Step("weight", "w[target]", w_target, "weight[target_n] (0 if ignored)"))
    steps.append(Step("nll", "nll", nll_term, "-w[target] · log p[target]"))
    loss = nll_term
    if label_smoothing > 0.0:
        with _quiet():
            smooth = np.where(kept, -(log_p * w_all[None, :]).sum(axis=1), 0.0)
            loss = (1.0 - label_smoothing) * nll_term + (label_smoothing / c) * smooth
        steps.append(Step("smooth", "-Σ w·log p", smooth, "-Σ_c w_c · log p_c (the uniform part)"))
        steps.append(Step("loss", "loss", loss, f"(1 - {label_smoothing:g}) · nll + {label_smoothing:g}/{c} · smooth"))
    else:
        steps.append(Step("loss", "loss", loss, "nll"))
    denominator = float(w_target.sum())
    result, reduced = _reduce(loss, reduction, denominator)
    if reduced is not None:
        steps.append(reduced)
    details = {
        "reduction": reduction,
        "ignore_index": ignore_index,
        "label_smoothing": label_smoothing,
        "targets": "class indices",
        "denominator": denominator,
        "denominator_is": "sum of w[target] over kept examples" if w is not None else "number of kept examples",
    }
    return Calculation("xent", tuple(steps), result, (), details)


def _soft_cross_entropy(
    x: np.ndarray,
    log_p: np.ndarray,
    targets: np.ndarray,
    w: np.ndarray | None,
    reduction: str,
    label_smoothing: float,
    steps: list[Step],
) -> Calculation:
    """Cross-entropy against class probabilities: -Σ_c w_c · q_c · log p_c; the mean divides by N."""
    n, c = x.shape
    if targets.shape != x.shape:
        raise ValueError(
            f"soft targets have shape {targets.shape[0]}x{targets.shape[1]} but the logits are {n}x{c}: "
            "give one probability per class and example"
        )
    if (targets < 0).any() or (targets > 1).any():
        raise ValueError("soft targets must be probabilities in [0, 1]")
    q = targets
    if label_smoothing > 0.0:
        q = targets * (1.0 - label_smoothing) + label_smoothing / c
    w_all = np.ones(c) if w is None else w
    with _quiet():
        terms = -(w_all[None, :] * q * log_p)
        loss = terms.sum(axis=1)
    steps += [
        Step("target", "target q", q, "class probabilities" + (" (smoothed)" if label_smoothing else "")),
        Step("terms", "-w·q·log p", terms, "-w_c · q_c · log p_c"),
        Step("loss", "loss", loss, "Σ_c -w_c · q_c · log p_c"),
    ]
    result, reduced = _reduce(loss, reduction, float(n))
    if reduced is not None:
        steps.append(reduced)
    details = {
        "reduction": reduction,
        "label_smoothing": label_smoothing,
        "targets": "class probabilities",
        "denominator": float(n),
        "denominator_is": "number of examples (soft targets)",
    }
    return Calculation("xent", tuple(steps), result, (), details)


# ----------------------------------------------------------------------------- binary cross-entropy


def binary_cross_entropy(
    logits: np.ndarray,
    targets: np.ndarray,
    weight: np.ndarray | None = None,
    pos_weight: np.ndarray | None = None,
    reduction: str = "mean",
) -> Calculation:
    """PyTorch's binary_cross_entropy_with_logits, with log sigmoid computed as -softplus(-x).

    loss = -w · [pos_weight · y · log sigmoid(x) + (1 - y) · log(1 - sigmoid(x))], each class on its own.
    `weight` broadcasts over the logits (one per class, or one per entry); `pos_weight` is one per class.
    """
    x = np.asarray(logits, dtype=np.float64)
    y = np.asarray(targets, dtype=np.float64)
    check_reduction(reduction)
    if y.shape != x.shape:
        raise ValueError(
            f"targets have {y.size} value(s) but there are {x.size} logits: "
            "bce needs one 0/1 (or probability) target per logit"
        )
    if (y < 0).any() or (y > 1).any():
        raise ValueError("bce targets must be 0, 1 or probabilities in between")
    w = _broadcast_weight(weight, x.shape, "--weight")
    pw = _broadcast_weight(pos_weight, x.shape, "--pos-weight")
    probs = stable_sigmoid(x)
    log_p = log_sigmoid(x)
    log_not_p = log_sigmoid(-x)
    with _quiet():
        loss = -w * (pw * y * log_p + (1.0 - y) * log_not_p)
    steps = [
        Step("logits", "x", x, "the logits"),
        Step("target", "y", y, "0/1 or probability"),
        Step("sigmoid", "sigmoid", probs, "1 / (1 + exp(-x))", probability=True),
        Step("log_sigmoid", "log σ", log_p, "log sigmoid(x) = -softplus(-x)"),
        Step("log_one_minus_sigmoid", "log(1 - σ)", log_not_p, "log(1 - sigmoid(x)) = -softplus(x)"),
        Step("loss", "loss", loss, "-w · [pw · y · log σ + (1 - y) · log(1 - σ)]"),
    ]
    result: np.ndarray | float = loss
    if reduction != "none":
        flat_loss, reduced = _reduce(loss.reshape(-1), reduction, float(loss.size))
        result = flat_loss
        assert reduced is not None
        steps.append(reduced)
    details = {"reduction": reduction, "denominator": float(loss.size), "denominator_is": "number of logits"}
    return Calculation("bce", tuple(steps), result, (), details)


def _broadcast_weight(weight: np.ndarray | None, shape: tuple[int, int], option: str) -> np.ndarray:
    """One value per class (broadcast over examples) or one per entry; 1 when not given."""
    if weight is None:
        return np.ones(shape)
    weight = np.asarray(weight, dtype=np.float64)
    if weight.shape == (shape[1],) or weight.shape == shape:
        return np.broadcast_to(weight, shape)
    raise ValueError(
        f"{option} has {weight.size} value(s) but the logits have {shape[1]} class(es): give one per class"
    )
