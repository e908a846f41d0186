"""`calibrate`: read logits (or probabilities) and targets, measure calibration, write tables or JSON.

Reads exactly as `xent` does (numbers, JSON, files, stdin, a pipe from `logits`, class names, a labels
file); `--binary` takes one logit or probability per example, however it was shaped.
"""

from __future__ import annotations

import numpy as np

from logitcli.errors import InputError
from logitcli.inputs.batch import Batch
from logitcli.inputs.targets import check_ignore_index, parse_class_targets
from logitcli.output.calibration import emit_calibration
from logitcli.output.emit import Output
from logitcli.pipeline.calculate import check_temperature, require_targets, run_step
from logitcli.pipeline.read import ModelArgs, load_batch
from logitcli.steps.calibration import CONVENTION_CHOICES, STRATEGIES, Settings, calibration


def calibrate(
    values: list[str] | None,
    file: str | None,
    *,
    targets: str | None,
    probs: bool,
    binary: bool,
    classwise: bool,
    bins: int | None,
    strategy: str,
    convention: str | None,
    compare: bool,
    fit: bool,
    temperature: float,
    ignore_index: int,
    out: Output,
    model: ModelArgs,
) -> None:
    """Options checked first (before a model runs), then read -> measure -> emit."""
    if out.check:
        raise InputError(
            "calibrate has no torch.nn.functional call to --check against: --compare shows what torchmetrics, "
            "netcal, gpleiss, sklearn and relplot report for the same predictions"
        )
    if binary and classwise:
        raise InputError("choose one of --binary (one logit per example) and --classwise (every class's probability)")
    if convention is not None and convention not in CONVENTION_CHOICES:
        raise InputError(f"unknown --convention {convention!r}: use one of {', '.join(CONVENTION_CHOICES)}")
    if strategy not in STRATEGIES:
        raise InputError(f"unknown --strategy {strategy!r}: use uniform (equal width) or quantile (equal count)")
    if bins is not None and not 1 <= bins <= 10_000:
        raise InputError(f"--bins takes 1 to 10000 bins, got {bins}")
    if fit and probs:
        raise InputError("--fit divides logits by T and needs logits: leave out --probs and give the logits")
    check_ignore_index(ignore_index)
    check_temperature(temperature)
    text = require_targets(targets, "calibrate")
    batch = load_batch(values, file, model, out, source="result" if probs else "logits")
    if binary:
        batch = _one_per_example(batch)
        target_array = parse_class_targets(text, _two_classes(batch), ignore_index=ignore_index)
    else:
        target_array = parse_class_targets(text, batch, ignore_index=ignore_index)
    mode = "binary" if binary else "classwise" if classwise else "top-label"
    settings = Settings(mode, bins, strategy, convention, probs, temperature, ignore_index)
    calc = run_step(
        calibration,
        batch.values,
        target_array,
        settings,
        compare=compare,
        fit=fit,
        example_names=batch.example_names(),
    )
    emit_calibration(calc, batch, out)


def _one_per_example(batch: Batch) -> Batch:
    """--binary: a flat list is one logit per example; (N, 1) is too; more per example is refused."""
    if batch.one_example or batch.n_examples == 1:
        values = batch.values.reshape(-1, 1)
        return Batch(values, extra=batch.extra, upstream=batch.upstream)
    if batch.n_classes != 1:
        raise InputError(
            f"--binary takes one logit (or probability) per example, got {batch.n_classes} per example: "
            "leave out --binary for top-label calibration, or use --classwise"
        )
    return batch


def _two_classes(batch: Batch) -> Batch:
    """A two-class stand-in, so the targets are read as class indices 0 and 1 (labels files included)."""
    return Batch(np.zeros((batch.n_examples, 2)), inputs=batch.inputs)
