"""The early-warning threshold: the Farrington-flexible upper bound of Noufaily et al. (2013) on a
series' own baseline, vectorised over every series at once.

For each series with baseline counts ``y_1..y_b`` (earlier periods of the same length) and a count
``y_0`` in the period checked:

1. intercept-only quasi-Poisson fit: ``mu = mean(y)``, dispersion
   ``phi = max(1, sum((y_i - mu)^2 / mu) / (b - 1))`` (Pearson; never below Poisson), and the
   standard error of the linear predictor ``log(mu)``: ``se = sqrt(phi / (b mu))``;
2. the mean's upper quantile ``mu_q = exp(log(mu) + z_{1-alpha} se)`` (the "muan" variant, which
   allows for the uncertainty of the baseline mean);
3. the upper bound ``U``: the ``1 - alpha/2`` quantile of a negative binomial with mean ``mu_q``
   and variance ``phi mu_q`` (a Poisson quantile when ``phi = 1``), as in R's
   ``surveillance::farringtonFlexible(thresholdMethod = "muan")``;
4. a warning when ``y_0 > U`` and ``y_0 >= min_count``. A series whose baseline is all zero has no
   fitted mean; it warns at ``min_count`` requests (something new where there was nothing).

The p-value is ``P(Y >= y_0)`` under that negative binomial. Without a trend term or past-outbreak
reweighting (the full Farrington method's other steps), see docs/analysis.md for why and for the
false-alarm and detection rates measured on simulated data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Bounds:
    """Per series: fitted mean, dispersion, upper bound, p-value and whether it warns."""

    expected: np.ndarray
    phi: np.ndarray
    upper: np.ndarray
    p_value: np.ndarray
    alarm: np.ndarray


def noufaily_threshold(mu_hat: np.ndarray, phi: np.ndarray, se: np.ndarray, observed: np.ndarray,
                       alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """(upper bound, P(Y >= observed)) from the fitted mean, the dispersion and the standard error
    of ``log(mu)``: steps 2 and 3 above (``surveillance``'s ``algo.farrington.threshold.noufaily``
    with method "muan")."""
    from scipy import stats

    mu_q = mu_hat * np.exp(stats.norm.ppf(1 - alpha) * se)
    over = phi > 1
    size = mu_q / np.where(over, phi - 1, 1.0)
    prob = 1 / np.asarray(phi, dtype=np.float64)
    q = 1 - alpha / 2
    upper = np.where(over, stats.nbinom.ppf(q, size, prob), stats.poisson.ppf(q, mu_q))
    p_value = np.where(over, stats.nbinom.sf(observed - 1, size, prob), stats.poisson.sf(observed - 1, mu_q))
    return upper, p_value


def upper_bounds(baseline: np.ndarray, observed: np.ndarray, *, alpha: float, min_count: int) -> Bounds:
    """Thresholds for ``observed`` (one count per series) from ``baseline`` (series x b counts)."""
    y = np.asarray(baseline, dtype=np.float64)
    obs = np.asarray(observed, dtype=np.float64)
    b = y.shape[1]
    if b < 2:
        raise ValueError("the baseline needs at least two periods")
    mu = y.mean(axis=1)
    fitted = mu > 0
    safe = np.where(fitted, mu, 1.0)
    pearson = ((y - safe[:, None]) ** 2 / safe[:, None]).sum(axis=1) / (b - 1)
    phi = np.where(fitted, np.maximum(1.0, pearson), 1.0)
    upper, p_value = noufaily_threshold(safe, phi, np.sqrt(phi / (b * safe)), obs, alpha)
    upper = np.where(fitted, upper, max(min_count - 1, 0))
    p_value = np.where(fitted, p_value, np.where(obs > 0, 0.0, 1.0))
    alarm = (obs > upper) & (obs >= min_count)
    return Bounds(mu, phi, upper, np.clip(p_value, 0.0, 1.0), alarm)
