"""The options every command shares, declared once and added by one decorator.

Typer reads options from each command's signature. `shared_options` appends the output and model
options to a command's own parameters and hands the command two objects instead of sixteen
arguments: `out` (where and how to print) and `model` (what to run on images), as sqlite-utils'
`output_options` decorator does for click.
"""

from __future__ import annotations

import copy
import functools
import inspect
import os
import sys
import typing
from collections.abc import Callable
from typing import Annotated, Any, Literal

import typer

from logitcli.cli.completion import complete_model
from logitcli.cli.helptext import OUTPUT_RULES
from logitcli.errors import InputError
from logitcli.output.emit import Output, parse_rows, stdout_can_show
from logitcli.output.lang import check_lang
from logitcli.pipeline.read import ModelArgs

INPUT = "Options"  # the input options sit with the command's own: one panel less to read
#: The output options' panel is titled with the command's output rule (what a pipe gets), so that every --help
#: says it where the format flags are, at no extra line.
OUTPUT = OUTPUT_RULES["data"]
TOUR_OUTPUT = OUTPUT_RULES["tour"]
APP_OUTPUT = OUTPUT_RULES["app"]
MODEL = "Model (when the input is images)"

REDUCTION_CHOICES = ("none", "mean", "sum")
DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")
WEIGHTS_CHOICES = ("auto", "bundled", "hub", "random")
#: The tour's sections and languages (logitcli.tour.SECTIONS and LANGS; a test keeps them equal), here so
#: that completing them does not import the tour.
SECTION_CHOICES = ("logits", "sigmoid", "softmax", "nll", "xent", "grad", "calibration")
LANGS = ("en", "ja")
#: calibrate's choices (logitcli.steps.calibration's; a test keeps them equal), without importing it.
CONVENTION_CHOICES = ("torchmetrics", "netcal", "gpleiss", "sklearn")
STRATEGY_CHOICES = ("uniform", "quantile")


def choices(options: tuple[str, ...]) -> Callable[[str], list[str]]:
    """A shell-completion callback offering `options` that start with what was typed."""

    def complete(incomplete: str) -> list[str]:
        return [option for option in options if option.startswith(incomplete)]

    return complete


def values_argument(what: str, metavar: str) -> Any:
    """The positional values, described for what this command reads."""
    return Annotated[list[str] | None, typer.Argument(help=what, metavar=metavar, show_default=False)]


Values = values_argument("Logits (-0.5 2 1e-3, a JSON array, - or none: stdin) or images.", "LOGITS...")
LogProbValues = values_argument("Log-probabilities (numbers, a JSON array, - or none: stdin).", "LOGP...")
ImageValues = values_argument("Image files, folders and globs (or logits to show).", "IMAGES...")
TourValues = values_argument("Logits or images to explain; none: the article's own.", "VALUES...")
File = Annotated[
    str | None,
    typer.Option("--file", "-f", metavar="PATH", help="A .json, .npy, .csv or .txt file.", rich_help_panel=INPUT),
]
Classes = Annotated[
    str | None, typer.Option("--classes", metavar="a,b,c", help="Name the classes.", rich_help_panel=INPUT)
]
ClassesFile = Annotated[
    str | None,
    typer.Option("--classes-file", metavar="PATH", help="Class names, one per line.", rich_help_panel=INPUT),
]
Precision = Annotated[
    int,
    typer.Option(
        "--precision",
        "-p",
        metavar="N",
        help="Decimals in tables, 0-17 (default 4).",
        show_default=False,
        rich_help_panel=OUTPUT,
    ),
]
TopK = Annotated[
    int | None,
    typer.Option(
        "--top-k",
        "-k",
        metavar="K",
        help="Top K classes (default: 5 of over 20).",
        rich_help_panel=OUTPUT,
    ),
]
Rows = Annotated[
    str | None,
    typer.Option(
        "--rows",
        metavar="N|all",
        help="Examples shown (default: a screenful).",
        rich_help_panel=OUTPUT,
        show_default=False,
    ),
]
Wide = Annotated[
    bool,
    typer.Option("--wide", help="Every column, however narrow the screen.", rich_help_panel=OUTPUT),
]
Save = Annotated[
    str | None,
    typer.Option("--save", metavar="FILE", help="Also save the tables: .html .svg .txt", rich_help_panel=OUTPUT),
]
Lang = Annotated[
    str | None,
    typer.Option(
        "--lang",
        metavar="en|ja",
        help="Language of the text (default: LANGUAGE/LANG).",
        rich_help_panel=OUTPUT,
        show_default=False,
        autocompletion=choices(LANGS),
    ),
]
AsTable = Annotated[bool, typer.Option("--table", help="Tables, even when piped.", rich_help_panel=OUTPUT)]
AsJson = Annotated[bool, typer.Option("--json", help="One JSON document (default when piped).", rich_help_panel=OUTPUT)]
#: explain's --json: its tour stays text when piped, so no "default when piped" here.
TourJson = Annotated[bool, typer.Option("--json", help="The tour as one JSON document.", rich_help_panel=TOUR_OUTPUT)]
AsJsonl = Annotated[bool, typer.Option("--jsonl", help="One JSON line per example.", rich_help_panel=OUTPUT)]
NoSteps = Annotated[
    bool,
    typer.Option("--no-steps", help="JSON without the steps.", rich_help_panel=OUTPUT),
]
Check = Annotated[
    bool,
    typer.Option("--check", help="Compare with torch.nn.functional.", rich_help_panel=OUTPUT),
]
Reduction = Annotated[
    str,
    typer.Option(
        "--reduction",
        "-r",
        metavar="none|mean|sum",
        help="As in PyTorch (default mean).",
        show_default=False,
        autocompletion=choices(REDUCTION_CHOICES),
    ),
]
ClassWeight = Annotated[str | None, typer.Option("--weight", "-w", metavar="W", help="One weight per class: 0.2,1,3.")]
IgnoreIndex = Annotated[
    int,
    typer.Option(
        "--ignore-index",
        metavar="I",
        help="Leave out targets == I (-100).",
        show_default=False,
    ),
]

