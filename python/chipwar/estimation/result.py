"""The result of a fixed-effects regression: coefficients, inference, fit statistics, fixed effects, prediction."""

from __future__ import annotations

import copy
import warnings
from concurrent.futures import Executor
from dataclasses import replace

import numpy as np
import pandas as pd

from .. import kernels
from .._errors import ChipwarError, ConvergenceWarning
from .._results import Result, significance_stars
from ..model.design import combined_codes
from ..vcov import VcovInputs, VcovResult, compute_vcov, parse_vcov
from ..vcov.jackknife import LeaveOut, ols_leave_out
from .fit import FitCore, IVPart, ModelPart, OlsPart


class RegressionResult(Result):
    """A fitted regression (fixest-style). Coefficients are pandas Series indexed by term name."""

    method = "OLS"
    t_reference = True  # Student t (OLS, IV); GLMs use the normal

    def __init__(
        self,
        fit: FitCore[ModelPart],
        vcov: object = None,
        executor: Executor | None = None,
        progress: bool | None = None,
    ) -> None:
        self._fit = fit
        self._set_vcov(vcov, executor, progress)

    # ---- inference ---------------------------------------------------------------------------------------
    def _vcov_inputs(self, executor: Executor | None = None, progress: bool | None = None) -> VcovInputs:
        c = self._fit
        d = c.design
        return VcovInputs(
            bread=c.bread,
            scores=c.scores,
            n=d.nobs,
            k=len(c.names),
            fe_sizes=d.n_groups,
            fe_codes=d.fe_codes,
            codes_of=d.codes_of,
            level_of=d.level_of,
            dispersion=c.dispersion,
            fe_names=d.fe_names,
            weights=d.weights,
            leave_out=self._leave_cluster_out(executor, progress),
        )

    def _leave_cluster_out(self, executor: Executor | None, progress: bool | None) -> LeaveOut | None:
        """The CRV3 rule of this model: least squares on the demeaned data (see :mod:`chipwar.vcov.jackknife`); models
        whose rule refits (Poisson) run the refits on ``executor`` with a progress bar."""
        part = self._fit.part
        if not isinstance(part, OlsPart):
            return None
        return ols_leave_out(
            part.x_demeaned, self._fit.scores, self._fit.design.weights, self._fit.names, part.collin_tol
        )

    def supports_crv3(self) -> bool:
        """Whether ``vcov={"CRV3": g}`` is available: the model has a leave-one-cluster-out rule (OLS, IV, Poisson)."""
        return isinstance(self._fit.part, OlsPart)

    def supports_wild_bootstrap(self) -> bool:
        """Whether :meth:`wildboot` is available: least squares without an IV part."""
        return isinstance(self._fit.part, OlsPart)

    def _set_vcov(self, vcov: object, executor: Executor | None = None, progress: bool | None = None) -> None:
        spec = parse_vcov(vcov)
        self._vcov_spec = spec
        self._vcov_res: VcovResult = compute_vcov(
            spec, self._vcov_inputs(executor, progress), t_reference=self.t_reference
        )

    def with_vcov(
        self, vcov: object, executor: Executor | None = None, progress: bool | None = None, data: object = None
    ) -> RegressionResult:
        """The same fit with another variance estimator (no refit of the model).

        Parameters
        ----------
        vcov : str or dict
            As ``vcov=`` of :func:`chipwar.feols` / :func:`chipwar.fepois`.
        executor : concurrent.futures.Executor, optional
            Runs the replicates of variances that refit the model (``{"CRV3": g}`` after ``fepois``: one refit per
            cluster), e.g. a ``ThreadPoolExecutor`` or ``dask.distributed.Client(...).get_executor()``; the result
            does not depend on it.
        progress : bool, optional
            Progress bar over those replicates (default: in notebooks only).
        data : DataFrame, optional
            The table the model was fitted on, for a cluster (or NW / DK time, panel) column that was neither a
            cluster variable nor a fixed effect of the fit: a fit keeps the codes of those, not the data.

        Examples
        --------
        >>> import numpy as np, pandas as pd, chipwar as cw
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame({"x": rng.normal(size=200), "firm": rng.integers(0, 20, 200),
        ...                    "region": rng.integers(0, 5, 200)}).assign(y=lambda d: d.x + rng.normal(size=200))
        >>> fit = cw.feols("y ~ x | firm", df, vcov="hetero")
        >>> fit.with_vcov({"CRV1": "firm"}).vcov_type  # a fixed effect: no data needed
        'Clustered (firm)'
        >>> fit.with_vcov({"CRV1": "region"}, data=df).vcov_type  # any other column: from the data
        'Clustered (region)'
        """
        spec = parse_vcov(vcov)
        new = self._with_groups(
            spec.cluster_columns, data, spec.time_columns
        )  # shares the fit; only the variance differs
        new._set_vcov(vcov, executor, progress)
        return new

    def _with_groups(
        self, columns: tuple[str, ...], data: object, time_columns: tuple[str, ...] = ()
    ) -> RegressionResult:
        """A copy of this result whose design also has the grouping ``columns`` (read from ``data`` if given)."""
        new = copy.copy(self)
        if data is not None:
            new._fit = replace(self._fit, design=self._fit.design.with_groups(data, columns, time_columns))
        return new

    def in_sample(self, label: str) -> RegressionResult:
        """The same fit labelled as the split sample ``label`` (what :attr:`sample` reports)."""
        new = copy.copy(self)
        new._fit = replace(self._fit, sample=label)
        return new

    def wildboot(
        self,
        param: str,
        cluster: str | None = None,
        reps: int = 9999,
        weights: str = "rademacher",
        seed: int | None = None,
        level: float = 0.95,
        executor: Executor | None = None,
        progress: bool | None = None,
        data: object = None,
    ):
        """Restricted wild cluster bootstrap p-value and confidence interval of one coefficient (linear models).

        See :mod:`chipwar.estimation.wildboot`. ``cluster`` defaults to the model's one-way CRV1 cluster; another
        column is read from ``data``, the table the model was fitted on (see :meth:`with_vcov`).
        """
        from .wildboot import wild_bootstrap

        result = self if cluster is None else self._with_groups((cluster,), data)
        return wild_bootstrap(result, param, cluster, reps, weights, seed, level, executor, progress)

    @property
    def coef(self) -> pd.Series:
        return pd.Series(self._fit.coef, index=self._fit.names, name="estimate")

    @property
    def vcov(self) -> pd.DataFrame:
        names = self._fit.names
        return pd.DataFrame(self._vcov_res.matrix, index=names, columns=names)

    @property
    def se(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self._vcov_res.matrix)), index=self._fit.names, name="std_error")

    @property
    def tstat(self) -> pd.Series:
        return (self.coef / self.se).rename("statistic")

    @property
    def df_t(self) -> float:
        """Degrees of freedom of the t reference distribution (inf for the normal)."""
        return self._vcov_res.df

    @property
    def pvalue(self) -> pd.Series:
        p = kernels.t_pvalue(self.tstat.to_numpy(), self.df_t if np.isfinite(self.df_t) else 0.0)
        return pd.Series(np.asarray(p, dtype=float), index=self._fit.names, name="p_value")

    def confint(self, level: float = 0.95) -> pd.DataFrame:
        """Confidence intervals (columns ``conf_low``, ``conf_high``) from the same reference distribution as the p-values."""
        if not 0 < level < 1:
            raise ChipwarError(f"level must be between 0 and 1, got {level}")
        q = float(kernels.t_quantile(0.5 + level / 2, self.df_t if np.isfinite(self.df_t) else 0.0))
        b, s = self.coef, self.se
        return pd.DataFrame({"conf_low": b - q * s, "conf_high": b + q * s})

    @property
    def vcov_type(self) -> str:
        return self._vcov_res.label

    # ---- fit ---------------------------------------------------------------------------------------------
    @property
    def nobs(self) -> int:
        return self._fit.design.nobs

    @property
    def obs_index(self) -> np.ndarray:
        """Positions (0-based, in the input data) of the observations used in estimation."""
        return self._fit.design.obs_index.copy()

    @property
    def dropped_terms(self) -> list[str]:
        return list(self._fit.dropped)

    @property
    def n_dropped(self) -> dict[str, int]:
        d = self._fit.design
        return {"missing": d.n_missing, "singletons": d.n_singletons, "zero_weight": d.n_zero_weight}

    @property
    def resid(self) -> np.ndarray:
        return self._fit.resid

    @property
    def fitted(self) -> np.ndarray:
        return self._fit.fitted

    @property
    def formula(self) -> str:
        return self._fit.design.formula.text

    @property
    def fixef_names(self) -> list[str]:
        return list(self._fit.design.fe_names)

    def _weights(self) -> np.ndarray:
        w = self._fit.design.weights
        return np.ones(self.nobs) if w is None else w

    @property
    def n_params(self) -> int:
        """Coefficients plus fixed-effect coefficients (fixest's count)."""
        from ..vcov import n_fixef_coefficients

        return len(self._fit.names) + n_fixef_coefficients(self._fit.design.n_groups)

    def fixef(self) -> dict[str, pd.Series]:
        """Recovered fixed effects, one Series per fixed effect indexed by its levels.

        The first fixed effect carries the level; in every further fixed effect the first level is the reference
        (coefficient 0), as in fixest for connected designs.
        """
        c = self._fit
        d = c.design
        if not d.fe_names or c.fe_sum is None:
            raise ChipwarError("this model has no fixed effects")
        coefs, converged = kernels.recover_fixef(c.fe_sum, d.fe_codes, d.n_groups, d.weights)
        if not converged:
            warnings.warn("fixed-effect recovery did not converge", ConvergenceWarning, stacklevel=2)
        return {
            name: pd.Series(vals, index=pd.Index(levels, name=name), name=name)
            for name, vals, levels in zip(d.fe_names, coefs, d.fe_levels)
        }

    def predict(self, data: object = None) -> np.ndarray:
        """Fitted values (linear predictor scale for OLS) on the estimation sample, or on new ``data``.

        Rows of new data with missing values or with fixed-effect levels not seen in estimation get NaN.
        """
        c = self._fit
        if data is None:
            return c.fitted.copy()
        from ..model.design import _terms_block
        from ..model.frame import as_pandas, require_columns

        frame = as_pandas(data)
        d = c.design
        f = d.formula
        require_columns(frame, [col for t in f.rhs for col in t.columns()] + [x for fe in f.fixef for x in fe])
        block = _terms_block(f.rhs, frame, f.intercept)
        names = (["(Intercept)"] if f.intercept else []) + block.names
        values = np.column_stack([np.ones(len(frame)), block.values]) if f.intercept else block.values
        lookup = dict(zip(names, values.T))
        missing_terms = [n for n in c.names if n not in lookup]
        if missing_terms:
            raise ChipwarError(f"new data does not produce the terms {missing_terms} (factor levels not present?)")
        eta = np.zeros(len(frame))
        for name, b in zip(c.names, c.coef):
            eta += b * lookup[name]
        eta[~block.valid] = np.nan
        if d.fe_names:
            fe = self.fixef()
            for cols, name in zip(f.fixef, d.fe_names):
                codes, levels = combined_codes(frame, cols)
                label = pd.Series(levels, dtype=object).astype(str).to_numpy()[np.maximum(codes, 0)]
                known = fe[name].copy()
                known.index = known.index.astype(str)
                vals = known.reindex(label).to_numpy(dtype=float, copy=True)
                vals[codes < 0] = np.nan
                eta += vals
        return self._inverse_link(eta)

    def _inverse_link(self, eta: np.ndarray) -> np.ndarray:
        return eta

    @property
    def r2(self) -> float:
        y = self._fit.design.y
        w = self._weights()
        ybar = np.average(y, weights=w)
        return 1.0 - float(np.sum(w * self.resid**2) / np.sum(w * (y - ybar) ** 2))

    @property
    def adj_r2(self) -> float:
        n = self.nobs
        return 1.0 - (1.0 - self.r2) * (n - 1) / (n - self.n_params)

    @property
    def r2_within(self) -> float:
        """R2 of the model after projecting out the fixed effects (NaN without fixed effects)."""
        if not self._fit.design.fe_names:
            return float("nan")
        part = self._fit.part
        if not isinstance(part, OlsPart | IVPart):
            return float("nan")
        y_dm = part.y_demeaned
        w = self._weights()
        return 1.0 - float(np.sum(w * self.resid**2) / np.sum(w * y_dm**2))

    @property
    def rmse(self) -> float:
        return float(np.sqrt(np.sum(self._weights() * self.resid**2) / self.nobs))

    # ---- presentation --------------------------------------------------------------------------------------
    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """One row per term: ``term, estimate, std_error, statistic, p_value, conf_low, conf_high``."""
        ci = self.confint(level)
        return pd.DataFrame(
            {
                "term": self._fit.names,
                "estimate": self.coef.to_numpy(),
                "std_error": self.se.to_numpy(),
                "statistic": self.tstat.to_numpy(),
                "p_value": self.pvalue.to_numpy(),
                "conf_low": ci["conf_low"].to_numpy(),
                "conf_high": ci["conf_high"].to_numpy(),
            }
        )

    def _fit_lines(self) -> list[str]:
        lines = [f"RMSE: {self.rmse:.6g}   R2: {self.r2:.6g}   Adj. R2: {self.adj_r2:.6g}"]
        if self._fit.design.fe_names:
            lines[0] += f"   Within R2: {self.r2_within:.6g}"
        return lines

    def summary(self) -> str:
        d = self._fit.design
        stat = "t value" if self.t_reference else "z value"
        head = [
            f"{self.method} estimation, Dep. Var.: {self._lhs}",
            f"Observations: {self.nobs:,}"
            + (
                f"   (dropped: {', '.join(f'{v} {k}' for k, v in self.n_dropped.items() if v)})"
                if any(self.n_dropped.values())
                else ""
            ),
        ]
        if d.fe_names:
            head.append("Fixed effects: " + ", ".join(f"{n} ({g:,})" for n, g in zip(d.fe_names, d.n_groups)))
        head.append(f"Standard errors: {self.vcov_type}")
        t = self.tidy()
        width = max([len(s) for s in t["term"]] + [12])
        pcol = "Pr(>|t|)" if self.t_reference else "Pr(>|z|)"
        rows = [f"{'':<{width}} {'Estimate':>12} {'Std. Error':>12} {stat:>9} {pcol:>10}"]
        for r in t.itertuples():
            rows.append(
                f"{r.term:<{width}} {r.estimate:>12.6g} {r.std_error:>12.6g} {r.statistic:>9.4g} {r.p_value:>10.4g} "
                f"{significance_stars(r.p_value)}"
            )
        if self._fit.dropped:
            rows.append(f"Dropped (collinear): {', '.join(self._fit.dropped)}")
        return "\n".join(head + ["-" * len(rows[0])] + rows + ["---"] + self._fit_lines())

    @property
    def _lhs(self) -> str:
        return self._fit.lhs

    @property
    def sample(self) -> str | None:
        """The sample of a split estimation (``"Full sample"``, ``"<column> = <group>"``); None otherwise."""
        return self._fit.sample
