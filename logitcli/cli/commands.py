"""The Typer app: each command is its options and one call into `logitcli.pipeline.flows`.

No arithmetic and no pipeline logic here: what a command does lives in the flow it calls, so the CLI,
the tour and `explore` share one implementation. torch and timm are imported only when the input is images
(inside `logitcli.model`).
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from logitcli import __version__, steps
from logitcli.cli import options as opt
from logitcli.cli.clickparts import LogitcliGroup, NumberCommand
from logitcli.cli.helptext import command_help
from logitcli.cli.options import shared_options
from logitcli.output.emit import Output
from logitcli.pipeline import flows
from logitcli.pipeline.read import ModelArgs

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
    flows.sigmoid(values, file, grad=grad, out=out, model=model)


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
    flows.softmax(values, file, temperature=temperature, out=out, model=model)


@app.command(cls=NumberCommand, help=command_help("nll"))
@shared_options()
def nll(
    values: opt.LogProbValues = None,
    file: opt.File = None,
    targets: opt.Targets = None,
    weight: opt.ClassWeight = None,
    ignore_index: opt.IgnoreIndex = steps.DEFAULT_IGNORE_INDEX,
    reduction: opt.Reduction = "mean",
    grad: opt.Grad = False,
    lr: opt.LearningRate = None,
    *,
    out: Output,
    model: ModelArgs,
) -> None:
    """F.nll_loss: reads `result` first from piped JSON, so `softmax | nll` replays the article's lesson."""
    flows.nll(
        values,
        file,
        targets=targets,
        weight=weight,
        ignore_index=ignore_index,
        reduction=reduction,
        grad=grad,
        lr=lr,
        out=out,
        model=model,
    )


@app.command(cls=NumberCommand, help=command_help("xent"))
@shared_options()
def xent(
    values: opt.Values = None,
    file: opt.File = None,
    targets: opt.Targets = None,
    weight: opt.ClassWeight = None,
    ignore_index: opt.IgnoreIndex = steps.DEFAULT_IGNORE_INDEX,
    reduction: opt.Reduction = "mean",
    label_smoothing: Annotated[
        float,
        typer.Option("--label-smoothing", metavar="E", help="Mix in a uniform target, 0..1.", show_default=False),
    ] = 0.0,
    grad: opt.Grad = False,
    lr: opt.LearningRate = None,
    *,
    out: Output,
    model: ModelArgs,
) -> None:
    """F.cross_entropy in the article's four steps, with class-index or soft targets."""
    flows.xent(
        values,
        file,
        targets=targets,
        weight=weight,
        ignore_index=ignore_index,
        reduction=reduction,
        label_smoothing=label_smoothing,
        grad=grad,
        lr=lr,
        out=out,
        model=model,
    )


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
        typer.Option("--probs", help="Input is p: F.binary_cross_entropy."),
    ] = False,
    grad: opt.Grad = False,
    lr: opt.LearningRate = None,
    *,
    out: Output,
    model: ModelArgs,
) -> None:
    """F.binary_cross_entropy_with_logits: each logit its own yes/no question (F.binary_cross_entropy with --probs)."""
    flows.bce(
        values,
        file,
        targets=targets,
        weight=weight,
        pos_weight=pos_weight,
        reduction=reduction,
        probs=probs,
        grad=grad,
        lr=lr,
        out=out,
        model=model,
    )


@app.command(cls=NumberCommand, help=command_help("calibrate"))
@shared_options(output="measure")
def calibrate(
    values: opt.Values = None,
    file: opt.File = None,
    targets: opt.Targets = None,
    probs: Annotated[bool, typer.Option("--probs", help="Probabilities, not logits.")] = False,
    binary: Annotated[bool, typer.Option("--binary", help="One logit per example.")] = False,
    classwise: Annotated[bool, typer.Option("--classwise", help="Each class's probability.")] = False,
    bins: Annotated[
        int | None, typer.Option("--bins", metavar="N", help="Bins (default 15).", show_default=False)
    ] = None,
    strategy: Annotated[
        str,
        typer.Option(
            "--strategy",
            metavar="uniform|quantile",
            help="Equal width or equal count.",
            show_default=False,
            autocompletion=opt.choices(opt.STRATEGY_CHOICES),
        ),
    ] = "uniform",
    convention: Annotated[
        str | None,
        typer.Option(
            "--convention",
            metavar="LIB",
            help="A library's bin rule, exactly.",
            autocompletion=opt.choices(opt.CONVENTION_CHOICES),
        ),
    ] = None,
    compare: Annotated[bool, typer.Option("--compare", help="Every library's ECE side by side.")] = False,
    fit: Annotated[bool, typer.Option("--fit", help="The best temperature, exactly.")] = False,
    temperature: Annotated[
        float,
        typer.Option("--temperature", "-T", metavar="T", help="Divide the logits by T first.", show_default=False),
    ] = 1.0,
    ignore_index: opt.IgnoreIndex = steps.DEFAULT_IGNORE_INDEX,
    *,
    out: Output,
    model: ModelArgs,
) -> None:
    """Calibration: is the softmax's confidence as often right as it says? Under each library's rule."""
    from logitcli.pipeline.calibrate import calibrate as flow

    flow(
        values,
        file,
        targets=targets,
        probs=probs,
        binary=binary,
        classwise=classwise,
        bins=bins,
        strategy=strategy,
        convention=convention,
        compare=compare,
        fit=fit,
        temperature=temperature,
        ignore_index=ignore_index,
        out=out,
        model=model,
    )


