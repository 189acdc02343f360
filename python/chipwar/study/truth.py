"""The known truth of the default world, turned into the true effect on whatever outcome a section estimates.

The default world's effects are multiplicative in expected counts and values (log points, listed in
``world.truth``). A section's outcome is often a transformation of several rows (a share, a ratio to the rest of
the world, a pooled class), so its true effect is computed, not looked up: the outcome built from the observed
table minus the same outcome built from the counterfactual table, whose treated rows are divided by
``exp(effect)``. Dividing out the effect keeps each row's noise, so the difference is the effect alone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._errors import ChipwarError


def log_effect(table: pd.DataFrame, truth: pd.DataFrame, name: str) -> np.ndarray:
    """The injected log effect of every row of the world table ``name`` (0 for untreated rows).

    Parameters
    ----------
    table : pandas.DataFrame
        A table of the default world (``patents``, ``fab_capacity`` or ``trade``).
    truth : pandas.DataFrame
        ``world.truth``: one row per effect with the table it applies to, a query selecting the treated rows and
        the ``log_effect``.
    name : str
        The table's name in ``truth["table"]``.

    Returns
    -------
    numpy.ndarray
        Sum of the log effects whose query selects the row.
    """
    effect = np.zeros(len(table))
    rows = truth[truth["table"] == name]
    if rows.empty:
        raise ChipwarError(
            f"world.truth has no effect on table {name!r}; tables with effects: {sorted(set(truth['table']))}"
        )
    # one vectorised query per injected effect (a handful), not per row
    for query, value in zip(rows["treated"], rows["log_effect"]):
        effect += np.where(table.eval(query).to_numpy(dtype=bool), float(value), 0.0)
    return effect


def counterfactual(values: pd.Series | np.ndarray, effect: np.ndarray) -> np.ndarray:
    """Values without the injected effect: ``values / exp(effect)``."""
    return np.asarray(values, dtype=float) * np.exp(-np.asarray(effect, dtype=float))
