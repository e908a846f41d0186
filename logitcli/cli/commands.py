"""The Typer app: one small function per command. Parse options, call, render; no math here.

Every number command is the same flow: input -> Batch -> one step function -> output.
torch and timm are imported only when the input is images (inside `logitcli.model`).
"""

from __future__ import annotations

import io
import math
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import typer

from logitcli import __version__, steps
from logitcli.cli import options as opt
from logitcli.cli.clickparts import LogitcliGroup, NumberCommand, stdout_can_show
from logitcli.cli.helptext import command_help
from logitcli.cli.options import ModelArgs, shared_options
from logitcli.errors import InputError, RunError
from logitcli.inputs.batch import Batch
from logitcli.inputs.read import Source, parse_text, resolve_batch, stdin_text
from logitcli.inputs.targets import check_ignore_index, parse_binary_targets, parse_class_targets, parse_weights
from logitcli.output.emit import Output, emit_calculation, emit_logits, pager_with_colours, piped_stdin, report_failures
from logitcli.steps.diagnosis import diagnose, upstream_notes

if TYPE_CHECKING:
    from rich.console import Console

    from logitcli.model import ModelOptions, ModelRun
    from logitcli.model.check import TorchCheck
    from logitcli.tour.data import Tour

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
    if model.classes is None and model.classes_file is None:
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
    """The diagnosis of any NaN or infinity, and with --check the same call through torch.nn.functional."""
    calc = _diagnosed(calc, batch)
    if not enabled:
        return calc
    from logitcli.model.check import absolute_tolerance, check

    torch_targets = None if targets is None else batch.shaped(targets)
    found = check(calc, batch.original(), torch_targets, result=batch.shaped(calc.result), **options)
    if found is None:
        from logitcli.model.deps import INSTALL_HINT

        raise RunError(f"--check needs torch: {INSTALL_HINT}")
    record = _check_record(found)
    if calc.grad is not None:
        from logitcli.model.check import check_gradient

        grad = check_gradient(
            calc,
            batch.original(),
            torch_targets,
            grad=batch.shaped(calc.grad),
            atol=absolute_tolerance(calc),
            **options,
        )
        assert grad is not None  # torch imported fine just above
        record["grad"] = _check_record(grad)
    return replace(calc, details={**calc.details, "torch_check": record})


def _check_record(found: TorchCheck) -> dict[str, Any]:
    """A comparison as `torch_check` in JSON (torch ran, so `describe`'s "torch" flag says nothing)."""
    from logitcli.model.check import describe

    return {key: value for key, value in describe(found, found.function).items() if key != "torch"}


def _diagnosed(calc: steps.Calculation, batch: Batch) -> steps.Calculation:
    """Where each NaN and infinity first appeared, and why, as notes after the step functions' own."""
    found = diagnose(calc, batch.example_names(), batch.class_names())
    if any(note.id in ("nan_input", "inf_input") for note in found):
        found += upstream_notes(batch.upstream)
    return replace(calc, notes=calc.notes + found) if found else calc


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

    def loss_after_the_step(stepped: np.ndarray) -> steps.Calculation:
        try:
            return loss(stepped, **options)
        except ValueError as error:  # e.g. --probs: a probability pushed outside [0, 1]
            reason = str(error).split(";")[0]  # the step function's reason, without its advice for typed input
            raise InputError(f"after one step with --lr {lr:g}, {reason}: try a smaller --lr") from None

    return replace(calc, descent=steps.descend(calc, x, lr, loss_after_the_step))


Targets = Annotated[
    str | None,
    typer.Option("--targets", "-t", metavar="T", help="Indices, names, JSON, labels file."),
]
Grad = Annotated[
    bool,
    typer.Option("--grad", help="Also ∂loss/∂input, step by step."),
]
LearningRate = Annotated[
    float | None,
    typer.Option("--lr", metavar="LR", help="With --grad: one step, x - LR·grad.", show_default=False),
]


