"""Several specifications and samples in one call: ``split=`` / ``fsplit=`` and ``executor=`` (as fixest's
``split``/``fsplit``), shared by feols and fepois.

Models are ordered as fixest orders them, sample outermost (the full sample first under ``fsplit``, then each
group in sorted order), then outcomes, then stepwise variants. Locally, the models of one sample are fitted
together (feols demeans every column once for all of them). With an executor, each split sample is one task (its
models still fitted together); without a split, each model is one task and the data are sent to the workers once.
Either way every model is the same computation as locally, so the results are identical.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from .._errors import ChipwarError
from .._progress import run_tasks
from ..model.design import _level_label, factor_codes
from ..model.frame import as_pandas, require_columns
from .multiple import FitCollection
from .result import RegressionResult

#: ``fit_sample(texts, frame, rows)`` fits every model formula on one sample; ``rows`` are the sample's positions
#: in the caller's data (None for all of them), for arguments aligned with the input rows such as an offset array
SampleFit = Callable[[list[str], pd.DataFrame, "np.ndarray | None"], list[RegressionResult]]


@dataclass
class Sample:
    label: str | None  # None: the data as given (no split)
    frame: pd.DataFrame
    rows: np.ndarray | None  # positions in the caller's data; None for all rows


def split_samples(frame: pd.DataFrame, split: str | None, fsplit: str | None) -> list[Sample]:
    """The samples to fit: the data as given, or (fsplit: the full sample and) one sample per group of the column.

    Rows whose split column is missing belong to no group (they stay in fsplit's full sample).
    """
    if split is not None and fsplit is not None:
        raise ChipwarError("give either split= or fsplit= (fsplit also fits the full sample), not both")
    column = split if split is not None else fsplit
    if column is None:
        return [Sample(None, frame, None)]
    arg = "split" if split is not None else "fsplit"
    if not isinstance(column, str):
        raise ChipwarError(f"{arg}= must be the name of one column, got {column!r}")
    require_columns(frame, [column], role=f"{arg} column")
    codes, levels = factor_codes(frame[column])
    if len(levels) == 0:
        raise ChipwarError(f"{arg} column {column!r} is missing in every row; there is no group to fit")
    order = np.argsort(codes, kind="stable")  # rows of each group together, in their original order
    bounds = np.cumsum(np.bincount(codes + 1, minlength=len(levels) + 1))  # code -1 (missing) first
    samples = [Sample("Full sample", frame, None)] if fsplit is not None else []
    for g, level in enumerate(levels):
        rows = order[bounds[g] : bounds[g + 1]]
        samples.append(Sample(f"{column} = {_level_label(level)}", frame.iloc[rows], rows))
    return samples


def _fit_one_sample(sample: Sample, fit_sample: SampleFit, texts: list[str]) -> list[RegressionResult]:
    """Every model on one sample, each labelled with it (a fit keeps codes, not the data, so a worker sends back
    only the model)."""
    try:
        fits = fit_sample(texts, sample.frame, sample.rows)
    except ChipwarError as exc:
        if sample.label is None:
            raise
        raise ChipwarError(f"sample {sample.label!r}: {exc}") from exc
    return fits if sample.label is None else [fit.in_sample(sample.label) for fit in fits]


def _fit_one_model(text: str, fit_sample: SampleFit, data: pd.DataFrame) -> RegressionResult:
    return fit_sample([text], data, None)[0]


def fit_models(
    fit_sample: SampleFit,
    texts: list[str],
    data: object,
    split: str | None,
    fsplit: str | None,
    executor: Executor | None,
    progress: bool | None,
) -> FitCollection:
    """Every model of ``texts`` on every sample, as one :class:`FitCollection` (sample outermost)."""
    frame = as_pandas(data)
    samples = split_samples(frame, split, fsplit)
    if samples[0].label is None and executor is not None:
        # no split: one task per model; the data go to a dask cluster once, shared by all models
        fits = run_tasks(
            partial(_fit_one_model, fit_sample=fit_sample),
            texts,
            executor=executor,
            progress=progress,
            desc="models",
            shared={"data": frame},
        )
        return FitCollection(fits)
    if samples[0].label is None:
        return FitCollection(fit_sample(texts, frame, None))
    per_sample = run_tasks(
        partial(_fit_one_sample, fit_sample=fit_sample, texts=texts),
        samples,
        executor=executor,
        progress=progress,
        desc="samples",
    )
    return FitCollection(fit for fits in per_sample for fit in fits)
