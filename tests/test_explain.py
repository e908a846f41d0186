"""`logitcli explain`: the tour's text, its numbers against PyTorch, both languages, and the no-torch path.

Golden files live in tests/golden/. When the tour's text or layout changes on purpose, regenerate them with

    LOGITCLI_REGEN_GOLDEN=1 .venv/bin/pytest tests/test_explain.py

and read the diff before committing. The golden tour is rendered at 80 columns with no colour, on the
article's numbers, without running the model (its random logit depends on the torch build); the last digits
of "max difference" are masked because float64 round-off may differ between machines.
"""

from __future__ import annotations

import io
import json
import os
import re
import string
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from logitcli import steps
from logitcli.errors import InputError
from logitcli.inputs.batch import Batch
from logitcli.model.check import check, compare
from logitcli.output.jsonout import dumps
from logitcli.output.render import LABELS
from logitcli.tour import LANGS, SECTIONS, article, build_tour, default_lang, load_texts, render_tour, tour_to_json
from logitcli.tour.data import CalcTable, Check, Comparison, Curve, Tour
from logitcli.tour.plot import MARK, ascii_curve
from logitcli.tour.wrap import wrap_cjk

GOLDEN = Path(__file__).parent / "golden"
REGEN = os.environ.get("LOGITCLI_REGEN_GOLDEN") == "1"
ROOT = Path(__file__).resolve().parent.parent
DIFF = re.compile(r"\b\d\.\de[+-]\d\d\b")


def rendered(tour: Tour, width: int = 80) -> str:
    console = Console(width=width, record=True, color_system=None, file=io.StringIO(), legacy_windows=False)
    render_tour(tour, console)
    return "\n".join(line.rstrip() for line in console.export_text().splitlines()) + "\n"


def masked(text: str) -> str:
    return DIFF.sub("<diff>", text)


def assert_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if REGEN:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run LOGITCLI_REGEN_GOLDEN=1 pytest tests/test_explain.py"
    assert text == path.read_text(encoding="utf-8"), f"{name} changed; regenerate if on purpose (see docstring)"


def checks(tour: Tour) -> list[Check]:
    found = []
    for section in tour.sections:
        for block in section.blocks:
            if isinstance(block, Check):
                found.append(block)
            elif isinstance(block, CalcTable) and block.check is not None:
                found.append(block.check)
    return found


# ----------------------------------------------------------------------------- golden output


@pytest.mark.parametrize("lang", LANGS)
def test_golden_tour(lang: str) -> None:
    pytest.importorskip("torch")
    assert_golden(f"tour-{lang}.txt", masked(rendered(build_tour(lang=lang, run_model=False))))


NO_TORCH_SCRIPT = """
import io, sys
sys.modules["torch"] = None  # `import torch` now raises ImportError, as on a machine without it
sys.modules["timm"] = None
from rich.console import Console
from logitcli.tour import build_tour, render_tour
console = Console(width=80, record=True, color_system=None, file=io.StringIO())
render_tour(build_tour(lang=sys.argv[1]), console)
sys.stdout.write(console.export_text())
"""