# ----------------------------------------------------------------------------- commands


@app.command(cls=NumberCommand, help=command_help("sigmoid"))
@shared_options()
def sigmoid(
    values: opt.Values = None,
    file: opt.File = None,
    grad: Annotated[
        bool,
        typer.Option(
            "--grad",
            help="Also the derivative σ(x)·(1 - σ(x)) per logit.",
        ),
    ] = False,
    *,
    out: Output,
    model: ModelArgs,
) -> None:
    """Each logit on its own through the sigmoid (the help text is in helptext.py)."""
    batch = load_batch(values, file, model, out)
    calc = steps.sigmoid(batch.values)
    if grad:
        calc = steps.with_gradient(calc, steps.sigmoid_grad(batch.values))
    emit_calculation(_checked(out.check, calc, batch), batch, out)


@app.command(cls=NumberCommand, help=command_help("softmax"))
@shared_options()
def softmax(
    values: opt.Values = None,
    file: opt.File = None,
    temperature: Annotated[
        float,
        typer.Option("--temperature", "-T", metavar="T", help="Divide the logits by T first.", show_default=False),
    ] = 1.0,
    *,
    out: Output,
    model: ModelArgs,
) -> None:
    """Each row through the softmax, the article's naive steps beside the max-shifted ones."""
    if not math.isfinite(temperature) or temperature <= 0:
        raise InputError(f"temperature must be a positive number, got {temperature:g}")
    batch = load_batch(values, file, model, out)
    emit_calculation(_checked(out.check, steps.softmax(batch.values, temperature), batch), batch, out)


