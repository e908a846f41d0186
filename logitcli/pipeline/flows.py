"""One flow per command: read the input, calculate, emit. The CLI calls these with the options it parsed.

Each flow checks the options that need no input first (so a bad `--reduction` is refused before a model
runs), then reads, runs the step function through `calculate`, and hands the `Calculation` to the output.
"""

from __future__ import annotations

import shutil
import sys

import numpy as np

from logitcli import steps
from logitcli.errors import InputError
from logitcli.inputs.read import resolve_batch
from logitcli.inputs.targets import check_ignore_index, parse_binary_targets, parse_class_targets, parse_weights
from logitcli.output.emit import Output, emit_calculation, emit_logits
from logitcli.pipeline.calculate import (
    as_rows,
    broadcast_weight,
    check_lr,
    check_reduction,
    check_temperature,
    checked,
    loss_with_gradient,
    require_targets,
)
from logitcli.pipeline.read import ModelArgs, finish_model_run, load_batch, model_options, with_classes


def sigmoid(values: list[str] | None, file: str | None, *, grad: bool, out: Output, model: ModelArgs) -> None:
    """Each logit on its own through the sigmoid; with --grad its derivative."""
    batch = load_batch(values, file, model, out)
    calc = steps.sigmoid(batch.values)
    if grad:
        calc = steps.with_gradient(calc, steps.sigmoid_grad(batch.values))
    emit_calculation(checked(out.check, calc, batch), batch, out)


def softmax(values: list[str] | None, file: str | None, *, temperature: float, out: Output, model: ModelArgs) -> None:
    """Each row through the softmax, the article's naive steps beside the max-shifted ones."""
    check_temperature(temperature)
    batch = load_batch(values, file, model, out)
    emit_calculation(checked(out.check, steps.softmax(batch.values, temperature), batch), batch, out)


def nll(
    values: list[str] | None,
    file: str | None,
    *,
    targets: str | None,
    weight: str | None,
    ignore_index: int,
    reduction: str,
    grad: bool,
    lr: float | None,
    out: Output,
    model: ModelArgs,
) -> None:
    """F.nll_loss: reads `result` first from piped JSON, so `softmax | nll` replays the article's lesson."""
    check_reduction(reduction)
    check_ignore_index(ignore_index)
    check_lr(lr, grad)
    batch = load_batch(values, file, model, out, source="result")
    target_array = parse_class_targets(require_targets(targets, "nll"), batch, ignore_index=ignore_index)
    class_weight = parse_weights(weight, "--weight")
    options = {"targets": target_array, "weight": class_weight, "ignore_index": ignore_index, "reduction": reduction}
    calc = loss_with_gradient(steps.nll, steps.nll_grad, batch.values, options, grad, lr)
    emit_calculation(checked(out.check, calc, batch, target_array, weight=class_weight), batch, out)


def xent(
    values: list[str] | None,
    file: str | None,
    *,
    targets: str | None,
    weight: str | None,
    ignore_index: int,
    reduction: str,
    label_smoothing: float,
    grad: bool,
    lr: float | None,
    out: Output,
    model: ModelArgs,
) -> None:
    """F.cross_entropy in the article's four steps, with class-index or soft targets."""
    check_reduction(reduction)
    check_ignore_index(ignore_index)
    if label_smoothing > 1.0:
        raise InputError(f"--label-smoothing must be at most 1 (PyTorch refuses more), got {label_smoothing:g}")
    check_lr(lr, grad)
    batch = load_batch(values, file, model, out)
    target_array = parse_class_targets(
        require_targets(targets, "xent"), batch, allow_soft=True, ignore_index=ignore_index
    )
    class_weight = parse_weights(weight, "--weight")
    options = {
        "targets": target_array,
        "weight": class_weight,
        "ignore_index": ignore_index,
        "reduction": reduction,
        "label_smoothing": label_smoothing,
    }
    calc = loss_with_gradient(steps.cross_entropy, steps.cross_entropy_grad, batch.values, options, grad, lr)
    emit_calculation(checked(out.check, calc, batch, target_array, weight=class_weight), batch, out)


