"""Which language a command speaks: the languages logitcli has texts in, and the reader's, from the locale.

One rule for every command with words (`explain`, `explore`), so both answer the same locale the same way.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

LANGS: tuple[str, ...] = ("en", "ja")


def default_lang(environ: Mapping[str, str] | None = None) -> str:
    """The first set of LANGUAGE, LC_ALL, LC_MESSAGES, LANG decides, as Python's gettext reads them.

    LANGUAGE may list several languages (`fr:ja`): the first one logitcli speaks wins. `ja...` gives ja,
    anything else en.
    """
    env = os.environ if environ is None else environ
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if not value:
            continue
        for entry in value.split(":"):
            code = entry.split("_", 1)[0].split(".", 1)[0].lower()
            if code in LANGS:
                return code
        return "en"
    return "en"
