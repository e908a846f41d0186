"""Class names for the head: given by the user, saved with the weights, or ImageNet's.

ImageNet names come from timm's own tables (`timm.data.ImageNetInfo`), shortened to one readable
synonym ("tabby, tabby cat" -> "tabby cat") and made unique, so a name in a labels file maps to
exactly one index.
"""

from __future__ import annotations

import functools

from logitcli.errors import InputError
from logitcli.inputs.classnames import check_class_names
from logitcli.inputs.files import read_text

# The only short names that would repeat among the 1,000 ImageNet classes.
_IMAGENET_OVERRIDES = {134: "crane (bird)", 517: "crane (machine)", 639: "tank suit"}


def short_imagenet_name(description: str) -> str:
    """The first synonym, or a later one that spells it out ("tabby" -> "tabby cat"); never Latin."""
    synonyms = [s.strip() for s in description.split(",")]
    first = synonyms[0]
    for later in synonyms[1:]:
        if later.startswith(first + " ") and len(later) <= 24:
            return later
    return first


@functools.cache
def imagenet_names() -> tuple[str, ...]:
    """The 1,000 ImageNet-1k class names in index order, as short unique strings."""
    from timm.data import ImageNetInfo

    info = ImageNetInfo()
    names = [short_imagenet_name(info.index_to_description(i)) for i in range(1000)]
    for index, name in _IMAGENET_OVERRIDES.items():
        names[index] = name
    return tuple(names)


def read_classes_file(path: str) -> list[str]:
    """One class name per line; blank lines and `#` comments are skipped."""
    text = read_text(path, f"--classes-file {path}" if path else "--classes-file")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def user_classes(classes: list[str] | None, classes_file: str | None) -> tuple[list[str], str] | None:
    """The names the user gave (--classes or --classes-file) and where they came from, or None.

    Torch-free, so the number commands name their columns with it too.
    """
    if classes is not None and classes_file is not None:
        raise InputError("give --classes or --classes-file, not both")
    if classes is not None:
        names = [c.strip() for c in classes]
        check_class_names(names, "--classes")
        return names, "--classes"
    if classes_file is not None:
        names = read_classes_file(classes_file)
        if not names:
            raise InputError(f"--classes-file {classes_file} names no classes: give one class name per line")
        check_class_names(names, f"--classes-file {classes_file}")
        return names, f"classes file {classes_file}"
    return None


def resolve_classes(
    num_classes: int,
    classes: list[str] | None = None,
    classes_file: str | None = None,
    label_names: list[str] | None = None,
) -> list[str] | None:
    """The names to show for `num_classes` columns, or None for `class 0..N-1`.

    The user's names win, then names saved with the weights, then ImageNet's for a 1,000-way head.
    A count that does not match the head is an InputError naming both counts.
    """
    given, source = user_classes(classes, classes_file) or (None, "")
    if given is not None:
        if len(given) != num_classes:
            raise InputError(f"{source} has {len(given)} name(s) but the model's head has {num_classes} classes")
        return given
    if label_names and len(label_names) == num_classes:
        names = [str(name) for name in label_names]
        check_class_names(names, "the label names saved with the weights")
        return names
    if num_classes == 1000:
        return list(imagenet_names())
    return None


def class_index(name: str, classes: list[str] | None, num_classes: int) -> int:
    """Map a label to its column: an exact name, the same name in another case, or an index.

    For ImageNet the long timm description ("tabby, tabby cat") and any unique synonym work too.
    """
    label = name.strip()
    if classes is not None:
        if label in classes:
            return classes.index(label)
        folded = [c.casefold() for c in classes]
        if folded.count(label.casefold()) == 1:
            return folded.index(label.casefold())
        if num_classes == 1000 and list(classes) == list(imagenet_names()):
            index = _imagenet_synonym_index(label)
            if index is not None:
                return index
    try:
        index = int(label)
    except ValueError:
        raise InputError(f"unknown class {label!r}: not one of the model's {num_classes} class names") from None
    if not 0 <= index < num_classes:
        raise InputError(f"class index {index} is out of range: classes run from 0 to {num_classes - 1}")
    return index


def _imagenet_synonym_index(label: str) -> int | None:
    """The single ImageNet class whose timm description lists `label` (case-insensitive), if any."""
    from timm.data import ImageNetInfo

    info = ImageNetInfo()
    wanted = label.casefold()
    hits = [
        i
        for i in range(1000)
        if wanted == info.index_to_description(i).casefold()
        or wanted in (s.strip().casefold() for s in info.index_to_description(i).split(","))
    ]
    return hits[0] if len(hits) == 1 else None
