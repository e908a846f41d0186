"""The Typer app: one small function per command. Parse options, call, render; no math here.

Every number command is the same flow: input -> Batch -> one step function -> output.
torch and timm are imported only when the input is images (inside `logitcli.model`).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import typer

from logitcli import __version__, steps
from logitcli import options as opt
from logitcli.batch import Batch
from logitcli.clickparts import LogitcliGroup, NumberCommand
from logitcli.errors import InputError, RunError
from logitcli.inputs import Source, resolve_batch
from logitcli.options import ModelArgs, shared_options
from logitcli.output import Output, emit_calculation, emit_logits, report_failures
from logitcli.targets import parse_binary_targets, parse_class_targets, parse_weights

if TYPE_CHECKING:
    from logitcli.model import ModelOptions, ModelRun

app = typer.Typer(
    cls=LogitcliGroup,
    name="logitcli",
    help="See the last layer of a classifier: logits, sigmoid, softmax, log, NLL and cross-entropy, "
    "one table per step, every number as PyTorch computes it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"logitcli {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors (for bug reports).")] = False,
) -> None:
    """logitcli: the numbers behind a classifier's last layer, step by step."""


def load_batch(
    values: list[str] | None, file: str | None, model: ModelArgs, out: Output, source: Source = "logits"
) -> Batch:
    """Numbers, JSON, files or stdin straight to a Batch; images and --random-input through the model."""
    if model.random_input is not None:
        if values or file:
            raise InputError("--random-input makes its own input: give no values or files with it")
        from logitcli.model import run_random_input

        return _finish_model_run(run_random_input(model.random_input, _model_options(model)), out)
    arguments = resolve_batch(values or [], file, source)
    if arguments.image_paths is not None:
        from logitcli.model import run_images

        run = run_images(arguments.image_paths, _model_options(model), progress=out.progress_allowed())
        return _finish_model_run(run, out)
    assert arguments.batch is not None
    return _with_classes(arguments.batch, model)


def _finish_model_run(run: ModelRun, out: Output) -> Batch:
    """Keep the failures for the end of the output; with no image left, stop here."""
    out.failures.extend(run.failures)
    batch = run.batch
    if batch.n_examples == 0:
        report_failures(run.failures)
        raise RunError("no image could be read: fix the files above and run again")
    return batch


def _model_options(model: ModelArgs) -> ModelOptions:
    from logitcli.model import ModelOptions

    return ModelOptions(
        model=model.model,
        weights=model.weights,
        num_classes=model.num_classes,
        classes=model.class_list,
        classes_file=model.classes_file,
        device=model.device,
        batch_size=model.batch_size,
        threads=model.threads,
        seed=model.seed,
    )


def _with_classes(batch: Batch, model: ModelArgs) -> Batch:
    """--classes / --classes-file name the columns of numeric input too."""
    if not model.classes and not model.classes_file:
        return batch
    from logitcli.model.classes import user_classes

    names, source = user_classes(model.class_list, model.classes_file)  # type: ignore[misc]
    if len(names) != batch.n_classes:
        raise InputError(f"{source} gives {len(names)} class name(s) for {batch.n_classes} values per example")
    return replace(batch, classes=names)


def _check_reduction(reduction: str) -> None:
    """Checked before any model runs, with the step functions' own rule and words."""
    try:
        steps.check_reduction(reduction)
    except ValueError as error:
        raise InputError(str(error)) from None


def _require_targets(targets: str | None, command: str) -> str:
    if targets is None:
        raise InputError(f"{command} needs --targets: one class index (or name) per example, e.g. --targets 2,0")
    return targets


def _run_step(step: object, *args: object, **kwargs: object) -> steps.Calculation:
    """Step functions raise ValueError for inputs PyTorch would reject; those are input errors."""
    try:
        return step(*args, **kwargs)  # type: ignore[operator]
    except ValueError as error:
        raise InputError(str(error)) from None