@pytest.mark.parametrize("lang", LANGS)
def test_golden_tour_without_torch(lang: str) -> None:
    """No torch: the logits section uses the article's printed logit and every check says torch is missing."""
    done = subprocess.run(
        [sys.executable, "-c", NO_TORCH_SCRIPT, lang], capture_output=True, text=True, encoding="utf-8", cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    text = "\n".join(line.rstrip() for line in done.stdout.splitlines()) + "\n"
    assert_golden(f"tour-{lang}-no-torch.txt", text)
    assert "-0.1522" in text
    assert "torch.nn.functional.cross_entropy" in text
    assert "✓" not in text


def test_golden_english_and_japanese_show_the_same_numbers() -> None:
    pytest.importorskip("torch")
    number = re.compile(r"-?\d+\.\d{4}\b")
    en = number.findall(masked(rendered(build_tour(lang="en", run_model=False))))
    ja = number.findall(masked(rendered(build_tour(lang="ja", run_model=False))))
    assert sorted(en) == sorted(ja)


@pytest.mark.parametrize("lang", LANGS)
def test_wide_terminal_keeps_prose_readable(lang: str) -> None:
    text = rendered(build_tour(lang=lang, run_model=False, torch_checks=False), width=160)
    assert max(len(line) for line in text.splitlines()) <= 160
    assert "1.0884" in text


# ----------------------------------------------------------------------------- numbers against PyTorch


def test_every_check_in_the_tour_matches_torch() -> None:
    pytest.importorskip("torch")
    for lang in LANGS:
        found = checks(build_tour(lang=lang, run_model=False))
        assert len(found) >= 12
        for one in found:
            assert one.result is not None and one.result.matches, one.text


def test_sigmoid_section_against_torch() -> None:
    torch = pytest.importorskip("torch")
    calc = steps.sigmoid(article.SIGMOID_LOGIT)
    expected = torch.sigmoid(torch.tensor(article.SIGMOID_LOGIT, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(calc.result, expected, rtol=0, atol=1e-15)
    assert f"{calc.result[0, 0]:.4f}" == "0.4620"
    text = rendered(build_tour(section="sigmoid", run_model=False))
    assert "-0.1522" in text and "0.4620" in text and MARK in text


def test_softmax_section_against_torch_and_the_article() -> None:
    torch = pytest.importorskip("torch")
    x = article.SOFTMAX_LOGITS
    calc = steps.softmax(x)
    expected = torch.softmax(torch.tensor(x, dtype=torch.float64), dim=1).numpy()
    np.testing.assert_allclose(calc.result, expected, rtol=0, atol=1e-15)
    assert f"{calc.step('sum_exp').values[0]:.4f}" == "56.4157"
    assert [f"{p:.4f}" for p in calc.result[0]] == ["0.0143", "0.0173", "0.9534", "0.0003", "0.0148"]
    text = rendered(build_tour(section="softmax", run_model=False))
    for figure in ("56.3330", "56.4157", "0.0096", "0.0143", "0.7599", "0.9208", "0.5901"):
        assert figure in text


def test_the_articles_own_exps_over_its_own_sum() -> None:
    """The one derived constant in article.py is what ARTICLE.md says it is."""
    ratio = article.SOFTMAX_PRINTED_EXPS / article.SOFTMAX_PRINTED_SUM
    np.testing.assert_array_equal(np.round(ratio, 4), article.SOFTMAX_PRINTED_EXPS_OVER_SUM)


def test_misprint_comparison_flags_the_printed_figures() -> None:
    tour = build_tour(section="softmax", run_model=False, torch_checks=False)
    (comparison,) = [b for b in tour.sections[0].blocks if isinstance(b, Comparison)]
    printed_softmax = comparison.rows[3]
    assert printed_softmax.differs.all()
    printed_exps = comparison.rows[1]
    assert printed_exps.differs.tolist() == [True, True, True, True, False, True]


def test_nll_section_is_pick_and_negate_as_in_torch() -> None:
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    logits = torch.tensor(article.BEAR_LOGITS, dtype=torch.float64)
    targets = torch.tensor(article.BEAR_TARGETS)
    probs = torch.softmax(logits, dim=1)
    expected = functional.nll_loss(probs, targets, reduction="none").numpy()
    calc = steps.nll(steps.softmax(article.BEAR_LOGITS).result, article.BEAR_TARGETS, reduction="none")
    np.testing.assert_allclose(calc.result, expected, rtol=0, atol=1e-15)
    np.testing.assert_allclose(calc.result, -probs[torch.arange(5), targets].numpy(), rtol=0, atol=1e-15)
    text = rendered(build_tour(section="nll", run_model=False))
    assert "[-0.3308, -0.3296, -0.3285, -0.3566, -0.3392]" in text


def test_cross_entropy_section_against_torch() -> None:
    torch = pytest.importorskip("torch")
    logits = torch.tensor(article.BEAR_LOGITS, dtype=torch.float64)
    targets = torch.tensor(article.BEAR_TARGETS)
    expected = torch.nn.CrossEntropyLoss(reduction="none")(logits, targets).numpy()
    calc = steps.cross_entropy(article.BEAR_LOGITS, article.BEAR_TARGETS, reduction="none")
    np.testing.assert_allclose(calc.result, expected, rtol=0, atol=1e-15)
    text = rendered(build_tour(section="xent", run_model=False))
    assert "[1.1063, 1.1099, 1.1132, 1.0313, 1.0813]" in text
    assert "1.0884" in text


def test_a_logit_of_1000_is_exact_with_log_softmax() -> None:
    torch = pytest.importorskip("torch")
    x = torch.tensor(article.HUGE_LOGITS, dtype=torch.float64)
    assert torch.isinf(torch.log(torch.softmax(x, dim=1))).any()  # the naive way breaks, in torch too
    calc = steps.cross_entropy(article.HUGE_LOGITS, article.HUGE_TARGETS, reduction="none")
    np.testing.assert_array_equal(calc.step("log_softmax").values, torch.log_softmax(x, dim=1).numpy())
    assert calc.result.tolist() == [1000.0]
    assert steps.softmax(article.HUGE_LOGITS).step("exp").values[0, 0] == np.inf


# ----------------------------------------------------------------------------- torch_check


@pytest.fixture
def bear() -> tuple[np.ndarray, np.ndarray]:
    return article.BEAR_LOGITS, article.BEAR_TARGETS


def test_check_covers_every_command_and_option(bear: tuple[np.ndarray, np.ndarray]) -> None:
    pytest.importorskip("torch")
    x, t = bear
    w = np.array([1.0, 2.0, 0.5])
    soft = steps.softmax_rows(x)
    y = (x > 0.1).astype(float)
    ignored = t.copy()
    ignored[1] = -100
    cases = [
        (steps.sigmoid(x), x, None, {}),
        (steps.softmax(x, temperature=0.5), x, None, {}),
        (steps.nll(steps.log_softmax_rows(x), ignored, weight=w), steps.log_softmax_rows(x), ignored, {"weight": w}),
        (steps.cross_entropy(x, t, weight=w, label_smoothing=0.1), x, t, {"weight": w}),
        (steps.cross_entropy(x, ignored, reduction="sum", ignore_index=-100), x, ignored, {}),
        (steps.cross_entropy(x, soft, label_smoothing=0.2), x, soft, {}),
        (steps.binary_cross_entropy(x, y, pos_weight=w, reduction="none"), x, y, {"pos_weight": w}),
        (steps.binary_cross_entropy(x, y, weight=w), x, y, {"weight": w}),
    ]
    for calc, values, targets, options in cases:
        result = check(calc, values, targets, **options)
        assert result is not None and result.matches, (calc.command, result)


def test_check_reports_a_difference(bear: tuple[np.ndarray, np.ndarray]) -> None:
    pytest.importorskip("torch")
    x, t = bear
    calc = steps.cross_entropy(x, t)
    result = check(calc, x, t, label_smoothing=0.3)  # a different call than the one calc made
    assert result is not None and not result.matches and result.max_abs_diff > 1e-3


def test_compare_requires_nan_and_inf_in_the_same_places() -> None:
    assert compare("f", np.array([np.nan, np.inf, 1.0]), np.array([np.nan, np.inf, 1.0])).matches
    assert not compare("f", np.array([np.nan, 1.0]), np.array([0.0, 1.0])).matches
    assert not compare("f", np.array([np.inf]), np.array([-np.inf])).matches


def test_check_is_none_without_torch(monkeypatch: pytest.MonkeyPatch, bear: tuple[np.ndarray, np.ndarray]) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    x, t = bear
    assert check(steps.cross_entropy(x, t), x, t) is None
    tour = build_tour(section="xent")
    assert all(one.result is None and "not installed" in one.text for one in checks(tour))


# ----------------------------------------------------------------------------- texts and languages


def _fields(text: str | list[str]) -> set[str]:
    parts = text if isinstance(text, list) else [text]
    return {name for part in parts for _, name, _, _ in string.Formatter().parse(part) if name}


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    en, ja = load_texts("en"), load_texts("ja")
    assert en.keys() == ja.keys() - {"table"}
    for section in en:
        assert en[section].keys() == ja[section].keys(), section
        for key in en[section]:
            if section != "errors":  # English errors are patterns: tests/test_lang.py checks their groups
                assert _fields(en[section][key]) == _fields(ja[section][key]), (section, key)


def test_japanese_has_every_table_word_with_its_placeholders() -> None:
    """The tables' English words live in render.LABELS; ja.toml's [table] says each of them."""
    table = load_texts("ja")["table"]
    for key, english in LABELS.items():
        assert key in table, key
        assert _fields(table[key]) == _fields(english), key


def test_japanese_uses_the_articles_terms() -> None:
    text = rendered(build_tour(lang="ja", run_model=False, torch_checks=False))
    for term in ("ロジット", "シグモイド", "ソフトマックス", "負の対数尤度", "交差エントロピー"):
        assert term in text


@pytest.mark.parametrize(
    ("environ", "lang"),
    [
        ({}, "en"),
        ({"LANG": "ja_JP.UTF-8"}, "ja"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LC_ALL": "ja_JP.UTF-8", "LANG": "en_US.UTF-8"}, "ja"),
        ({"LC_ALL": "C", "LANG": "ja_JP.UTF-8"}, "en"),
        ({"LC_ALL": "", "LC_MESSAGES": "ja_JP", "LANG": "C"}, "ja"),
    ],
)
def test_default_lang_follows_the_locale(environ: dict[str, str], lang: str) -> None:
    assert default_lang(environ) == lang


# ----------------------------------------------------------------------------- the API the CLI wires


def test_sections_can_be_chosen_one_at_a_time() -> None:
    for name in SECTIONS:
        tour = build_tour(section=name, run_model=False, torch_checks=False)
        assert [s.id for s in tour.sections] == [name]


def test_bad_requests_are_input_errors() -> None:
    with pytest.raises(InputError, match="unknown section"):
        build_tour(section="logsoftmax")
    with pytest.raises(InputError, match="unknown language"):
        build_tour(lang="fr")
    with pytest.raises(InputError, match="--targets"):
        build_tour(targets=np.array([1]))
    with pytest.raises(InputError, match="out of range"):
        build_tour(Batch(np.array([[0.1, 0.2]])), np.array([5]), run_model=False)


def test_tour_on_your_numbers_walks_every_section() -> None:
    pytest.importorskip("torch")
    batch = Batch(np.array([[-0.2, 1.3, 0.7]]), one_example=True)
    tour = build_tour(batch, np.array([1]), lang="en")
    assert tour.source == "yours"
    assert [s.id for s in tour.sections] == list(SECTIONS)
    assert "Sigmoid: is this image a car?" not in [s.title for s in tour.sections]
    xent = [b for b in _section(tour, "xent").blocks if isinstance(b, CalcTable)]
    assert xent[0].calc.command == "xent"
    np.testing.assert_allclose(
        xent[0].calc.result, steps.cross_entropy(batch.values, np.array([1]), reduction="none").result
    )
    assert all(one.result is not None and one.result.matches for one in checks(tour))


def test_tour_on_many_classes_keeps_to_the_top_ones() -> None:
    values = np.random.default_rng(0).normal(size=(2, 1000)) * 3
    tour = build_tour(Batch(values, inputs=["a.png", "b.png"]), top_k=5, torch_checks=False)
    text = rendered(tour)
    assert "top 5 of 1000 classes" in text
    curve = next(b for s in tour.sections for b in s.blocks if isinstance(b, Curve))
    assert len(curve.marks) == 5
    nll = next(s for s in tour.sections if s.id == "nll")
    assert "--targets" in rendered(replace_sections(tour, (nll,)))


def _section(tour: Tour, name: str):
    return next(s for s in tour.sections if s.id == name)


def replace_sections(tour: Tour, sections: tuple) -> Tour:
    from dataclasses import replace

    return replace(tour, sections=sections)


def test_json_carries_every_section_as_data() -> None:
    pytest.importorskip("torch")
    data = json.loads(dumps(tour_to_json(build_tour(run_model=False))))
    assert data["command"] == "explain" and data["lang"] == "en"
    assert [s["id"] for s in data["sections"]] == list(SECTIONS)
    kinds = {b["type"] for s in data["sections"] for b in s["blocks"]}
    assert kinds == {"prose", "calculation", "check", "curve", "bars", "comparison", "reliability"}
    xent = next(s for s in data["sections"] if s["id"] == "xent")["blocks"]
    first = next(b for b in xent if b["type"] == "calculation")
    assert first["check"]["matches"] is True
    assert [round(v, 4) for v in first["result"]] == [1.1063, 1.1099, 1.1132, 1.0313, 1.0813]
    huge = [b for b in xent if b["type"] == "calculation" and b["command"] == "softmax"][0]
    exp = next(s for s in huge["steps"] if s["name"] == "exp")
    assert exp["values"][0][0] == "inf"


def test_the_model_run_gives_the_logits_section_its_own_logit() -> None:
    pytest.importorskip("timm")
    tour = build_tour(section="logits", lang="en")
    table = next(b for b in tour.sections[0].blocks if isinstance(b, CalcTable))
    assert table.calc.result.shape == (1, 1)
    assert "random-init resnet18, seed 0" in rendered(tour)


def test_explain_imports_no_torch() -> None:
    code = "import sys, logitcli.tour; print('torch' in sys.modules, 'timm' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.stdout.split() == ["False", "False"], done.stderr


# ----------------------------------------------------------------------------- line breaking and the curve


def test_wrap_cjk_keeps_numbers_whole_and_lines_short() -> None:
    text = load_texts("ja")["softmax"]["misprint"][1].format_map({k: "[0.0143, 0.0173, 0.9534]" for k in _KEYS})
    for width in (30, 50, 76):
        lines = wrap_cjk(text, width).splitlines()
        assert all(_cells(line) <= width for line in lines)
        assert not any(line[:1] in "、。)」" for line in lines)
        assert "0.0173," in wrap_cjk(text, width).replace("\n", " ")


_KEYS = ("printed_exp", "x0", "true_exp", "printed_sum", "true_sum", "printed_softmax", "true_softmax", "own_ratio")


def _cells(text: str) -> int:
    from rich.cells import cell_len

    return cell_len(text)


def test_wrap_cjk_wraps_english_like_rich() -> None:
    assert wrap_cjk("one two three four", 9) == "one two\nthree\nfour"


def test_ascii_curve_marks_the_point() -> None:
    xs = np.linspace(-8, 8, 61)
    ys = steps.sigmoid(xs[None, :]).result[0]
    lines = ascii_curve(xs, ys, [(0.0, 0.5)])
    assert lines[5].startswith("0.5 ┤") and MARK in lines[5]
    assert "-8" in lines[-1] and "8" in lines[-1]


def _every_note() -> list:
    calcs = [
        steps.sigmoid(np.array([[-1000.0]])),
        steps.softmax(np.array([[1000.0, 0.0]])),
        steps.nll(np.array([[0.3, 0.7]]), np.array([1])),
        steps.nll(np.array([[2.0, -1.0]]), np.array([1])),
    ]
    gradients = [
        steps.cross_entropy_grad(np.zeros((1, 2)), np.array([-100])),
        steps.nll_grad(np.zeros((1, 2)), np.array([0]), weight=np.array([0.0, 1.0])),
        steps.sigmoid_grad(np.array([[10.0]])),
    ]
    return [note for calc in calcs for note in calc.notes] + [note for g in gradients for note in g.notes]


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_step_note_has_words_in_each_language(lang: str) -> None:
    notes = _every_note()
    assert len(notes) == 7
    said = load_texts(lang)["notes"]
    for note in notes:
        assert note.id in said


def test_a_note_on_your_numbers_is_said_in_the_tours_language() -> None:
    batch = Batch(np.array([[1000.0, 0.0, -5.0]]), one_example=True)
    ja = rendered(build_tour(batch, section="softmax", lang="ja", torch_checks=False))
    assert load_texts("ja")["notes"]["softmax_overflow"][:20] in ja.replace("\n", "")
    en = rendered(build_tour(batch, section="softmax", lang="en", torch_checks=False))
    assert "overflowed to inf" in en


# ----------------------------------------------------------------------------- the gradient section


def test_gradient_section_is_autograds_on_the_bear_example() -> None:
    torch = pytest.importorskip("torch")
    logits = torch.tensor(article.BEAR_LOGITS, dtype=torch.float64, requires_grad=True)
    torch.nn.functional.cross_entropy(logits, torch.tensor(article.BEAR_TARGETS)).backward()
    expected = logits.grad.numpy()
    one_hot = np.eye(3)[article.BEAR_TARGETS]
    np.testing.assert_allclose(expected, (steps.softmax_rows(article.BEAR_LOGITS) - one_hot) / 5, atol=1e-16)
    tour = build_tour(section="grad", run_model=False)
    (section,) = tour.sections
    first = next(b for b in section.blocks if isinstance(b, CalcTable))
    assert first.calc.grad is not None
    np.testing.assert_allclose(first.calc.grad, expected, rtol=1e-12, atol=1e-17)
    assert [s.name for s in first.calc.steps] == ["softmax", "grad_target", "grad_difference", "grad", "loss", "mean"]
    assert all(one.result is not None and one.result.matches for one in checks(tour))
    text = rendered(tour)
    for figure in ("(p - q) / 5", "-0.1338", "-0.9823", "1.0884 to 0.9607", "4.54e-05", "-1.0000", "σ'(x)"):
        assert figure in text, figure


def test_gradient_section_on_your_numbers_and_without_targets() -> None:
    batch = Batch(np.array([[-0.2, 1.3, 0.7], [2.0, 0.1, -1.0]]))
    tour = build_tour(batch, np.array([1, 2]), section="grad", torch_checks=False)
    (section,) = tour.sections
    first = next(b for b in section.blocks if isinstance(b, CalcTable))
    np.testing.assert_array_equal(first.calc.grad, steps.cross_entropy_grad(batch.values, np.array([1, 2])).values)
    text = rendered(tour)
    assert "the targets [1, 2]" in text and "#1 (class 2)" in text and "loss falls from" in text
    curve = next(b for b in section.blocks if isinstance(b, Curve))
    assert len(curve.marks) == 3 and curve.y_range == (0.0, 0.25)
    without = rendered(build_tour(batch, section="grad", torch_checks=False))
    assert "--targets" in without and "σ'(x)" in without and "loss falls" not in without


def test_an_all_ignored_batch_in_the_gradient_section_says_why_the_gradient_is_zero() -> None:
    batch = Batch(np.array([[0.5, 1.0]]), one_example=True)
    text = rendered(build_tour(batch, np.array([-100]), section="grad", lang="ja", torch_checks=False))
    assert load_texts("ja")["notes"]["grad_all_ignored"][:15] in text.replace("\n", "")
    assert "押すべき例がない" in text.replace("\n", "")
