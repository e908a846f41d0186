"""`logitcli explain`: the article as a guided tour, on its own numbers or on the user's.

This module decides what the tour shows and in what order; it computes nothing itself. Every number comes
from `logitcli.steps` (or from the model, for the logits), every sentence from `texts/<lang>.toml`, and
layout is `layout`'s job. The CLI uses `build_tour` and `default_lang` (through `logitcli.tour`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from logitcli import steps
from logitcli.errors import InputError, LogitcliError
from logitcli.inputs.batch import Batch
from logitcli.model.check import TorchCheck, check, check_gradient, function_name, gradient_function_name
from logitcli.output.lang import LANGS, default_lang
from logitcli.output.lang import texts as output_texts
from logitcli.output.render import DEFAULT_TOP_K, default_top_k, format_distinct, format_number
from logitcli.steps import Calculation, Step
from logitcli.steps.diagnosis import diagnose
from logitcli.tour import article
from logitcli.tour.data import (
    Bars,
    Block,
    CalcTable,
    Check,
    Comparison,
    ComparisonRow,
    Curve,
    Mark,
    Prose,
    Section,
    Tour,
)

__all__ = ["LANGS", "SECTIONS", "build_tour", "default_lang", "load_texts"]

SECTIONS: tuple[str, ...] = ("logits", "sigmoid", "softmax", "nll", "xent", "grad")
CURVE_SAMPLES = 61
CURVE_HALF_RANGE = 8.0
CURVE_MAX_HALF_RANGE = 20.0
SLOPE_HALF_RANGE = 10.0


@cache
def load_texts(lang: str) -> dict[str, dict[str, Any]]:
    """The tour's prose for one language, from the package's texts/<lang>.toml, with the commands' words."""
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
    w = _Writer(load_texts(lang), torch_checks)
    wanted = SECTIONS if section is None else (section,)
    if batch is None:
        builders: dict[str, Callable[[], Section]] = {
            "logits": lambda: _article_logits(w, run_model, seed),
            "sigmoid": lambda: _article_sigmoid(w),
            "softmax": lambda: _article_softmax(w),
            "nll": lambda: _article_nll(w),
            "xent": lambda: _article_xent(w),
            "grad": lambda: _article_grad(w),
        }
    else:
        k = default_top_k(batch.n_classes, top_k)
        t = None if targets is None else np.asarray(targets)
        builders = {
            "logits": lambda: _your_logits(w, batch, k),
            "sigmoid": lambda: _your_sigmoid(w, batch, k),
            "softmax": lambda: _your_softmax(w, batch, k),
            "nll": lambda: _your_nll(w, batch, t, k),
            "xent": lambda: _your_xent(w, batch, t, k),
            "grad": lambda: _your_grad(w, batch, t, k),
        }
    try:
        sections = tuple(builders[name]() for name in wanted)
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


# ----------------------------------------------------------------------------- helpers


def _num(value: float) -> str:
    return format_number(float(value), 4)


def _nums(values: np.ndarray) -> str:
    return "[" + ", ".join(_num(v) for v in np.ravel(values)) + "]"


def _logits_calc(values: np.ndarray) -> Calculation:
    """The logits as a one-step Calculation, so they print as every other table does."""
    return Calculation("logits", (Step("logits", "x", values, "logit"),), values)


def _only(calc: Calculation, *names: str) -> Calculation:
    """The same calculation showing only some steps (and no English notes: the prose says it)."""
    return replace(calc, steps=tuple(calc.step(name) for name in names), notes=())


def _say_note(said: Mapping[str, str], note: str, words: Mapping[str, str]) -> str:
    """A note in the tour's language; the English phrases among its values (`number of kept examples`) too."""
    text = said.get(getattr(note, "id", ""))
    if text is None:
        return str(note)
    args = {key: words.get(value, value) for key, value in getattr(note, "args", {}).items()}
    try:
        return text.format(**args)
    except (KeyError, IndexError, ValueError):
        return str(note)