@app.command(cls=NumberCommand, help=command_help("nll"))
@shared_options()
def nll(
    values: opt.LogProbValues = None,
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
    """F.nll_loss: reads `result` first from piped JSON, so `softmax | nll` replays the article's lesson."""
    _check_reduction(reduction)
    check_ignore_index(ignore_index)
    _check_lr(lr, grad)
    batch = load_batch(values, file, model, out, source="result")
    target_array = parse_class_targets(_require_targets(targets, "nll"), batch, ignore_index=ignore_index)
    class_weight = parse_weights(weight, "--weight")
    options = {"targets": target_array, "weight": class_weight, "ignore_index": ignore_index, "reduction": reduction}
    calc = _run_step(steps.nll, batch.values, **options)
    if grad:
        calc = _with_gradient(calc, batch.values, lr, steps.nll_grad, steps.nll, options)
    emit_calculation(_checked(out.check, calc, batch, target_array, weight=class_weight), batch, out)


@app.command(cls=NumberCommand, help=command_help("xent"))
@shared_options()
def xent(
    values: opt.Values = None,
    file: opt.File = None,
    targets: Targets = None,
    weight: opt.ClassWeight = None,
    ignore_index: opt.IgnoreIndex = steps.DEFAULT_IGNORE_INDEX,
    reduction: opt.Reduction = "mean",
    label_smoothing: Annotated[
        float,
        typer.Option("--label-smoothing", metavar="E", help="Mix in a uniform target, 0..1.", show_default=False),
    ] = 0.0,
    grad: Grad = False,
    lr: LearningRate = None,
    *,
    out: Output,
    model: ModelArgs,
) -> None:
    """F.cross_entropy in the article's four steps, with class-index or soft targets."""
    _check_reduction(reduction)
    check_ignore_index(ignore_index)
    if label_smoothing > 1.0:
        raise InputError(f"--label-smoothing must be at most 1 (PyTorch refuses more), got {label_smoothing:g}")
    _check_lr(lr, grad)
    batch = load_batch(values, file, model, out)
    target_array = parse_class_targets(
        _require_targets(targets, "xent"), batch, allow_soft=True, ignore_index=ignore_index
    )
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


@app.command(cls=NumberCommand, help=command_help("bce"))
@shared_options()
def bce(
    values: opt.Values = None,
    file: opt.File = None,
    targets: Annotated[
        str | None,
        typer.Option("--targets", "-t", metavar="Y", help="0/1 or a probability per logit."),
    ] = None,
    weight: Annotated[
        str | None, typer.Option("--weight", "-w", metavar="W", help="A weight per class (or per logit).")
    ] = None,
    pos_weight: Annotated[
        str | None, typer.Option("--pos-weight", metavar="PW", help="Positive term's weight, per class.")
    ] = None,
    reduction: opt.Reduction = "mean",
    probs: Annotated[
        bool,
        typer.Option("--probs", help="Input is probabilities: F.binary_cross_entropy."),
    ] = False,
    grad: Grad = False,
    lr: LearningRate = None,
    *,
    out: Output,
    model: ModelArgs,
) -> None:
    """F.binary_cross_entropy_with_logits: each logit its own yes/no question (F.binary_cross_entropy with --probs)."""
    _check_reduction(reduction)
    _check_lr(lr, grad)
    if probs and pos_weight is not None:
        raise InputError(
            "--pos-weight does not go with --probs: PyTorch's binary_cross_entropy has no pos_weight "
            "(binary_cross_entropy_with_logits has); give logits without --probs to use it"
        )
    batch = load_batch(values, file, model, out).with_class_axis(-1)  # PyTorch broadcasts pos_weight on the last
    if targets is None:
        raise InputError("bce needs --targets: one 0/1 (or probability) per logit, e.g. --targets 1,0,1")
    y = parse_binary_targets(targets, batch)
    w = _broadcast_weight(parse_weights(weight, "--weight"), batch, "--weight")
    if probs:
        options = {"targets": y, "weight": _rows(w, batch), "reduction": reduction}
        loss, gradient = steps.binary_cross_entropy_probs, steps.binary_cross_entropy_probs_grad
        given = {"weight": w}
    else:
        pw = _broadcast_weight(parse_weights(pos_weight, "--pos-weight"), batch, "--pos-weight")
        options = {"targets": y, "weight": _rows(w, batch), "pos_weight": _rows(pw, batch), "reduction": reduction}
        loss, gradient = steps.binary_cross_entropy, steps.binary_cross_entropy_grad
        given = {"weight": w, "pos_weight": pw}
    calc = _run_step(loss, batch.values, **options)
    if grad:
        calc = _with_gradient(calc, batch.values, lr, gradient, loss, options)
    emit_calculation(_checked(out.check, calc, batch, y, **given), batch, out)


def _broadcast_weight(weight: np.ndarray | None, batch: Batch, option: str) -> np.ndarray | None:
    """A weight broadcast to the input's own shape, as PyTorch broadcasts it (and refuses what it refuses)."""
    if weight is None:
        return None
    try:
        return steps.broadcast_like(weight, batch.layout.shape, option)
    except ValueError as error:
        raise InputError(str(error)) from None


def _rows(full: np.ndarray | None, batch: Batch) -> np.ndarray | None:
    return None if full is None else batch.layout.rows(full)


@app.command(cls=NumberCommand, help=command_help("logits"))
@shared_options(output="logits")
def logits(values: opt.ImageValues = None, file: opt.File = None, *, out: Output, model: ModelArgs) -> None:
    """The model's raw outputs; --jsonl on images streams a line per image as it is computed."""
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
    from logitcli.model import load_model, resolve_classes, run_images
    from logitcli.output.jsonout import dumps, logits_record

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


@app.command(cls=NumberCommand, help=command_help("explain"))
@shared_options(output="tour")
def explain(
    values: opt.TourValues = None,
    file: opt.File = None,
    targets: Targets = None,
    section: Annotated[
        str | None,
        typer.Option(
            "--section",
            "-s",
            metavar="PART",
            help="One part: logits, sigmoid, softmax, nll, xent or grad.",
            autocompletion=opt.choices(opt.SECTION_CHOICES),
        ),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            metavar="en|ja",
            help="Language (default: from the locale).",
            autocompletion=opt.choices(opt.LANGS),
        ),
    ] = None,
    pager: Annotated[bool, typer.Option("--pager", help="Page the tour (in colour) on a terminal.")] = False,
    json_: opt.TourJson = False,
    *,
    out: Output,
    model: ModelArgs,
) -> None:
    """The tour: with nothing given (or an empty pipe) the article's numbers, else the user's."""
    from logitcli.tour import build_tour, default_lang, tour_to_json

    batch = None
    if values or file or model.random_input is not None:
        batch = load_batch(values, file, model, out)
    elif piped_stdin():
        text = stdin_text()
        if text.strip():  # an empty pipe, as from `true |`, leaves the article's examples
            batch = _with_classes(parse_text(text, "stdin"), model)
    target_array = (
        parse_class_targets(targets, batch, ignore_index=steps.DEFAULT_IGNORE_INDEX)
        if targets is not None and batch is not None
        else None
    )
    if targets is not None and batch is None:
        raise InputError("--targets needs values or images to explain: e.g. logitcli explain -0.2 1.3 0.7 --targets 1")
    lang = lang or default_lang()
    if lang == "ja" and not json_ and not stdout_can_show("日本語"):
        raise InputError(
            f"this terminal's encoding ({sys.stdout.encoding}) cannot show Japanese: "
            "set PYTHONIOENCODING=utf-8, or use --lang en"
        )
    tour = build_tour(batch, target_array, section, lang, top_k=out.top_k)
    if json_:
        from logitcli.output.jsonout import dumps

        sys.stdout.buffer.write(dumps(tour_to_json(tour)) + b"\n")
        sys.stdout.buffer.flush()
        if out.save:
            show_tour(tour, out, out.console(file=io.StringIO()), pager=False)
    else:
        show_tour(tour, out, out.console(), pager=pager)
    out.finish()