def bce(
    values: list[str] | None,
    file: str | None,
    *,
    targets: str | None,
    weight: str | None,
    pos_weight: str | None,
    reduction: str,
    probs: bool,
    grad: bool,
    lr: float | None,
    out: Output,
    model: ModelArgs,
) -> None:
    """F.binary_cross_entropy_with_logits (F.binary_cross_entropy with --probs), weights broadcast as PyTorch's."""
    check_reduction(reduction)
    check_lr(lr, grad)
    if probs and pos_weight is not None:
        raise InputError(
            "--pos-weight does not go with --probs: PyTorch's binary_cross_entropy has no pos_weight "
            "(binary_cross_entropy_with_logits has); give logits without --probs to use it"
        )
    batch = load_batch(values, file, model, out).with_class_axis(-1)  # PyTorch broadcasts pos_weight on the last
    if targets is None:
        raise InputError("bce needs --targets: one 0/1 (or probability) per logit, e.g. --targets 1,0,1")
    y = parse_binary_targets(targets, batch)
    w = broadcast_weight(parse_weights(weight, "--weight"), batch, "--weight")
    if probs:
        options = {"targets": y, "weight": as_rows(w, batch), "reduction": reduction}
        loss, gradient = steps.binary_cross_entropy_probs, steps.binary_cross_entropy_probs_grad
        given = {"weight": w}
    else:
        pw = broadcast_weight(parse_weights(pos_weight, "--pos-weight"), batch, "--pos-weight")
        options = {"targets": y, "weight": as_rows(w, batch), "pos_weight": as_rows(pw, batch), "reduction": reduction}
        loss, gradient = steps.binary_cross_entropy, steps.binary_cross_entropy_grad
        given = {"weight": w, "pos_weight": pw}
    calc = loss_with_gradient(loss, gradient, batch.values, options, grad, lr)
    emit_calculation(checked(out.check, calc, batch, y, **given), batch, out)


def logits(values: list[str] | None, file: str | None, *, out: Output, model: ModelArgs) -> None:
    """The model's raw outputs; --jsonl on images streams a line per image as it is computed."""
    if out.mode == "jsonl" and values and model.random_input is None:
        _stream_logits(values, file, model, out)
        return
    emit_logits(load_batch(values, file, model, out, prefer_paths=True), out)


def _stream_logits(values: list[str], file: str | None, model_args: ModelArgs, out: Output) -> None:
    """--jsonl on images: one line per image as soon as it is computed."""
    arguments = resolve_batch(values, file, prefer_paths=True)
    if arguments.image_paths is None:
        assert arguments.batch is not None
        emit_logits(with_classes(arguments.batch, model_args), out)
        return
    from logitcli.model import load_model, resolve_classes, run_images
    from logitcli.output.jsonout import dumps, logits_record

    options = model_options(model_args)
    loaded = load_model(options)
    classes = resolve_classes(loaded.num_classes, options.classes, options.classes_file, loaded.label_names)
    extra = {"model": loaded.name, "weights": loaded.weights}
    written = 0

    def on_row(path: str, row: np.ndarray) -> None:
        nonlocal written
        sys.stdout.buffer.write(dumps(logits_record(extra, written, path, classes, row)) + b"\n")
        sys.stdout.buffer.flush()
        written += 1

    run = run_images(arguments.image_paths, options, on_row=on_row, progress=out.progress_allowed(), loaded=loaded)
    finish_model_run(run, out)
    out.finish()


def models(pattern: str, *, json_: bool, lang: str | None = None) -> None:
    """timm's registry, filtered by a pattern."""
    from logitcli.model import list_models

    found = list_models(pattern)
    if not found:
        raise InputError(f"no timm model matches {pattern!r}: try a wildcard such as 'resnet*'")
    if json_:
        from logitcli.output.jsonout import dumps

        result = [{"name": name, "bundled": bundled} for name, bundled in found]
        sys.stdout.buffer.write(dumps({"command": "models", "pattern": pattern, "result": result}) + b"\n")
        return
    from logitcli.output.lang import check_lang, labels

    said = labels(check_lang(lang)).get("bundled_weights", "(bundled weights)")
    for line in model_lines(found, said, shutil.get_terminal_size().columns if sys.stdout.isatty() else None):
        print(line)


def model_lines(found: list[tuple[str, bool]], said: str, width: int | None) -> list[str]:
    """One model a line, `(bundled weights)` after the name: a tab when piped (for cut and awk); on a terminal
    one space, and on a line of its own where name and mark together are wider than the terminal."""
    from rich.cells import cell_len

    lines = []
    for name, bundled in found:
        if not bundled:
            lines.append(name)
        elif width is None:
            lines.append(f"{name}\t{said}")
        elif cell_len(f"{name} {said}") <= width:
            lines.append(f"{name} {said}")
        else:
            lines += [name, f"  {said}"]
    return lines