def _checked(
    enabled: bool, calc: steps.Calculation, batch: Batch, targets: np.ndarray | None = None, **options: object
) -> steps.Calculation:
    """--check: run the same call through torch.nn.functional and record how far apart the results are."""
    if not enabled:
        return calc
    from logitcli.torch_check import check

    found = check(calc, batch.values, targets, **options)
    if found is None:
        raise RunError("--check needs torch: pip install 'logitcli[models]'")
    record: dict[str, Any] = {"function": found.function, "max_abs_diff": found.max_abs_diff, "matches": found.matches}
    if calc.grad is not None:
        from logitcli.torch_check import check_gradient

        grad = check_gradient(calc, batch.values, targets, **options)
        assert grad is not None  # torch imported fine just above
        record["grad"] = {"function": grad.function, "max_abs_diff": grad.max_abs_diff, "matches": grad.matches}
    return replace(calc, details={**calc.details, "torch_check": record})


def _check_lr(lr: float | None, grad: bool) -> None:
    """--lr is one step along the gradient: it needs --grad and a positive step size."""
    if lr is None:
        return
    if not grad:
        raise InputError("--lr takes one step of gradient descent and needs the gradient: add --grad")
    if not (math.isfinite(lr) and lr > 0):
        raise InputError(f"--lr must be a positive number, e.g. --lr 0.5; got {lr:g}")


def _with_gradient(
    calc: steps.Calculation,
    x: np.ndarray,
    lr: float | None,
    gradient: Callable[..., steps.Gradient],
    loss: Callable[..., steps.Calculation],
    options: dict[str, Any],
) -> steps.Calculation:
    """--grad: the gradient's steps join the loss's; --lr: one descent step, and the same loss there."""
    calc = steps.with_gradient(calc, _run_step(gradient, x, **options))
    if lr is None:
        return calc
    return replace(calc, descent=steps.descend(calc, x, lr, lambda z: loss(z, **options)))


Targets = Annotated[
    str | None,
    typer.Option("--targets", "-t", help="Class indices (2,0,1), class names, a JSON array, or a labels file."),
]
GRADIENT = "Gradient"
Grad = Annotated[
    bool,
    typer.Option(
        "--grad",
        help="Also the gradient of the loss with respect to the input, step by step, as torch.autograd gives it "
        "(for --reduction none: of the summed losses); --check compares it with autograd too.",
        rich_help_panel=GRADIENT,
    ),
]
LearningRate = Annotated[
    float | None,
    typer.Option(
        "--lr",
        help="With --grad: one step of gradient descent on the input, x - LR·grad, and the loss after it.",
        rich_help_panel=GRADIENT,
    ),
]


# ----------------------------------------------------------------------------- commands


@app.command(cls=NumberCommand)
@shared_options()
def sigmoid(
    values: opt.Values = None,
    file: opt.File = None,
    grad: Annotated[
        bool,
        typer.Option(
            "--grad",
            help="Also the derivative sigmoid(x)·(1 - sigmoid(x)) of each logit, and how it vanishes for large |x| "
            "(the sigmoid is not a loss, so there is no --lr here: see bce --grad --lr).",
            rich_help_panel=GRADIENT,
        ),
    ] = False,
    *,
    out: Output,
    model: ModelArgs,
) -> None:
    """sigmoid(x) = 1 / (1 + exp(-x)), each logit on its own: "is this a car?"."""
    batch = load_batch(values, file, model, out)
    calc = steps.sigmoid(batch.values)
    if grad:
        calc = steps.with_gradient(calc, steps.sigmoid_grad(batch.values))
    emit_calculation(_checked(out.check, calc, batch), batch, out)


@app.command(cls=NumberCommand)
@shared_options()
def softmax(
    values: opt.Values = None,
    file: opt.File = None,
    temperature: Annotated[float, typer.Option("--temperature", "-T", help="Divide the logits by T first.")] = 1.0,
    *,
    out: Output,
    model: ModelArgs,
) -> None:
    """softmax(x)_i = exp(x_i) / sum_j exp(x_j): scores in (0, 1) that sum to 1, "which one is it?"."""
    if not math.isfinite(temperature) or temperature <= 0:
        raise InputError(f"temperature must be a positive number, got {temperature:g}")
    batch = load_batch(values, file, model, out)
    emit_calculation(_checked(out.check, steps.softmax(batch.values, temperature), batch), batch, out)