def show_tour(tour: Tour, out: Output, console: Console, pager: bool) -> None:
    """The tour on `console`, through the pager if asked (on a terminal), then saved if asked."""
    from logitcli.tour import render_tour

    view = out.view(console)
    if pager and console.is_terminal:
        with pager_with_colours(console):
            render_tour(tour, console, view=view)
    else:
        render_tour(tour, console, view=view)
    out.save_recording(console)


@app.command(help=command_help("models"))
def models(
    pattern: Annotated[str, typer.Argument(help="A wildcard pattern, e.g. 'resnet*' or '*lite*'.")] = "*",
    json_: Annotated[bool, typer.Option("--json", help="One JSON object: {command, pattern, result}.")] = False,
) -> None:
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
    for name, bundled in found:
        print(f"{name}\t(bundled weights)" if bundled else name)


def main() -> None:
    """The console script: `logitcli ...`.

    Once torch is loaded, a normal interpreter exit spends most of a second tearing it down
    (measured: 0.5-0.9 s here), freeing nothing the OS would not. After the output is flushed,
    model runs exit at once instead.
    """
    _register_only(_named_command(sys.argv[1:]))
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


def _named_command(arguments: list[str]) -> str | None:
    """The subcommand a command line names (the group's own options are flags), or None."""
    if any(name.endswith("_COMPLETE") for name in os.environ):  # a tab press: the command typed before the word
        from logitcli.cli.completion import typed_command

        return typed_command(os.environ)
    words = [word for word in arguments if not word.startswith("-")]
    return words[0] if words else None


def _register_only(name: str | None) -> None:
    """Keep just the named command: Typer builds the parameters of every registered command at start-up, most
    of a number command's start-up time, and a run needs only its own. Anything else keeps them all."""
    chosen = [info for info in app.registered_commands if (info.name or info.callback.__name__) == name]
    if chosen:
        app.registered_commands[:] = chosen


def _exit_now(code: int) -> None:
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # the boundary already said what failed
        pass
    os._exit(code)


if __name__ == "__main__":
    main()
