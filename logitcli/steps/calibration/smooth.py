"""Smooth ECE (Błasiok and Nakkiran, "Smooth ECE: Principled Reliability Diagrams via Kernel Smoothing",
ICLR 2024), computed as the `relplot` package (1.0.3, `metrics.py` and `kernels.py`) computes it.

The residuals f - y are smoothed over [0, 1] with a Gaussian kernel reflected at 0 and 1; smECE(σ) is the
mean |smoothed residual| weighted by the smoothed density. The bandwidth σ is the fixed point σ = smECE(σ),
found by relplot with ten halvings of [0, 1]; it keeps the largest σ it tried with σ ≥ smECE(σ).

Every discretisation is relplot's: the examples are spread linearly onto a grid of max(2000, 20/σ)/2 + 1
points, convolved with the kernel sampled on the same grid, read back by linear interpolation at
max(200, 10/σ) points, and the density gets 0.0001 added. So the numbers agree with relplot's to rounding.
"""

from __future__ import annotations

import math

import numpy as np

MESH_POINTS = 200
DENSITY_EPS = 0.0001
SEARCH_STEPS = 10
SMALLEST_BANDWIDTH = 0.001


def smooth_ece(f: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """smECE of predictions f in [0, 1] against outcomes y, and the bandwidth σ it was computed at."""
    f = np.asarray(f, dtype=np.float64)
    residual = f - np.asarray(y, dtype=np.float64)
    if f.size == 0:
        return math.nan, math.nan

    def too_wide(sigma: float) -> bool:  # relplot's predicate: σ below the error it measures (or below eps)
        return sigma < SMALLEST_BANDWIDTH or sigma < smooth_ece_at(f, residual, sigma)

    if too_wide(1.0):  # relplot keeps σ = 1 when even the widest kernel measures more than 1
        return smooth_ece_at(f, residual, 1.0), 1.0
    high, low = 1.0, 0.0
    for _ in range(SEARCH_STEPS):
        middle = (high + low) / 2
        if too_wide(middle):
            low = middle
        else:
            high = middle
    return smooth_ece_at(f, residual, high), high


def smooth_ece_at(f: np.ndarray, residual: np.ndarray, sigma: float) -> float:
    """smECE at a fixed bandwidth: Σ |r̂(t)| · d(t) / Σ d(t) over the evaluation points t."""
    t = np.linspace(0.0, 1.0, max(round(10 / sigma), MESH_POINTS))
    grid = max(2000, round(20 / sigma)) // 2 + 1
    kernel = _kernel(sigma, grid)
    smoothed = _reflected_smooth(f, residual, kernel, grid, t)
    density = _reflected_smooth(f, np.ones_like(f), kernel, grid, t) + DENSITY_EPS
    return float(np.sum(np.abs(smoothed / density) * density) / np.sum(density))


def _kernel(sigma: float, grid: int) -> np.ndarray:
    """The Gaussian density with deviation σ at `grid` points of [0, 1], centred on 0.5."""
    t = np.linspace(0.0, 1.0, grid)
    return np.exp(-(t - 0.5) * (t - 0.5) / (2 * sigma**2)) / (math.sqrt(2 * math.pi) * sigma)


def _reflected_smooth(f: np.ndarray, values: np.ndarray, kernel: np.ndarray, grid: int, t: np.ndarray) -> np.ndarray:
    """Spread `values` at f onto the grid (linear weights), convolve reflected at both ends, interpolate at t."""
    cell = (f * (grid - 1)).astype(int).clip(0, grid - 2)
    frac = f * (grid - 1) - cell
    spread = np.bincount(cell, weights=(1 - frac) * values, minlength=grid)
    spread += np.bincount(cell + 1, weights=frac * values, minlength=grid)
    extended = np.concatenate([np.flip(spread)[:-1], spread, np.flip(spread)[1:]])
    convolved = _convolve_valid(extended, kernel)[grid // 2 : grid // 2 + grid]
    where = (t * (grid - 1)).astype(int).clip(0, grid - 2)
    bucket = 1 / (grid - 1)
    weight = (t - where * bucket) / bucket
    return convolved[where] * (1 - weight) + convolved[where + 1] * weight


def _convolve_valid(signal: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """np.convolve(signal, kernel, "valid"), by FFT when the direct sum would be slow (a fine grid)."""
    if len(kernel) <= 2048:
        return np.convolve(signal, kernel, "valid")
    size = len(signal) + len(kernel) - 1
    fast = 1 << (size - 1).bit_length()
    full = np.fft.irfft(np.fft.rfft(signal, fast) * np.fft.rfft(kernel, fast), fast)[:size]
    return full[len(kernel) - 1 : len(signal)]