@app.command(cls=NumberCommand, help=command_help("logits"))
@shared_options(output="logits")
def logits(values: opt.ImageValues = None, file: opt.File = None, *, out: Output, model: ModelArgs) -> None:
    """The model's raw outputs; --jsonl on images streams a line per image as it is computed."""
    flows.logits(values, file, out=out, model=model)


@app.command(cls=NumberCommand, help=command_help("explain"))
@shared_options(output="tour")
def explain(
    values: opt.TourValues = None,
    file: opt.File = None,
    targets: opt.Targets = None,
    section: Annotated[
        str | None,
        typer.Option(
            "--section",
            "-s",
            metavar="PART",
            help="logits, sigmoid, softmax, nll, xent, grad, calibration.",
            autocompletion=opt.choices(opt.SECTION_CHOICES),
        ),
    ] = None,
    pager: Annotated[
        bool | None,
        typer.Option(
            "--pager/--no-pager",
            help="Page the tour on a terminal (default: when longer than the screen; never when piped).",
        ),
    ] = None,
    json_: opt.TourJson = False,
    *,
    out: Output,
    model: ModelArgs,
) -> None:
    """The tour: with nothing given (or an empty pipe) the article's numbers, else the user's."""
    from logitcli.tour.flow import explain as explain_flow  # the tour only when it is asked for

    explain_flow(
        values,
        file,
        targets=targets,
        section=section,
        pager=pager,
        json_=json_,
        out=out,
        model=model,
    )


@app.command(cls=NumberCommand, help=command_help("explore"))
@shared_options(output="explore")
def explore(
    values: opt.Values = None,
    file: opt.File = None,
    targets: opt.Targets = None,
    weight: opt.ClassWeight = None,
    ignore_index: opt.IgnoreIndex = steps.DEFAULT_IGNORE_INDEX,
    reduction: opt.Reduction = "mean",
    label_smoothing: Annotated[
        float, typer.Option("--label-smoothing", metavar="E", help="As xent's, 0..1.", show_default=False)
    ] = 0.0,
    temperature: Annotated[
        float, typer.Option("--temperature", "-T", metavar="T", help="Start at temperature T.", show_default=False)
    ] = 1.0,
    lr: Annotated[float, typer.Option("--lr", metavar="LR", help="Start with learning rate LR.")] = 1.0,
    sigmoid: Annotated[bool, typer.Option("--sigmoid", help="Start in sigmoid / bce mode.")] = False,
    *,
    out: Output,
    model: ModelArgs,
) -> None:
    """The live explorer (Textual, imported only here): keys move logits, the step functions answer."""
    from logitcli.explore.flow import Settings, run

    settings = Settings(targets, weight, ignore_index, reduction, label_smoothing, temperature, lr, sigmoid)
    run(values, file, settings, out=out, model=model)


@app.command(help=command_help("models"))
def models(
    pattern: Annotated[str, typer.Argument(help="A wildcard pattern, e.g. 'resnet*' or '*lite*'.")] = "*",
    json_: Annotated[bool, typer.Option("--json", help="One JSON object: {command, pattern, result}.")] = False,
    lang: opt.Lang = None,
) -> None:
    """timm's registry, filtered by a pattern."""
    flows.models(pattern, json_=json_, lang=lang)


def main() -> None:
    """The console script: `logitcli ...`.

    A normal interpreter exit tears every module down, freeing nothing the OS would not: most of a
    second once torch is loaded (0.5-0.9 s measured here), and with numpy and rich alone still about
    a fifth of a number command's run (`softmax 1 2 3 --json` went from 1.23x to 0.96x the time of
    `python -c "import typer, rich, numpy"`, benchmarks/bench_startup.py). After the output is flushed,
    every run exits at once instead (logitcli registers no exit handlers and leaves no threads).
    """
    _register_only(_named_command(sys.argv[1:]))
    try:
        app()
    except SystemExit as done:
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
    for stream in (sys.stdout, sys.stderr):  # None when the process started without that descriptor (`>&-`)
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # the boundary already said what failed
            pass
    os._exit(code)


if __name__ == "__main__":
    main()