@app.command(cls=NumberCommand)
@shared_options()
def nll(
    values: opt.Values = None,
    file: opt.File = None,
    targets: Targets = None,
    weight: opt.ClassWeight = None,
    ignore_index: opt.IgnoreIndex = steps.DEFAULT_IGNORE_INDEX,
    reduction: opt.Reduction = "mean",
    grad: Grad = False,
    lr: LearningRate = None,
    *,
    out: Output,
    model: ModelArgs,
) -> None:
    """Negative log-likelihood, as F.nll_loss: pick each example's target entry and negate it.

    The input should be log-probabilities. Piped from `softmax`, it takes the probabilities, as the
    article does, and says why that is not yet a loss.
    """
    _check_reduction(reduction)
    _check_lr(lr, grad)
    batch = load_batch(values, file, model, out, source="result")
    target_array = parse_class_targets(_require_targets(targets, "nll"), batch, ignore_index=ignore_index)
    class_weight = parse_weights(weight, "--weight")
    options = {"targets": target_array, "weight": class_weight, "ignore_index": ignore_index, "reduction": reduction}
    calc = _run_step(steps.nll, batch.values, **options)
    if grad:
        calc = _with_gradient(calc, batch.values, lr, steps.nll_grad, steps.nll, options)
    emit_calculation(_checked(out.check, calc, batch, target_array, weight=class_weight), batch, out)


@app.command(cls=NumberCommand)
@shared_options()
def xent(
    values: opt.Values = None,
    file: opt.File = None,
    targets: Targets = None,
    weight: opt.ClassWeight = None,
    ignore_index: opt.IgnoreIndex = steps.DEFAULT_IGNORE_INDEX,
    reduction: opt.Reduction = "mean",
    label_smoothing: Annotated[float, typer.Option("--label-smoothing", help="Mix in a uniform target, 0..1.")] = 0.0,
    grad: Grad = False,
    lr: LearningRate = None,
    *,
    out: Output,
    model: ModelArgs,
) -> None:
    """Cross-entropy, as F.cross_entropy: logits -> softmax -> log -> nll, the article's four steps.

    Targets are class indices (or names), or class probabilities of the logits' shape (soft targets).
    """
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise InputError(f"--label-smoothing must be in [0, 1], got {label_smoothing:g}")
    _check_lr(lr, grad)
    batch = load_batch(values, file, model, out)
    target_array = parse_class_targets(
        _require_targets(targets, "xent"), batch, allow_soft=True, ignore_index=ignore_index
    )
    if target_array.ndim == 2 and ignore_index != steps.DEFAULT_IGNORE_INDEX:
        raise InputError("--ignore-index applies to class-index targets, not to class probabilities")
    class_weight = parse_weights(weight, "--weight")
    options = {
        "targets": target_array,
        "weight": class_weight,
        "ignore_index": ignore_index,
        "reduction": reduction,
        "label_smoothing": label_smoothing,
    }
    calc = _run_step(steps.cross_entropy, batch.values, **options)
    if grad:
        calc = _with_gradient(calc, batch.values, lr, steps.cross_entropy_grad, steps.cross_entropy, options)
    emit_calculation(_checked(out.check, calc, batch, target_array, weight=class_weight), batch, out)


@app.command(cls=NumberCommand)
@shared_options()
def bce(
    values: opt.Values = None,
    file: opt.File = None,
    targets: Annotated[
        str | None, typer.Option("--targets", "-t", help="0/1 or probabilities, one per logit (1,0,1 or JSON).")
    ] = None,
    weight: Annotated[str | None, typer.Option("--weight", "-w", help="One weight per class (or per logit).")] = None,
    pos_weight: Annotated[
        str | None, typer.Option("--pos-weight", help="Weight of the positive term, one per class.")
    ] = None,
    reduction: opt.Reduction = "mean",
    grad: Grad = False,
    lr: LearningRate = None,
    *,
    out: Output,
    model: ModelArgs,
) -> None:
    """Binary cross-entropy with logits, as F.binary_cross_entropy_with_logits: each class on its own."""
    _check_reduction(reduction)
    _check_lr(lr, grad)
    batch = load_batch(values, file, model, out)
    if targets is None:
        raise InputError("bce needs --targets: one 0/1 (or probability) per logit, e.g. --targets 1,0,1")
    y = parse_binary_targets(targets, batch)
    w = parse_weights(weight, "--weight")
    pw = parse_weights(pos_weight, "--pos-weight")
    options = {"targets": y, "weight": w, "pos_weight": pw, "reduction": reduction}
    calc = _run_step(steps.binary_cross_entropy, batch.values, **options)
    if grad:
        gradient, loss = steps.binary_cross_entropy_grad, steps.binary_cross_entropy
        calc = _with_gradient(calc, batch.values, lr, gradient, loss, options)
    emit_calculation(_checked(out.check, calc, batch, y, weight=w, pos_weight=pw), batch, out)


