"""Completing `--model NAME` in the shell from a cached list of timm's names, without importing timm.

Importing timm takes 4-7 s, far too long for a tab press. The names are written once, to
`<user cache>/logitcli/timm-models.json` with the timm version they came from, and read back (a few
milliseconds) until timm's installed version changes. The version is read from the package metadata, which
needs no import of timm. A cache that cannot be written (a read-only home) only costs the next press the import.
This module stays out of `logitcli.model` (whose package imports the image pipeline): a tab press imports
nothing but this.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Mapping
from pathlib import Path

CACHE_FILE = "timm-models.json"
#: The models with weights bundled in a package (logitcli.model.names.BUNDLED_MODELS; a test keeps them equal).
BUNDLED_MODELS = ("efficientnet_lite0",)
#: Offered when nothing is typed yet; a prefix completes from the cached list of all of timm's names.
COMMON_MODELS = ("resnet18", "resnet50", "efficientnet_b0", "mobilenetv3_large_100", "convnext_tiny")


def complete_model(incomplete: str) -> list[str]:
    """Model names for the shell: the bundled and a few common ones at once, and for a prefix every timm name
    that starts with it."""
    names = [*BUNDLED_MODELS, *COMMON_MODELS, *(model_names() if incomplete else ())]
    return list(dict.fromkeys(n for n in names if n.startswith(incomplete)))


def typed_command(environ: Mapping[str, str]) -> str | None:
    """In a tab press, the subcommand already typed before the word being completed (None: the word being
    completed may be the command itself, so every command is needed). Typer's shell scripts pass the line in
    COMP_WORDS and COMP_CWORD (bash) or _TYPER_COMPLETE_ARGS (zsh, fish, PowerShell)."""
    if "COMP_WORDS" in environ:
        words = environ["COMP_WORDS"].split()
        try:
            before = words[1 : int(environ.get("COMP_CWORD", ""))]
        except ValueError:
            return None
    else:
        line = environ.get("_TYPER_COMPLETE_ARGS", "")
        words = line.split()[1:]
        before = words if line.endswith(" ") else words[:-1]
    named = [word for word in before if not word.startswith("-")]
    return named[0] if named else None


def cache_dir() -> Path:
    """The user's cache folder for logitcli, as each platform names it (XDG_CACHE_HOME honoured)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
        return base / "logitcli" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "logitcli"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "logitcli"


def timm_version() -> str | None:
    """The installed timm's version, without importing timm; None when timm is not installed.

    Read from the name of its `timm-X.Y.Z.dist-info` folder beside the package: importing importlib.metadata
    alone takes longer (about 50 ms) than the rest of a tab press. Other layouts ask importlib.metadata.
    """
    from importlib.util import find_spec

    spec = find_spec("timm")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent.parent
    found = sorted(entry.name for entry in folder.glob("timm-*.dist-info"))
    if len(found) == 1:
        return found[0].removeprefix("timm-").removesuffix(".dist-info")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("timm")
    except PackageNotFoundError:
        return None


def read_cached(version: str, folder: Path | None = None) -> list[str] | None:
    """The cached names when they came from this timm version, else None."""
    import json

    path = (folder or cache_dir()) / CACHE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("timm") != version or not isinstance(data.get("names"), list):
        return None
    return [name for name in data["names"] if isinstance(name, str)]


def write_cache(version: str, names: list[str], folder: Path | None = None) -> None:
    """Keep `names` for this timm version; written whole or not at all (a rename), silently skipped if it fails."""
    import json

    folder = folder or cache_dir()
    temporary = folder / f"{CACHE_FILE}.{os.getpid()}.tmp"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        temporary.write_text(json.dumps({"timm": version, "names": names}), encoding="utf-8")
        os.replace(temporary, folder / CACHE_FILE)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


def model_names(folder: Path | None = None) -> list[str]:
    """Every model name timm registers (its architectures), from the cache when it is current; [] without timm."""
    version = timm_version()
    if version is None:
        return []
    cached = read_cached(version, folder)
    if cached is not None:
        return cached
    try:
        import timm  # noqa: TID253 - only when the cache is missing or from another timm version
    except ImportError:
        return []
    names = list(timm.list_models())
    write_cache(version, names, folder)
    return names