class _Writer:
    """Fills the language's sentences with numbers and pairs each computed table with its PyTorch check."""

    def __init__(self, texts: dict[str, dict[str, Any]], torch_checks: bool) -> None:
        self.texts = texts
        self.torch_checks = torch_checks

    def say(self, section: str, key: str, kind: str = "paragraph", **values: Any) -> list[Prose]:
        text = self.texts[section][key]
        paragraphs = [p.format(**values) for p in (text if isinstance(text, list) else [text])]
        if kind != "paragraph":  # a note or notice is one panel, however many paragraphs
            paragraphs = ["\n\n".join(paragraphs)]
        return [Prose(p, kind) for p in paragraphs]  # type: ignore[arg-type]

    def notes(self, calc: Calculation, batch: Batch | None = None, own: bool = True) -> list[Prose]:
        """What the step functions noticed about the user's numbers (`own`), and where any NaN or inf came from,
        in the tour's language (a note's text is filled with the same values as its English one)."""
        said = self.texts.get("notes", {})
        notes = calc.notes if own else ()
        if batch is not None:
            notes += diagnose(calc, batch.example_names(), batch.class_names())
        words = self.texts.get("table", {})
        return [Prose(_say_note(said, note, words), "note") for note in notes]

    def word(self, key: str, **values: Any) -> str:
        return self.texts["tour"][key].format(**values)

    def check(self, calc: Calculation, values: np.ndarray, targets: np.ndarray | None = None, **options: Any) -> Check:
        result: TorchCheck | None = check(calc, values, targets, **options) if self.torch_checks else None
        return self._verdict(function_name(calc), result)

    def grad_check(self, calc: Calculation, values: np.ndarray, targets: np.ndarray | None = None) -> Check:
        """`calc.grad` against torch.autograd on the same call."""
        result = check_gradient(calc, values, targets) if self.torch_checks else None
        return self._verdict(gradient_function_name(calc), result)

    def _verdict(self, function: str, result: TorchCheck | None) -> Check:
        if result is None:
            text = self.word("check_no_torch", function=function)
        else:
            key = "check_matches" if result.matches else "check_differs"
            text = self.word(key, function=function, diff=f"{result.max_abs_diff:.1e}")
        return Check(function, result, text)

    def table(
        self,
        caption: str,
        calc: Calculation,
        batch: Batch,
        values: np.ndarray | None = None,
        targets: np.ndarray | None = None,
        top_k: int | None = None,
        shown: Calculation | None = None,
    ) -> CalcTable:
        """`calc` is checked against PyTorch on `values`; `shown` (a trimmed calc) is what the table prints."""
        checked = None if values is None else self.check(calc, values, targets)
        return CalcTable(caption, shown or replace(calc, notes=()), batch, checked, top_k)

    def section(self, name: str, blocks: list[Block], yours: bool = False, result: Any = None) -> Section:
        """A section; on the user's numbers its title drops the article's example ("is this a car?")."""
        return Section(name, self.texts[name]["title_yours" if yours else "title"], tuple(blocks), result)


def _class_names(w: _Writer, batch: Batch) -> list[str]:
    """The batch's class names, else `class 0 .. C-1` in the tour's language (as its tables name them)."""
    return batch.classes or [
        w.texts.get("table", {}).get("class_name", "class {index}").format(index=i) for i in range(batch.n_classes)
    ]


def _marked_curve(
    w: _Writer,
    function: Callable[[np.ndarray], np.ndarray],
    marks: list[tuple[str, float]],
    half_range: float,
    caption: str,
    y_range: tuple[float, float] = (0.0, 1.0),
) -> Curve:
    """`function` on a grid wide enough for the marked logits (within reason), each mark on the curve."""
    widest = max([half_range, *(abs(x) for _, x in marks if np.isfinite(x))])
    half = float(min(np.ceil(widest), CURVE_MAX_HALF_RANGE))
    xs = np.linspace(-half, half, CURVE_SAMPLES)
    ys = function(xs[None, :])[0]
    at = function(np.array([[x for _, x in marks]]))[0] if marks else np.zeros(0)
    clipped = sum(1 for _, x in marks if not -half <= x <= half)
    note = w.word("curve_clipped", count=clipped) if clipped else ""
    points = tuple(Mark(label, float(x), float(y)) for (label, x), y in zip(marks, at, strict=True))
    return Curve(caption, xs, ys, points, note, y_range=y_range)


def _sigmoid_curve(w: _Writer, marks: list[tuple[str, float]]) -> Curve:
    """The sigmoid itself, for the sigmoid section."""
    return _marked_curve(
        w, lambda x: steps.sigmoid(x).result, marks, CURVE_HALF_RANGE, w.texts["sigmoid"]["curve_caption"]
    )


