"""The input stage: numbers, JSON, files, stdin, images or random input, to one `Batch`.

Images and `--random-input` go through `logitcli.model` (imported only then, so number commands never load
torch); everything else through `logitcli.inputs`. Class names given with `--classes` name the columns of
numeric input too.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from logitcli.errors import InputError, RunError
from logitcli.inputs.batch import Batch
from logitcli.inputs.read import Source, resolve_batch
from logitcli.output.emit import Output, report_failures

if TYPE_CHECKING:
    from logitcli.model import ModelOptions, ModelRun


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
        return [c.strip() for c in self.classes.split(",")] if self.classes is not None else None


def load_batch(
    values: list[str] | None,
    file: str | None,
    model: ModelArgs,
    out: Output,
    source: Source = "logits",
    prefer_paths: bool = False,
) -> Batch:
    """Numbers, JSON, files or stdin straight to a Batch; images and --random-input through the model.

    `prefer_paths` (the `logits` command): arguments that read as numbers and all name existing files are files.
    """
    if model.random_input is not None:
        if values or file:
            raise InputError("--random-input makes its own input: give no values or files with it")
        from logitcli.model import run_random_input

        return finish_model_run(run_random_input(model.random_input, model_options(model)), out)
    arguments = resolve_batch(values or [], file, source, prefer_paths)
    if arguments.image_paths is not None:
        from logitcli.model import run_images

        run = run_images(arguments.image_paths, model_options(model), progress=out.progress_allowed())
        return finish_model_run(run, out)
    assert arguments.batch is not None
    return with_classes(arguments.batch, model)


def finish_model_run(run: ModelRun, out: Output) -> Batch:
    """Keep the failures for the end of the output; with no image left, stop here."""
    out.failures.extend(run.failures)
    batch = run.batch
    if batch.n_examples == 0:
        report_failures(run.failures)
        raise RunError("no image could be read: fix the files above and run again")
    return batch


def model_options(model: ModelArgs) -> ModelOptions:
    """The model's own options from the user's (the class names as a list)."""
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


def with_classes(batch: Batch, model: ModelArgs) -> Batch:
    """--classes / --classes-file name the columns of numeric input too."""
    if model.classes is None and model.classes_file is None:
        return batch
    from logitcli.model.classes import user_classes

    names, source = user_classes(model.class_list, model.classes_file)  # type: ignore[misc]
    if len(names) != batch.n_classes:
        raise InputError(f"{source} gives {len(names)} class name(s) for {batch.n_classes} values per example")
    return replace(batch, classes=names)
