"""The `explain` command's flow: read the user's numbers (or none), build the tour, show or save it.

It sits in the tour, above the pipeline, because it builds the tour; it reads input with the pipeline's
`load_batch`, as every command does.
"""

from __future__ import annotations

import sys

from logitcli import steps
from logitcli.errors import InputError
from logitcli.inputs.read import parse_text, stdin_text
from logitcli.inputs.targets import parse_class_targets
from logitcli.output.emit import Output, piped_stdin, stdout_can_show
from logitcli.pipeline.read import ModelArgs, load_batch, with_classes
from logitcli.tour.build import build_tour
from logitcli.tour.data import tour_to_json
from logitcli.tour.show import show_tour


def explain(
    values: list[str] | None,
    file: str | None,
    *,
    targets: str | None,
    section: str | None,
    pager: bool | None,
    json_: bool,
    out: Output,
    model: ModelArgs,
) -> None:
    """The tour: with nothing given (or an empty pipe) the article's numbers, else the user's."""
    batch = None
    if values or file or model.random_input is not None:
        batch = load_batch(values, file, model, out)
    elif piped_stdin():
        text = stdin_text()
        if text.strip():  # an empty pipe, as from `true |`, leaves the article's examples
            batch = with_classes(parse_text(text, "stdin"), model)
    target_array = (
        parse_class_targets(targets, batch, ignore_index=steps.DEFAULT_IGNORE_INDEX)
        if targets is not None and batch is not None
        else None
    )
    if targets is not None and batch is None:
        raise InputError("--targets needs values or images to explain: e.g. logitcli explain -0.2 1.3 0.7 --targets 1")
    lang = out.lang  # --lang, else the locale's (the options every command shares)
    if lang == "ja" and not json_ and not stdout_can_show("日本語"):
        raise InputError(
            f"this terminal's encoding ({sys.stdout.encoding}) cannot show Japanese: "
            "set PYTHONIOENCODING=utf-8, or use --lang en"
        )
    tour = build_tour(batch, target_array, section, lang, top_k=out.top_k)
    if json_:
        from logitcli.output.jsonout import dumps

        out.stdout.write(dumps(tour_to_json(tour)) + b"\n")
        out.flush()
    show_tour(tour, out, pager, on_stdout=not json_)
    out.flush()
    out.finish()