Model = Annotated[
    str,
    typer.Option(
        "--model",
        "-m",
        metavar="NAME",
        help="timm model (default efficientnet_lite0).",
        show_default=False,
        rich_help_panel=MODEL,
        autocompletion=complete_model,
    ),
]
Weights = Annotated[
    str,
    typer.Option(
        "--weights",
        metavar="FROM",
        help="auto, bundled, hub, random or a file.",
        show_default=False,
        rich_help_panel=MODEL,
        autocompletion=choices(WEIGHTS_CHOICES),
    ),
]
NumClasses = Annotated[
    int | None,
    typer.Option(
        "--num-classes",
        min=1,
        metavar="N",
        help="Head size (default: from the weights).",
        rich_help_panel=MODEL,
    ),
]
RandomInput = Annotated[
    int | None,
    typer.Option(
        "--random-input",
        min=1,
        metavar="N",
        help="Run on N random tensors (as the article).",
        rich_help_panel=MODEL,
    ),
]
Seed = Annotated[
    int | None,
    typer.Option("--seed", metavar="N", help="Seed for random weights and input.", rich_help_panel=MODEL),
]
Device = Annotated[
    str,
    typer.Option(
        "--device",
        metavar="DEV",
        help="auto (default), cpu, cuda or mps.",
        show_default=False,
        rich_help_panel=MODEL,
        autocompletion=choices(DEVICE_CHOICES),
    ),
]
BatchSize = Annotated[
    int | None,
    typer.Option("--batch-size", min=1, metavar="N", help="Images per forward pass.", rich_help_panel=MODEL),
]
Threads = Annotated[
    int | None,
    typer.Option(
        "--threads",
        min=1,
        metavar="N",
        help="Torch threads per lane (default 1).",
        rich_help_panel=MODEL,
    ),
]


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
    typer.Option("--lr", metavar="LR", help="With --grad: a step x - LR·grad.", show_default=False),
]


_FORMATS: dict[str, tuple[Any, Any]] = {
    "precision": (Precision, 4),
    "top_k": (TopK, None),
    "rows": (Rows, None),
    "wide": (Wide, False),
    "save": (Save, None),
    "lang": (Lang, None),
    "table": (AsTable, False),
    "json_": (AsJson, False),
    "jsonl": (AsJsonl, False),
}
_STEP_EXTRAS: dict[str, tuple[Any, Any]] = {"no_steps": (NoSteps, False), "check": (Check, False)}
_MODEL: dict[str, tuple[Any, Any]] = {
    "model": (Model, "efficientnet_lite0"),
    "weights": (Weights, "auto"),
    "num_classes": (NumClasses, None),
    "classes": (Classes, None),
    "classes_file": (ClassesFile, None),
    "random_input": (RandomInput, None),
    "seed": (Seed, None),
    "device": (Device, "auto"),
    "batch_size": (BatchSize, None),
    "threads": (Threads, None),
}


