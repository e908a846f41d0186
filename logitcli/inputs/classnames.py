"""Class names the user gives must each pick one column: none empty, none repeated, even in another case.

`--targets cat` matches a class name in any case, so `Cat,cat` would silently choose one of the
two columns; a repeated or empty name is refused wherever names come from (--classes,
--classes-file, a CSV header, the `classes` of piped JSON, names saved with weights).
"""

from __future__ import annotations

from collections.abc import Sequence

from logitcli.errors import InputError, shown


def check_class_names(names: Sequence[str], source: str) -> None:
    """Raise InputError naming `source` and the first empty or repeated name."""
    seen: dict[str, int] = {}
    for position, name in enumerate(names):
        if not name.strip():
            raise InputError(
                f"{source} has an empty class name (name {position + 1} of {len(names)}): give every class a name"
            )
        key = name.strip().casefold()
        if key in seen:
            first = names[seen[key]]
            if first == name:
                same = f"{shown(name)} twice"
            else:
                same = f"{shown(first)} and {shown(name)}, which differ only in case"
            raise InputError(
                f"{source} names {same} (names {seen[key] + 1} and {position + 1}): "
                "give each class a different name, as --targets matches names in any case"
            )
        seen[key] = position