def _sigmoid_landmarks(w: _Writer) -> list[Prose]:
    """sigmoid at -4, 0 and 4: the three points the article reads off its plot."""
    at = steps.sigmoid(np.array([[-4.0, 0.0, 4.0]])).result[0]
    return w.say("sigmoid", "curve", at_minus_4=_num(at[0]), at_zero=_num(at[1]), at_plus_4=_num(at[2]))


def _sigmoid_inverse(w: _Writer, calc: Calculation, row: int, col: int) -> list[Prose]:
    x = calc.step("logits").values[row, col]
    one_plus = calc.step("one_plus_exp_neg_x").values[row, col]
    p = calc.step("sigmoid").values[row, col]
    return w.say("sigmoid", "inverse", x=_num(x), one_plus=format_distinct(one_plus), p=format_distinct(p))


def _temperature_bars(w: _Writer, x: np.ndarray, classes: list[str], top_k: int | None) -> tuple[Bars, list[Check]]:
    """softmax(x / T) for the tour's temperatures on one example, and each checked against torch.softmax."""
    calcs = [steps.softmax(x, temperature=t) for t in article.TEMPERATURES]
    labels = [w.word("temperature_label", t=f"{t:g}") for t in article.TEMPERATURES]
    series = tuple((label, calc.result[0]) for label, calc in zip(labels, calcs, strict=True))
    bars = Bars(w.texts["softmax"]["temperature_caption"], classes, series, w.word("class_header"), top_k)
    checks = [w.check(calc, x) for calc in calcs]
    if all(one.result is None for one in checks):  # no torch: say so once, not once per temperature
        return bars, checks[:1]
    return bars, [replace(one, text=f"{label}: {one.text}") for label, one in zip(labels, checks, strict=True)]


def _huge_logit_demo(w: _Writer) -> list[Block]:
    """A logit of 1000: the naive exp overflows, log(softmax) gives -inf, log_softmax stays exact."""
    x, t = article.HUGE_LOGITS, article.HUGE_TARGETS
    batch = Batch(x)
    naive = steps.softmax(x)
    stable = steps.cross_entropy(x, t, reduction="none")
    target = int(t[0])
    return [
        *w.say("xent", "stable", logits=_nums(x), target=target),
        w.table("", naive, batch, x, shown=_only(naive, "logits", "exp", "sum_exp", "softmax")),
        *w.say(
            "xent",
            "naive",
            exp_first=_num(naive.step("exp").values[0, 0]),
            sum=_num(naive.step("sum_exp").values[0]),
            probs=_nums(naive.result),
            target=target,
        ),
        w.table("", stable, batch, x, t),
        *w.say(
            "xent",
            "stable_after",
            log_p=_nums(stable.step("log_softmax").values),
            picked=_num(stable.step("picked").values[0]),
            loss=_num(stable.step("loss").values[0]),
        ),
    ]


# ----------------------------------------------------------------------------- the article's numbers


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


def _article_logits(w: _Writer, run_model: bool, seed: int) -> Section:
    printed = _num(article.SIGMOID_LOGIT[0, 0])
    blocks: list[Block] = [*w.say("logits", "intro")]
    ran = _run_article_model(seed) if run_model else None
    if ran is None:
        blocks += w.say("logits", "no_model", printed=printed)
        x = article.SIGMOID_LOGIT
        blocks.append(w.table("", _logits_calc(x), Batch(x)))
    else:
        blocks += w.say("logits", "model", seed=seed)
        blocks.append(w.table(w.texts["logits"]["caption_run"].format(seed=seed), _logits_calc(ran.values), ran))
        blocks += w.say("logits", "model_result", logit=_num(ran.values[0, 0]), printed=printed)
    blocks += w.say("logits", "notice", "notice")
    return w.section("logits", blocks, result=article.SIGMOID_LOGIT if ran is None else ran.values)


def _article_sigmoid(w: _Writer) -> Section:
    x = article.SIGMOID_LOGIT
    calc = steps.sigmoid(x)
    p = calc.result[0, 0]
    blocks: list[Block] = [
        *w.say("sigmoid", "intro", x=_num(x[0, 0])),
        w.table("", calc, Batch(x), x),
        *w.say("sigmoid", "result", x=_num(x[0, 0]), p=_num(p), printed=f"{article.SIGMOID_PRINTED:.4f}"),
        *_sigmoid_landmarks(w),
        _sigmoid_curve(w, [(w.word("mark_article"), float(x[0, 0]))]),
        *_sigmoid_inverse(w, calc, 0, 0),
        *w.say("sigmoid", "notice", "notice"),
    ]
    return w.section("sigmoid", blocks, result=calc.result)


