"""The options every command shares, declared once as annotated types.

Typer reads options from each command's signature, so sharing means reusing these aliases;
`model_options()` then gathers the model ones into one object for the model code.
"""

from __future__ import annotations

from typing import Annotated

import typer

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
AsTable = Annotated[
    bool, typer.Option("--table", help="Tables, even when piped (default on a terminal).", rich_help_panel=OUTPUT)
]
AsJson = Annotated[
    bool, typer.Option("--json", help="One JSON object (default when piped).", rich_help_panel=OUTPUT)
]
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

Model = Annotated[
    str, typer.Option("--model", "-m", help="A timm model name.", rich_help_panel=MODEL)
]
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
    typer.Option("--num-classes", min=1, help="Head size (read from a weights file when omitted).",
                 rich_help_panel=MODEL),
]
Classes = Annotated[
    str | None, typer.Option("--classes", help="Class names: a,b,c.", rich_help_panel=MODEL)
]
ClassesFile = Annotated[
    str | None, typer.Option("--classes-file", help="Class names, one per line.", rich_help_panel=MODEL)
]
RandomInput = Annotated[
    int | None,
    typer.Option("--random-input", min=1, help="Run the model on N random tensors (torch.randn), as the article does.",
                 rich_help_panel=MODEL),
]
Seed = Annotated[int | None, typer.Option("--seed", help="Seed for random weights and input.", rich_help_panel=MODEL)]
Device = Annotated[
    str, typer.Option("--device", help="auto, cpu, cuda or mps.", rich_help_panel=MODEL)
]
BatchSize = Annotated[
    int | None, typer.Option("--batch-size", min=1, help="Images per forward pass.", rich_help_panel=MODEL)
]
Threads = Annotated[
    int | None, typer.Option("--threads", min=1, help="Torch threads (decoding uses the rest).", rich_help_panel=MODEL)
]