#: Options that only matter when a model runs: listed by `logits --help`, hidden (but accepted) elsewhere.
MODEL_ONLY = ("model", "weights", "num_classes", "random_input", "seed", "device", "batch_size", "threads")


def hidden(annotation: Any) -> Any:
    """The same option, left out of --help (its help lives with `logitcli logits`)."""
    kind, info = typing.get_args(annotation)
    info = copy.copy(info)
    info.hidden = True
    return Annotated[kind, info]


def in_panel(annotation: Any, panel: str) -> Any:
    """The same option, listed in another panel of --help."""
    kind, info = typing.get_args(annotation)
    info = copy.copy(info)
    info.rich_help_panel = panel
    return Annotated[kind, info]


def named_files(values: dict[str, Any]) -> list[str]:
    """Every option and argument value that names an existing file: what --save must not write over.

    Generous on purpose (a `--targets` value that happens to name a file counts): refusing a save over a
    file that was only named costs a rename; replacing an input loses it."""
    words: list[str] = []
    for name, value in values.items():
        if name == "save":
            continue
        for word in value if isinstance(value, list | tuple) else [value]:
            if isinstance(word, str) and word and os.path.isfile(word):
                words.append(word)
    return words


def shared_options(
    output: Literal["steps", "measure", "logits", "tour", "explore"] = "steps",
) -> Callable[[Callable], Callable]:
    """Add the output options and the model options a command shares with the others.

    "steps" commands get every format flag plus --no-steps and --check; "logits" the format flags;
    "measure" (calibrate, which has no torch.nn.functional call to compare with) the same with --check hidden
    (still accepted, so the refusal can say what to use instead); "tour" (explain, which prints prose) the
    table options and --save; "explore" (a live screen, JSON on quit when piped) --precision, --top-k, --lang
    and --no-steps. Only `logits` lists the model options in its help; the others accept them quietly and
    point there. The decorated command declares its own parameters plus `out: Output` and `model: ModelArgs`.
    """
    tour_formats = ("precision", "top_k", "rows", "wide", "save", "lang")
    if output == "tour":
        formats = {k: (in_panel(*_FORMATS[k][:1], TOUR_OUTPUT), _FORMATS[k][1]) for k in tour_formats}
    elif output == "explore":
        formats = {k: (in_panel(*_FORMATS[k][:1], APP_OUTPUT), _FORMATS[k][1]) for k in ("precision", "top_k", "lang")}
    else:
        formats = _FORMATS
    model_options = {
        name: (hidden(annotation) if output != "logits" and name in MODEL_ONLY else annotation, default)
        for name, (annotation, default) in _MODEL.items()
    }
    step_extras = {
        "steps": _STEP_EXTRAS,
        "measure": {name: (hidden(a) if name == "check" else a, d) for name, (a, d) in _STEP_EXTRAS.items()},
        "explore": {"no_steps": (in_panel(_STEP_EXTRAS["no_steps"][0], APP_OUTPUT), _STEP_EXTRAS["no_steps"][1])},
    }.get(output, {})
    extra = {**formats, **step_extras, **model_options}

    def decorate(command: Callable) -> Callable:
        signature = inspect.signature(command, eval_str=True)
        own = [p for name, p in signature.parameters.items() if name not in ("out", "model")]
        added = [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)
            for name, (annotation, default) in extra.items()
        ]

        @functools.wraps(command)
        def with_options(**kwargs: Any) -> Any:
            options = {name: kwargs.pop(name) for name in extra}
            out = Output.choose(
                table=options.get("table", False),
                json=options.get("json_", False),
                jsonl=options.get("jsonl", False),
                precision=options["precision"],
                top_k=options["top_k"],
                rows=parse_rows(options.get("rows")),
                wide=options.get("wide", False),
                save=options.get("save"),
                reads=named_files({**kwargs, **options}),
                include_steps=not options.get("no_steps", False),
                check=options.get("check", False),
                lang=check_lang(options["lang"]),
            )
            if out.lang == "ja" and out.mode == "table" and not stdout_can_show("日本語"):
                raise InputError(
                    f"this terminal's encoding ({sys.stdout.encoding}) cannot show Japanese: "
                    "set PYTHONIOENCODING=utf-8, or use --lang en"
                )
            model = ModelArgs(**{name: options[name] for name in _MODEL})
            return command(**kwargs, out=out, model=model)

        with_options.__signature__ = signature.replace(parameters=own + added)  # type: ignore[attr-defined]
        # The annotations already evaluated, so that Typer's get_type_hints does not evaluate the strings again.
        with_options.__annotations__ = {p.name: p.annotation for p in own + added}
        return with_options

    return decorate