@app.command(cls=NumberCommand)
@shared_options(output="logits")
def logits(values: opt.Values = None, file: opt.File = None, *, out: Output, model: ModelArgs) -> None:
    """Run a timm model on images (or random input) and show its raw outputs: the logits.

    With no weights given, the bundled ImageNet EfficientNet-Lite0 runs offline.
    """
    if out.mode == "jsonl" and values and model.random_input is None:
        emit_logits_streaming(values, file, model, out)
        return
    emit_logits(load_batch(values, file, model, out), out)


def emit_logits_streaming(values: list[str], file: str | None, model_args: ModelArgs, out: Output) -> None:
    """--jsonl on images: one line per image as soon as it is computed."""
    arguments = resolve_batch(values, file)
    if arguments.image_paths is None:
        assert arguments.batch is not None
        emit_logits(_with_classes(arguments.batch, model_args), out)
        return
    from logitcli.jsonout import dumps, logits_record
    from logitcli.model import load_model, resolve_classes, run_images

    options = _model_options(model_args)
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
    _finish_model_run(run, out)
    out.finish()


@app.command(cls=NumberCommand)
@shared_options(output="tour")
def explain(
    values: opt.Values = None,
    file: opt.File = None,
    targets: Targets = None,
    section: Annotated[
        str | None, typer.Option("--section", "-s", help="One part: logits, sigmoid, softmax, nll, xent or grad.")
    ] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="en or ja (default: from the locale).")] = None,
    pager: Annotated[bool, typer.Option("--pager", help="Page the tour on a terminal.")] = False,
    json_: opt.AsJson = False,
    *,
    out: Output,
    model: ModelArgs,
) -> None:
    """The article as a guided tour: prose, then the numbers, then what to notice.

    With no values it walks the article's own examples; give numbers or images (and --targets)
    to walk the same tour on your data. Plain text when piped; --json gives the tour as data.
    """
    from logitcli.tour import build_tour, default_lang, render_tour, tour_to_json

    batch = None
    if values or file or model.random_input is not None:
        batch = load_batch(values, file, model, out)
    target_array = (
        parse_class_targets(targets, batch, ignore_index=steps.DEFAULT_IGNORE_INDEX)
        if targets is not None and batch is not None
        else None
    )
    if targets is not None and batch is None:
        raise InputError("--targets needs values or images to explain: e.g. logitcli explain -0.2 1.3 0.7 --targets 1")
    tour = build_tour(batch, target_array, section, lang or default_lang(), top_k=out.top_k or 5)
    if json_:
        from logitcli.jsonout import dumps

        sys.stdout.buffer.write(dumps(tour_to_json(tour)) + b"\n")
        sys.stdout.buffer.flush()
    else:
        from rich.console import Console

        console = Console(highlight=False)
        if pager and console.is_terminal:
            with console.pager(styles=True):
                render_tour(tour, console, precision=out.precision)
        else:
            render_tour(tour, console, precision=out.precision)
    out.finish()


@app.command()
def models(
    pattern: Annotated[str, typer.Argument(help="A wildcard pattern, e.g. 'resnet*' or '*lite*'.")] = "*",
) -> None:
    """List timm's models matching PATTERN; models with bundled (offline) weights are marked."""
    from logitcli.model import list_models

    found = list_models(pattern)
    if not found:
        raise InputError(f"no timm model matches {pattern!r}: try a wildcard such as 'resnet*'")
    for name, bundled in found:
        print(f"{name}\t(bundled weights)" if bundled else name)


def main() -> None:
    """The console script: `logitcli ...`.

    Once torch is loaded, a normal interpreter exit spends most of a second tearing it down
    (measured: 0.5-0.9 s here), freeing nothing the OS would not. After the output is flushed,
    model runs exit at once instead.
    """
    try:
        app()
    except SystemExit as done:
        if "torch" not in sys.modules:
            raise
        code = done.code
        if isinstance(code, str):
            print(code, file=sys.stderr)
            code = 1
        _exit_now(code or 0)


def _exit_now(code: int) -> None:
    import os

    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        pass
    os._exit(code)


if __name__ == "__main__":
    main()
