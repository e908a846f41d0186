"""The options every command shares, declared once and added by one decorator.

Typer reads options from each command's signature. `shared_options` appends the output and model
options to a command's own parameters and hands the command two objects instead of sixteen
arguments: `out` (where and how to print) and `model` (what to run on images), as sqlite-utils'
`output_options` decorator does for click.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import typer

from logitcli.output import Output, parse_rows

INPUT = "Input"
OUTPUT = "Output"
MODEL = "Model (when the input is images)"

Values = Annotated[
    list[str] | None,
    typer.Argument(
        help="Logits as numbers (negatives welcome: -0.5 1e-3 -inf), one JSON array, `-` for stdin, "
        "or image files, folders and globs (runs the model). Reads stdin when nothing is given.",
        show_default=False,
    ),
]
File = Annotated[
    str | None,
    typer.Option("--file", "-f", help="Read values from a .json, .npy, .csv or .txt file.", rich_help_panel=INPUT),
]
Precision = Annotated[
    int, typer.Option("--precision", "-p", min=0, max=17, help="Decimals in tables.", rich_help_panel=OUTPUT)
]
TopK = Annotated[
    int | None,
    typer.Option("--top-k", "-k", min=1, help="Show the top K classes by logit in tables.", rich_help_panel=OUTPUT),
]
Rows = Annotated[
    str | None,
    typer.Option(
        "--rows",
        metavar="N|all",
        help="Examples per table (default: a screenful on a terminal, all when piped).",
        rich_help_panel=OUTPUT,
        show_default=False,
    ),
]
Wide = Annotated[
    bool,
    typer.Option("--wide", help="Every column, however wide the terminal (try less -S).", rich_help_panel=OUTPUT),
]
Save = Annotated[
    str | None,
    typer.Option(
        "--save", metavar="FILE", help="Also write the tables to FILE: .html, .svg or .txt.", rich_help_panel=OUTPUT
    ),
]
AsTable = Annotated[
    bool, typer.Option("--table", help="Tables, even when piped (default on a terminal).", rich_help_panel=OUTPUT)
]
AsJson = Annotated[bool, typer.Option("--json", help="One JSON object (default when piped).", rich_help_panel=OUTPUT)]
AsJsonl = Annotated[bool, typer.Option("--jsonl", help="One JSON object per example.", rich_help_panel=OUTPUT)]
NoSteps = Annotated[
    bool,
    typer.Option("--no-steps", help="JSON: leave out the intermediate steps, keep the result.", rich_help_panel=OUTPUT),
]
Check = Annotated[
    bool,
    typer.Option("--check", help="Compare the result with torch.nn.functional (needs torch).", rich_help_panel=OUTPUT),
]
Reduction = Annotated[
    str, typer.Option("--reduction", "-r", help="none, mean or sum, as in PyTorch.", show_default=True)
]
ClassWeight = Annotated[
    str | None, typer.Option("--weight", "-w", help="One weight per class: 0.2,1,3 or a JSON array.")
]
IgnoreIndex = Annotated[
    int, typer.Option("--ignore-index", help="Targets with this value are left out, as in PyTorch.")
]

Model = Annotated[str, typer.Option("--model", "-m", help="A timm model name.", rich_help_panel=MODEL)]
Weights = Annotated[
    str,
    typer.Option(
        "--weights",
        help="auto (bundled, else hub), bundled, hub, random, or a file/folder (.safetensors, .pth, save_for_hf).",
        rich_help_panel=MODEL,
    ),
]
NumClasses = Annotated[
    int | None,
    typer.Option(
        "--num-classes", min=1, help="Head size (read from a weights file when omitted).", rich_help_panel=MODEL
    ),
]
Classes = Annotated[str | None, typer.Option("--classes", help="Class names: a,b,c.", rich_help_panel=MODEL)]
ClassesFile = Annotated[
    str | None, typer.Option("--classes-file", help="Class names, one per line.", rich_help_panel=MODEL)
]
RandomInput = Annotated[
    int | None,
    typer.Option(
        "--random-input",
        min=1,
        help="Run the model on N random tensors (torch.randn), as the article does.",
        rich_help_panel=MODEL,
    ),
]
Seed = Annotated[int | None, typer.Option("--seed", help="Seed for random weights and input.", rich_help_panel=MODEL)]
Device = Annotated[str, typer.Option("--device", help="auto, cpu, cuda or mps.", rich_help_panel=MODEL)]
BatchSize = Annotated[
    int | None, typer.Option("--batch-size", min=1, help="Images per forward pass.", rich_help_panel=MODEL)
]
Threads = Annotated[
    int | None,
    typer.Option(
        "--threads",
        min=1,
        help="Torch threads per lane (default 1; lanes = cores / threads, each decodes and runs a batch).",
        rich_help_panel=MODEL,
    ),
]


@dataclass(frozen=True)
class ModelArgs:
    """The model options as the user gave them; used only when the input is images or random."""

    model: str = "efficientnet_lite0"
    weights: str = "auto"
    num_classes: int | None = None
    classes: str | None = None
    classes_file: str | None = None
    random_input: int | None = None
    seed: int | None = None
    device: str = "auto"
    batch_size: int | None = None
    threads: int | None = None

    @property
    def class_list(self) -> list[str] | None:
        """`--classes a,b,c` as a list of names."""
        return [c.strip() for c in self.classes.split(",")] if self.classes else None


_FORMATS: dict[str, tuple[Any, Any]] = {
    "precision": (Precision, 4),
    "top_k": (TopK, None),
    "rows": (Rows, None),
    "wide": (Wide, False),
    "save": (Save, None),
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


def shared_options(output: Literal["steps", "logits", "tour"] = "steps") -> Callable[[Callable], Callable]:
    """Add the output options and the model options a command shares with the others.

    "steps" commands get every format flag plus --no-steps and --check; "logits" the format flags;
    "tour" (explain, which prints prose) only --precision and --top-k. The decorated command declares
    its own parameters plus `out: Output` and `model: ModelArgs`.
    """
    tour_formats = ("precision", "top_k", "rows", "wide", "save")
    formats = {k: _FORMATS[k] for k in tour_formats} if output == "tour" else _FORMATS
    extra = {**formats, **(_STEP_EXTRAS if output == "steps" else {}), **_MODEL}

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
                rows=parse_rows(options["rows"]),
                wide=options["wide"],
                save=options["save"],
                include_steps=not options.get("no_steps", False),
                check=options.get("check", False),
            )
            model = ModelArgs(**{name: options[name] for name in _MODEL})
            return command(**kwargs, out=out, model=model)

        with_options.__signature__ = signature.replace(parameters=own + added)  # type: ignore[attr-defined]
        return with_options

    return decorate