def _misprint_comparison(w: _Writer, calc: Calculation) -> Comparison:
    """The article's exps, sum and softmax beside the true ones; a cell is flagged where 4 decimals differ."""
    true_exp = np.append(calc.step("exp").values[0], calc.step("sum_exp").values[0])
    printed_exp = np.append(article.SOFTMAX_PRINTED_EXPS, article.SOFTMAX_PRINTED_SUM)
    true_p = calc.result[0]

    def row(label: str, values: np.ndarray, truth: np.ndarray | None = None) -> ComparisonRow:
        if truth is None:
            return ComparisonRow(label, values, np.zeros(len(values), dtype=bool))
        differs = np.array([_num(a) != _num(b) for a, b in zip(values, truth, strict=True)])
        return ComparisonRow(label, values, differs)

    rows = (
        row(w.word("comparison_true", step="exp(x)"), true_exp),
        row(w.word("comparison_printed", step="exp(x)"), printed_exp, true_exp),
        row(w.word("comparison_true", step="softmax"), true_p),
        row(w.word("comparison_printed", step="softmax"), article.SOFTMAX_PRINTED, true_p),
        row(w.word("comparison_own"), article.SOFTMAX_PRINTED_EXPS_OVER_SUM, true_p),
    )
    columns = [*article.SOFTMAX_CLASSES, "Σ"]
    return Comparison(w.texts["softmax"]["comparison_caption"], columns, rows, w.word("comparison_legend"))


def _article_softmax(w: _Writer) -> Section:
    x = article.SOFTMAX_LOGITS
    calc = steps.softmax(x)
    probs = calc.result[0]
    top = int(np.argmax(probs))
    pick_x = article.PICK_ONE_LOGITS
    pick = steps.softmax(pick_x)
    bars, checks = _temperature_bars(w, pick_x, _class_names(w, Batch(pick_x)), None)
    pick_top = int(np.argmax(pick.result[0]))
    at_t = [p for _, p in bars.series]
    blocks: list[Block] = [
        *w.say("softmax", "intro"),
        w.table("", calc, Batch(x, classes=article.SOFTMAX_CLASSES), x),
        *w.say(
            "softmax",
            "result",
            sum=_num(calc.step("sum_exp").values[0]),
            probs=_nums(probs),
            top_class=article.SOFTMAX_CLASSES[top],
            top_p=_num(probs[top]),
        ),
        *w.say(
            "softmax",
            "misprint",
            "note",
            printed_exp=_num(article.SOFTMAX_PRINTED_EXPS[0]),
            x0=_num(x[0, 0]),
            true_exp=_num(calc.step("exp").values[0, 0]),
            printed_sum=_num(article.SOFTMAX_PRINTED_SUM),
            true_sum=_num(calc.step("sum_exp").values[0]),
            printed_softmax=_nums(article.SOFTMAX_PRINTED),
            true_softmax=_nums(probs),
            own_ratio=_nums(article.SOFTMAX_PRINTED_EXPS_OVER_SUM),
        ),
        _misprint_comparison(w, calc),
        *w.say(
            "softmax",
            "pick_one",
            logits=_nums(pick_x),
            exps=_nums(pick.step("exp").values),
            sum=_num(pick.step("sum_exp").values[0]),
            probs=_nums(pick.result),
            printed_exps=f"[{', '.join(f'{v:.2f}' for v in article.PICK_ONE_PRINTED_EXPS)}]",
            printed=f"[{', '.join(f'{v:.2f}' for v in article.PICK_ONE_PRINTED)}]",
        ),
        w.table("", pick, Batch(pick_x), pick_x),
        *w.say("softmax", "pick_one_after"),
        *w.say("softmax", "temperature"),
        bars,
        *checks,
        *w.say(
            "softmax",
            "temperature_after",
            p_sharp=_num(at_t[0][pick_top]),
            p_plain=_num(at_t[1][pick_top]),
            p_flat=_num(at_t[2][pick_top]),
        ),
        *w.say("softmax", "code_note", "note"),
        *w.say("softmax", "notice", "notice"),
    ]
    return w.section("softmax", blocks, result=calc.result)


