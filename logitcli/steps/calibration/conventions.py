"""Each library's binning rule as data: how many bins, where the edges are, which side of a bin is closed,
where a confidence of exactly 0 or 1 goes, and whether it counts in float32.

The expected calibration error is a histogram statistic, and libraries that report it for the same
predictions disagree because of these few choices alone. Read from their sources (the versions named):

- torchmetrics 1.9.0, `functional/classification/calibration_error.py`: `torch.linspace(0, 1, n_bins + 1)`
  edges in the confidences' dtype, `torch.bucketize(..., right=True) - 1`, so bins are [a, b) and a
  confidence of exactly 1.0 lands in an extra (n_bins + 1)-th bin, which still counts in the ECE; the
  multiclass metric casts the confidences to float32 first (`confidences.float()`), the binary one keeps
  the input's dtype.
- netcal 1.4.0, `metrics/Miscalibration.py`: confidences clipped to [eps, 1 - eps], `np.histogramdd` and
  `binned_statistic_dd` over `np.linspace(0, 1, bins + 1)`: [a, b), the last bin closed. With at most two
  distinct targets netcal assumes a binary problem (P(class 1) against the target; more than two columns
  are refused).
- gpleiss temperature_scaling (2017), `temperature_scaling.py` `_ECELoss`: `torch.linspace(0, 1, 16)`
  (float32 edges) and `conf > lower and conf <= upper`: bins are (a, b]; a confidence of exactly 0 is in
  no bin, yet counts in N. It sums in float32.
- scikit-learn 1.9.1, `calibration.py` `calibration_curve`: `np.searchsorted(bins[1:-1], y_prob)`: bins
  are (a, b], the first one [0, b]; quantile bins from `np.percentile`.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import numpy as np

Closed = Literal["left", "right"]
Strategy = Literal["uniform", "quantile"]
STRATEGIES: tuple[str, ...] = ("uniform", "quantile")
MODES_ALL = ("top-label", "binary", "classwise")


@dataclass(frozen=True)
class Convention:
    """One library's rule. `closed` is the side of [a, b) ("left") or (a, b] ("right") a bin includes.

    `edges` says how the uniform edges are computed ("numpy": np.linspace in float64; "torch32": torch's
    float32 linspace; "torch": torch's linspace in the confidences' dtype); `float32` the tasks in which
    confidences and sums are float32; `one_bin` whether an exact 1.0 gets its own extra bin;
    `zero_in_no_bin` whether an exact 0 falls outside every bin; `clip` whether confidences are clipped to
    [eps, 1 - eps] first.
    """

    name: str
    library: str
    version: str
    call: str
    binary_call: str
    n_bins: int
    closed: Closed
    edges: Literal["numpy", "torch", "torch32"] = "numpy"
    float32: tuple[str, ...] = ()
    one_bin: bool = False
    zero_in_no_bin: bool = False
    clip: bool = False
    quantile: bool = True
    tasks: tuple[str, ...] = ("top-label", "binary")

    def rule(self) -> str:
        """The edge rule in a few characters: `[a, b)` or `(a, b]`, with what happens at 0 and 1."""
        text = "[a, b)" if self.closed == "left" else "(a, b]"
        if self.one_bin:
            text += ", 1.0 in an extra bin"
        elif self.closed == "left":
            text += ", last [a, 1]"
        if self.zero_in_no_bin:
            text += ", 0 in no bin"
        elif self.closed == "right":
            text += ", first [0, b]"
        return text


LOGITCLI = Convention("logitcli", "logitcli", "", "calibrate", "calibrate --binary", 15, "left", tasks=MODES_ALL)
CONVENTIONS: dict[str, Convention] = {
    "torchmetrics": Convention(
        "torchmetrics",
        "torchmetrics",
        "1.9.0",
        "MulticlassCalibrationError(n_bins=15)",
        "BinaryCalibrationError(n_bins=15)",
        15,
        "left",
        edges="torch",
        float32=("top-label",),
        one_bin=True,
        quantile=False,
    ),
    "netcal": Convention("netcal", "netcal", "1.4.0", "ECE(bins=10)", "ECE(bins=10)", 10, "left", clip=True),
    "gpleiss": Convention(
        "gpleiss",
        "temperature_scaling",
        "2017",
        "_ECELoss(n_bins=15)",
        "",
        15,
        "right",
        edges="torch32",
        zero_in_no_bin=True,
        quantile=False,
        tasks=("top-label",),
    ),
    "sklearn": Convention(
        "sklearn",
        "scikit-learn",
        "1.9.1",
        "calibration_curve(correct, confidence, n_bins=5)",
        "calibration_curve(y, p, n_bins=5)",
        5,
        "right",
    ),
}
CONVENTION_CHOICES: tuple[str, ...] = tuple(CONVENTIONS)


def torch_linspace(n_bins: int, float32: bool) -> np.ndarray:
    """`torch.linspace(0, 1, n_bins + 1)` value for value, as float64 numbers (float32 values when `float32`)."""
    if float32:
        return torch_linspace32(n_bins).astype(np.float64)
    step = Fraction(1.0 / n_bins)  # the float64 step, then each edge as one fused multiply-add, rounded once
    half = (n_bins + 1) // 2
    values = [float(i * step) if i < half else float(1 - (n_bins - i) * step) for i in range(n_bins + 1)]
    return np.array(values, dtype=np.float64)


def torch_linspace32(n_bins: int) -> np.ndarray:
    """`torch.linspace(0, 1, n_bins + 1)` in float32, value for value: a float32 step, the first half counted
    up from 0 and the second half down from 1, each product rounded once (as torch's CPU kernel does)."""
    step = np.float64(np.float32(1.0) / np.float32(n_bins))
    i = np.arange(n_bins + 1, dtype=np.float64)
    up = (i * step).astype(np.float32)
    down = (1.0 - (n_bins - i) * step).astype(np.float32)
    return np.where(i < (n_bins + 1) // 2, up, down)


def bin_edges(
    convention: Convention, n_bins: int, strategy: str, confidences: np.ndarray, float32: bool = False
) -> np.ndarray:
    """The n_bins + 1 edges from 0 to 1 (float64 values, float32 ones where the library's are)."""
    if strategy == "quantile":
        if confidences.size == 0:
            return np.linspace(0.0, 1.0, n_bins + 1)
        edges = np.percentile(confidences, np.linspace(0.0, 1.0, n_bins + 1) * 100)
        if convention.name == "netcal":  # np.quantile with its ends set to 0 and 1
            edges = np.quantile(confidences, np.linspace(0.0, 1.0, n_bins + 1))
            edges[0], edges[-1] = 0.0, 1.0
        return edges
    if convention.edges == "torch32":
        return torch_linspace32(n_bins).astype(np.float64)
    if convention.edges == "torch":
        return torch_linspace(n_bins, float32)
    return np.linspace(0.0, 1.0, n_bins + 1)


def bin_index(confidences: np.ndarray, edges: np.ndarray, convention: Convention) -> np.ndarray:
    """Each confidence's bin, 0 .. n_bins - 1; n_bins for torchmetrics' extra bin of 1.0; -1 for no bin.

    The inner edges decide; which side of an edge a confidence exactly on it goes to is the `closed` rule.
    """
    inner = edges[1:-1]
    side = "right" if convention.closed == "left" else "left"
    index = np.searchsorted(inner, confidences, side=side)
    if convention.one_bin:
        index[confidences >= edges[-1]] = len(edges) - 1
    if convention.zero_in_no_bin:
        index[confidences <= edges[0]] = -1
    return index
