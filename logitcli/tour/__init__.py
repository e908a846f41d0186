"""The guided tour (`logitcli explain`): the article's lessons as prose between the commands' own tables.

It sits above the core and the output layer and imports from them; nothing below imports the tour.
`build` decides what each section shows (it computes nothing: every number comes from `logitcli.steps`),
`data` holds the tour as data, `layout` lays it out with rich, `plot` draws curves, `wrap` wraps Japanese
lines (with the output layer's line breaker), and `texts/` the prose in each language; the article's own
figures are `logitcli.inputs.article`, which `explore` reads too.
"""

from logitcli.tour.build import LANGS, SECTIONS, build_tour, default_lang, load_texts
from logitcli.tour.data import tour_to_json
from logitcli.tour.layout import render_tour

__all__ = ["LANGS", "SECTIONS", "build_tour", "default_lang", "load_texts", "render_tour", "tour_to_json"]