def _article_nll(w: _Writer) -> Section:
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
        w.table("", soft, Batch(x, classes=classes), x, shown=_only(soft, "logits", "softmax")),
        *w.say("nll", "pick"),
        w.table("", picked, Batch(probs, classes=classes), probs, t),
        *w.say(
            "nll",
            "result",
            losses=_nums(losses),
            printed=_nums(article.BEAR_NLL_PRINTED),
            last_long=format_number(float(losses[-1]), 6),
        ),
        *w.say("nll", "why_log"),
        *w.say("nll", "notice", "notice"),
    ]
    return w.section("nll", blocks, result=losses)


def _article_xent(w: _Writer) -> Section:
    x, t = article.BEAR_LOGITS, article.BEAR_TARGETS
    batch = Batch(x, classes=article.BEAR_CLASSES)
    per_sample = steps.cross_entropy(x, t, reduction="none")
    mean = steps.cross_entropy(x, t)
    log_p = per_sample.step("log_softmax").values
    via_nll = steps.nll(log_p, t, reduction="none")
    blocks: list[Block] = [
        *w.say("xent", "intro"),
        w.table("", per_sample, batch, x, t),
        *w.say("xent", "result", losses=_nums(per_sample.result), printed=_nums(article.BEAR_XENT_PRINTED)),
        *w.say("xent", "mean", mean=_num(mean.result)),
        w.check(mean, x, t),
        *w.say("xent", "nll_equal"),
        w.table("", via_nll, Batch(log_p, classes=article.BEAR_CLASSES), log_p, t),
        *_huge_logit_demo(w),
        *w.say("xent", "code_note", "note"),
        *w.say("xent", "notice", "notice"),
    ]
    return w.section("xent", blocks, result=mean.result)


# ----------------------------------------------------------------------------- the user's numbers


def _top_classes(batch: Batch, row: int, k: int | None) -> list[int]:
    """The classes a table shows for one example: all, or the top k by logit (a choice, not a result)."""
    order = np.argsort(-batch.values[row], kind="stable")
    return [int(i) for i in (order if k is None else order[:k])]


def _your_logits(w: _Writer, batch: Batch, k: int | None) -> Section:
    blocks: list[Block] = [
        *w.say("logits", "intro"),
        *w.say("logits", "yours", examples=batch.n_examples, classes=batch.n_classes, top_k=k or DEFAULT_TOP_K),
        w.table("", _logits_calc(batch.values), batch, top_k=k),
    ]
    return w.section("logits", blocks, yours=True, result=batch.original())


def _your_sigmoid(w: _Writer, batch: Batch, k: int | None) -> Section:
    x = batch.values
    calc = steps.sigmoid(x)
    shown = _top_classes(batch, 0, k)
    names = _class_names(w, batch)
    marks = [(w.word("mark_yours", name=names[i]), float(x[0, i])) for i in shown if not np.isnan(x[0, i])]
    blocks: list[Block] = [
        *w.say("sigmoid", "yours"),
        w.table("", calc, batch, x, top_k=k),
        *w.notes(calc, batch),
        *_sigmoid_landmarks(w),
        _sigmoid_curve(w, marks),
        *_sigmoid_inverse(w, calc, 0, shown[0]),
        *w.say("sigmoid", "notice", "notice"),
    ]
    return w.section("sigmoid", blocks, yours=True, result=batch.shaped(calc.result))


def _your_softmax(w: _Writer, batch: Batch, k: int | None) -> Section:
    x = batch.values
    calc = steps.softmax(x)
    top = _top_classes(batch, 0, 1)[0]
    example = batch.example_names()[0]
    bars, checks = _temperature_bars(w, x[:1], _class_names(w, batch), k)
    blocks: list[Block] = [
        *w.say("softmax", "yours"),
        w.table("", calc, batch, x, top_k=k),
        *w.notes(calc, batch),
        *w.say(
            "softmax",
            "yours_result",
            example=example,
            top_class=_class_names(w, batch)[top],
            top_p=_num(calc.result[0, top]),
        ),
        *w.say("softmax", "yours_temperature", example=example),
        bars,
        *checks,
        *w.say("softmax", "notice", "notice"),
    ]
    return w.section("softmax", blocks, yours=True, result=batch.shaped(calc.result))


def _targets_text(targets: np.ndarray) -> str:
    return "[" + ", ".join(str(int(i)) for i in np.ravel(targets)) + "]"


