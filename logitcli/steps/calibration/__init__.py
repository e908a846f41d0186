"""Calibration: can the softmax be trusted? Pure numpy, float64 (float32 only where a library's rule is).

- `outcomes`: per example a confidence, a prediction, whether it was right (top-label, binary, classwise),
  and its NLL and Brier term, read in chunks.
- `conventions`: each library's binning rule as data (bins, edges, closed side, 0 and 1.0, float32).
- `binning`: bins under one rule, and ECE / RMSCE / MCE from them.
- `smooth`: the smooth ECE of Błasiok and Nakkiran, as relplot computes it.
- `temperature`: the exact temperature (the root of the NLL's derivative in 1/T).
- `calculation`: all of it as one `Calculation` for `calibrate`.
"""

from logitcli.steps.calibration.binning import Bins, measure
from logitcli.steps.calibration.calculation import FIT_REASONS, MODES, Settings, calibration
from logitcli.steps.calibration.conventions import CONVENTION_CHOICES, CONVENTIONS, STRATEGIES, Convention
from logitcli.steps.calibration.smooth import smooth_ece
from logitcli.steps.calibration.temperature import TemperatureFit, fit_temperature

__all__ = [
    "CONVENTIONS",
    "CONVENTION_CHOICES",
    "FIT_REASONS",
    "MODES",
    "STRATEGIES",
    "Bins",
    "Convention",
    "Settings",
    "TemperatureFit",
    "calibration",
    "fit_temperature",
    "measure",
    "smooth_ece",
]
