"""What each command's --help says first: what it computes, examples to copy, and what its input is.

Kept apart from commands.py so the commands stay short. Typer reads help text as rich markup, so `[` is escaped
here (without importing rich: `--help` of a number command should stay as quick as the command). Every
paragraph is one line: the help wraps it to the terminal, while the example lines keep their own breaks.
"""

from __future__ import annotations

from dataclasses import dataclass

MODEL_POINTER = "Images run the model first; its options: `logitcli logits --help`."

#: What each kind of command prints, on a terminal and when stdout is a pipe or a file: one rule, said the same
#: way in every --help (the title of the panel of output options; `models`, which has none, says it in a
#: paragraph) and in the README; tests/test_output_rule.py holds them to the code (output/emit.py
#: `Output.choose`). Prose and name lists stay text in a pipe: `explain | less`, `models | grep`.
OUTPUT_RULES = {
    "data": "Output: tables on a terminal, JSON when piped",
    "tour": "Output: the tour as text, also when piped",
    "list": "Output: one name per line, also when piped",
    "app": "Output: a live screen; its final state as JSON when piped",
}


@dataclass(frozen=True)
class Help:
    """`summary` and each example (a command to copy) fit one line of an 80-column terminal."""

    summary: str
    examples: tuple[str, ...]
    input: str
    more: str = ""
    model_pointer: bool = True
    output: str = "data"


HELP: dict[str, Help] = {
    "sigmoid": Help(
        'sigmoid(x) = 1 / (1 + exp(-x)), each logit on its own: "is this a car?".',
        (
            "logitcli sigmoid -0.1522",
            "echo '-1000 0 1000' | logitcli sigmoid --json",
            "logitcli sigmoid sample:chelsea.png -k 3",
        ),
        "Input: logits (numbers, a JSON array, a file or stdin), each turned into a score on its own.",
    ),
    "softmax": Help(
        'softmax(x)_i = exp(x_i) / Σ_j exp(x_j): scores summing to 1, "which one?"',
        (
            "logitcli softmax 0.02 -2.49 1.25",
            "echo '2 1 0.1' | logitcli softmax -T 0.5 --json",
            "logitcli softmax sample:coffee.png",
        ),
        "Input: logits, one row per example (numbers, a JSON array, a file or stdin), or images.",
    ),
    "nll": Help(
        "Negative log-likelihood (F.nll_loss): pick the target's entry and negate it.",
        (
            "logitcli nll '[[-0.4, -1.2, -2.3]]' --targets 0",
            "logitcli softmax -f sample:bear_logits.json | logitcli nll -t 1,0,2,0,2",
        ),
        "Input: log-probabilities, one row per example. Piped from `softmax` it takes the probabilities, "
        "as the article does, and says why that is not yet a loss.",
        model_pointer=False,
    ),
    "xent": Help(
        "Cross-entropy as F.cross_entropy, in four steps: logits → softmax → log → nll.",
        (
            "logitcli xent 2 1 0.1 --targets 0",
            "logitcli xent -f sample:bear_logits.json -t 1,0,2,0,2 --grad --lr 1",
            "logitcli xent sample: --targets sample:labels.csv",
        ),
        "Input: logits (numbers, JSON, a file, stdin) or images. Targets: class indices or names, "
        "probabilities of the logits' shape, or a labels file (file,class).",
    ),
    "bce": Help(
        "Binary cross-entropy as F.binary_cross_entropy_with_logits: each class alone.",
        (
            "logitcli bce -0.1522 --targets 1",
            "logitcli bce '[[1.2, -0.3, 2.0]]' --targets '[[1, 0, 1]]' --pos-weight 2,1,1",
            "echo '0.5 -1' | logitcli bce --targets 1,0 --json",
        ),
        "Input: logits, each its own yes/no question; targets: one 0/1 (or probability) per logit.",
    ),
    "calibrate": Help(
        "Calibration: is a softmax of 0.9 right 90% of the time? ECE, smECE, Brier, T.",
        (
            "logitcli calibrate -f sample:bear_logits.json -t 1,0,2,0,2 --fit",
            "logitcli calibrate sample: --targets sample:labels.csv --compare",
            "logitcli calibrate --binary 2.1 -0.3 0.8 --targets 1,0,0 --compare",
        ),
        "Input: logits or images, and --targets, as for xent; --probs: probabilities.",
        model_pointer=False,
    ),
    "logits": Help(
        "Run a timm model on images (or random input) and show its logits.",
        (
            "logitcli logits sample:chelsea.png",
            "logitcli logits sample: --json | logitcli softmax --json",
            "logitcli logits --random-input 2 -m resnet18 --weights random --seed 0",
        ),
        "Input: image files, folders (searched recursively) and globs. With no weights given, the bundled "
        "ImageNet EfficientNet-Lite0 runs offline. sample:chelsea.png names a file that ships with logitcli "
        "(sample: is their folder; a wrong name lists them).",
        model_pointer=False,
    ),
    "explain": Help(
        "The article as a guided tour: prose, then the numbers, then what to notice.",
        (
            "logitcli explain --section softmax --lang ja",
            "echo '-0.2 1.3 0.7' | logitcli explain --targets 1",
            "logitcli explain sample:coffee.png --pager",
        ),
        "Input: nothing (the article's own examples), or logits or images (and --targets) to walk the same "
        "tour on yours. --json gives the tour as data, --save FILE keeps it as a page.",
        output="tour",
    ),
    "explore": Help(
        "Move logits and watch softmax, loss and gradient answer, live (? for keys).",
        (
            "logitcli explore",
            "logitcli logits sample:chelsea.png --json | logitcli explore",
            "logitcli explore -f sample:bear_logits.json -t 1,0,2,0,2 --lr 3",
        ),
        "Input: logits or images, as every number command reads them (nothing: the article's bear example); "
        "--targets as xent's (default: each example's top class). Keys come from the terminal even when the "
        "logits are piped in; on quit, when stdout is not a terminal, the final state is printed as JSON.",
        output="app",
    ),
    "models": Help(
        "List timm's models matching PATTERN; bundled (offline) weights are marked.",
        ("logitcli models 'efficientnet_lite*'", "logitcli models resnet --json"),
        "Input: a wildcard pattern; a plain word matches anywhere in the name.",
        model_pointer=False,
        output="list",
    ),
}


def markup_escape(text: str) -> str:
    """rich markup reads `[...]` as a style; a backslash keeps the bracket."""
    return text.replace("[", "\\[")


def command_help(name: str) -> str:
    """The --help text of one command: summary, examples, input, output, and where the model options are."""
    entry = HELP[name]
    examples = "\n".join(f"  {line}" for line in entry.examples)
    paragraphs = [entry.summary, f"Examples:\n{examples}", entry.input]
    if entry.output == "list":  # no panel of output options to carry the rule
        paragraphs.append(f"{OUTPUT_RULES[entry.output]}; --json gives one document.")
    if entry.more:
        paragraphs.append(entry.more)
    if entry.model_pointer:
        paragraphs.append(MODEL_POINTER)
    return "\n\n".join(markup_escape(p) for p in paragraphs)