def _your_nll(w: _Writer, batch: Batch, targets: np.ndarray | None, k: int | None) -> Section:
    if targets is None:
        return w.section("nll", [*w.say("nll", "needs_targets", "note"), *w.say("nll", "notice", "notice")], yours=True)
    x = batch.values
    soft = steps.softmax(x)
    probs = soft.result
    picked = steps.nll(probs, targets, reduction="none")
    prob_batch = replace(batch, values=probs)
    blocks: list[Block] = [
        *w.say("nll", "yours", targets=_targets_text(targets)),
        w.table("", soft, batch, x, top_k=k, shown=_only(soft, "logits", "softmax")),
        *w.say("nll", "pick"),
        w.table("", picked, prob_batch, probs, targets, top_k=k),
        *w.notes(picked, prob_batch, own=False),
        *w.say("nll", "why_log"),
        *w.say("nll", "notice", "notice"),
    ]
    return w.section("nll", blocks, yours=True, result=picked.result)


def _your_xent(w: _Writer, batch: Batch, targets: np.ndarray | None, k: int | None) -> Section:
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
            *w.say("xent", "yours", targets=_targets_text(targets)),
            w.table("", per_sample, batch, x, targets, top_k=k),
            *w.say("xent", "yours_mean", mean=_num(mean.result)),
            *w.notes(mean, batch),
            w.check(mean, x, targets),
        ]
        result = mean.result
    blocks += [*_huge_logit_demo(w), *w.say("xent", "notice", "notice")]
    return w.section("xent", blocks, yours=True, result=result)


# ----------------------------------------------------------------------------- gradients: the step after the article


def _with_grad(x: np.ndarray, targets: np.ndarray, reduction: str = "mean") -> Calculation:
    """Cross-entropy and its gradient with respect to the logits, as `xent --grad` computes them."""
    loss = steps.cross_entropy(x, targets, reduction=reduction)
    return steps.with_gradient(loss, steps.cross_entropy_grad(x, targets, reduction=reduction))


def _grad_table(
    w: _Writer, calc: Calculation, batch: Batch, targets: np.ndarray, top_k: int | None = None, caption: str = ""
) -> CalcTable:
    """softmax p, target q, p - q, the gradient and each example's loss (and their mean), checked against autograd."""
    wanted = ("softmax", "grad_target", "grad_difference", "grad", "loss", "mean", "sum")
    names = [n for n in wanted if n in {s.name for s in calc.steps}]
    return CalcTable(caption, _only(calc, *names), batch, w.grad_check(calc, batch.values, targets), top_k)


def _pushes(w: _Writer, calc: Calculation, batch: Batch, targets: np.ndarray) -> list[Prose]:
    """Which kept example gets the smallest push at its target, and which the largest."""
    rows = np.flatnonzero(targets != steps.DEFAULT_IGNORE_INDEX)
    if not len(rows) or calc.grad is None:
        return []
    p = calc.step("softmax").values[rows, targets[rows]]
    g = calc.grad[rows, targets[rows]]
    names, classes = batch.example_names(), _class_names(w, batch)

    def example(i: int) -> str:
        return w.word("example_class", example=names[rows[i]], name=classes[int(targets[rows[i]])])

    best, worst = int(np.argmax(p)), int(np.argmin(p))
    if len(rows) == 1:
        return w.say("grad", "push_one", best=example(best), best_p=_num(p[best]), best_g=_num(g[best]))
    return w.say(
        "grad",
        "push",
        best=example(best),
        best_p=_num(p[best]),
        best_g=_num(g[best]),
        worst=example(worst),
        worst_p=_num(p[worst]),
        worst_g=_num(g[worst]),
    )


def _rows_sum_to_zero(w: _Writer, calc: Calculation) -> list[Prose]:
    assert calc.grad is not None
    sums = np.abs(calc.grad.sum(axis=1))
    return w.say("grad", "read", row_sum=f"{float(sums[np.isfinite(sums)].max(initial=0.0)):.1e}")


def _confident(w: _Writer) -> list[Block]:
    """A confident model right and wrong (reduction none, so each row is just p - q)."""
    x, t = article.CONFIDENT_LOGITS, article.CONFIDENT_TARGETS
    calc = _with_grad(x, t, reduction="none")
    batch = Batch(x, classes=article.BEAR_CLASSES, inputs=[w.word("grad_right"), w.word("grad_wrong")])
    p, g = calc.step("softmax").values, calc.grad
    assert g is not None
    return [
        *w.say("grad", "confident_intro"),
        _grad_table(w, calc, batch, t),
        *w.say(
            "grad",
            "confident",
            right_p=_num(p[0, t[0]]),
            right_g=_num(g[0, t[0]]),
            wrong_p=_num(p[1, t[1]]),
            wrong_g=_num(g[1, t[1]]),
            wrong_top=_num(g[1, t[0]]),
        ),
    ]


def _descent(w: _Writer, calc: Calculation, batch: Batch, targets: np.ndarray, top_k: int | None) -> list[Block]:
    """One step of gradient descent on the logits, the table, and the loss after it checked against PyTorch."""
    lr = article.DESCENT_LR
    descent = steps.descend(calc, batch.values, lr, lambda z: steps.cross_entropy(z, targets))
    after = steps.cross_entropy(descent.after, targets)
    key = "descent_after" if float(descent.loss_after) < float(descent.loss_before) else "descent_no_fall"
    return [
        *w.say("grad", "descent", lr=f"{lr:g}"),
        CalcTable("", steps.descent_calculation(descent), batch, None, top_k),
        *w.say("grad", key, before=_num(descent.loss_before), after=_num(descent.loss_after)),
        w.check(after, descent.after, targets),
    ]


def _slope_curve(w: _Writer, marks: list[tuple[str, float]]) -> Curve:
    """σ'(x), wide enough for x = ±10: where it vanishes."""
    caption = w.texts["grad"]["curve_caption"]
    return _marked_curve(w, lambda x: steps.sigmoid_grad(x).values, marks, SLOPE_HALF_RANGE, caption, (0.0, 0.25))


def _sigmoid_slope(w: _Writer, marks: list[tuple[str, float]]) -> list[Block]:
    """The sigmoid's derivative vanishes for large |x|; binary cross-entropy's log cancels it."""
    at = steps.sigmoid_grad(article.SLOPE_POINTS).values[0]
    bce = steps.binary_cross_entropy_grad(article.WRONG_LOGIT, article.WRONG_LABEL, reduction="sum")
    return [
        *w.say("grad", "sigmoid", at_zero=_num(at[0]), at_2=_num(at[1]), at_5=_num(at[2]), at_10=_num(at[3])),
        _slope_curve(w, marks),
        *w.say("grad", "sigmoid_after", bce_at=_num(bce.values[0, 0])),
    ]


def _article_grad(w: _Writer) -> Section:
    x, t = article.BEAR_LOGITS, article.BEAR_TARGETS
    batch = Batch(x, classes=article.BEAR_CLASSES)
    calc = _with_grad(x, t)
    blocks: list[Block] = [
        *w.say("grad", "intro"),
        _grad_table(w, calc, batch, t),
        *_rows_sum_to_zero(w, calc),
        *_pushes(w, calc, batch, t),
        *w.say("grad", "alike"),
        *_confident(w),
        *_descent(w, calc, batch, t, None),
        *_sigmoid_slope(w, [(w.word("mark_article"), float(article.SIGMOID_LOGIT[0, 0]))]),
        *w.say("grad", "notice", "notice"),
    ]
    return w.section("grad", blocks, result=calc.grad)


def _your_grad(w: _Writer, batch: Batch, targets: np.ndarray | None, k: int | None) -> Section:
    names = _class_names(w, batch)
    shown = [i for i in _top_classes(batch, 0, k) if not np.isnan(batch.values[0, i])]
    marks = [(w.word("mark_yours", name=names[i]), float(batch.values[0, i])) for i in shown]
    blocks: list[Block] = []
    result = None
    if targets is None:
        blocks += w.say("grad", "needs_targets", "note")
    else:
        calc = _with_grad(batch.values, targets)
        blocks += [
            *w.say("grad", "yours", targets=_targets_text(targets)),
            _grad_table(w, calc, batch, targets, k),
            *w.notes(calc, batch),
            *_rows_sum_to_zero(w, calc),
            *_pushes(w, calc, batch, targets),
            *_confident(w),
            *_descent(w, calc, batch, targets, k),
        ]
        result = batch.shaped(calc.grad)
    blocks += [*_sigmoid_slope(w, marks), *w.say("grad", "notice", "notice")]
    return w.section("grad", blocks, yours=True, result=result)
