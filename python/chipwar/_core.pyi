"""
chipwar's compiled kernels (private; use the chipwar package)
"""
from __future__ import annotations
import collections.abc
import numpy
import numpy.typing
import typing
__all__: list[str] = ['adh_fit_many', 'ceres_version', 'chi2_sf', 'compact_codes', 'conformal_pvalues', 'crossprod', 'demean', 'did_group_time', 'did_group_time_rc', 'did_triple_group_time', 'did_two_period', 'eigen_version', 'f_sf', 'fit_poisson', 'fw_simplex_weights', 'group_sums', 'independent_columns', 'logit', 'multiplier_bootstrap', 'newey_west_meat', 'normal_cdf', 'normal_quantile', 'num_threads', 'ols', 'optim_bfgs', 'optim_nelder_mead', 'recover_fixef', 'relu_separation', 'scpi_insample_bounds', 'scpi_qp', 'scpi_qp_kkt_violation', 'sdid_fit', 'sdid_replicates', 'separation_impossible', 'separation_screen', 'set_num_threads', 'simplex_kkt_violation', 'simplex_least_squares', 'singleton_keep_mask', 'synth_ipop', 't_pvalue', 't_quantile', 'wild_bootstrap_t', 'zero_outcome_groups']
def adh_fit_many(problems: collections.abc.Sequence[tuple[typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, n]"], typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, 1]"], typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, n]"], typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, 1]"]]], fixed_v: collections.abc.Sequence[typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, 1]"]], max_iter: typing.SupportsInt | typing.SupportsIndex = 200, random_starts: typing.SupportsInt | typing.SupportsIndex = 0, v_search: str = 'global') -> list:
    """
    ADH synthetic control for (X0, x1, Z0, z1) problems: V optimised (or fixed_v[i] when non-empty), in parallel.
    """
def chi2_sf(x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], df: typing.Annotated[numpy.typing.ArrayLike, numpy.float64]) -> typing.Any:
    ...
def compact_codes(codes: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], n_groups: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex]) -> tuple[numpy.typing.NDArray[numpy.int32], list[list[int]]]:
    """
    Renumber each column of (n x Q) codes to the groups that occur, in order: (codes, old code per new group).
    """
def conformal_pvalues(y0: typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, n]"], y1: typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, 1]"], grid: typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, 1]"]) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"]:
    """
    Conformal p-values of H0: effect = theta for each theta.
    """
def crossprod(x: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]", "flags.f_contiguous"], weights: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None = None) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]"]:
    """
    X' W X.
    """
@typing.overload
def demean(x: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]", "flags.f_contiguous"], codes: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], n_groups: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], weights: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None = None, tol: typing.SupportsFloat | typing.SupportsIndex = 1e-08, max_iter: typing.SupportsInt | typing.SupportsIndex = 10000) -> tuple:
    """
    Project fixed effects out of every column of x: (values, iterations, converged).
    """
@typing.overload
def demean(x: typing.Annotated[numpy.typing.NDArray[numpy.float32], "[m, n]", "flags.f_contiguous"], codes: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], n_groups: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], weights: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None = None, tol: typing.SupportsFloat | typing.SupportsIndex = 1e-08, max_iter: typing.SupportsInt | typing.SupportsIndex = 10000) -> tuple:
    """
    The same for float32 columns (demeaned in float64; values are float64).
    """
def did_group_time(y: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]", "flags.f_contiguous"], cohort: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], covariates: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]", "flags.f_contiguous"], weights: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], method: typing.SupportsInt | typing.SupportsIndex, period: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], base_period: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], cell_cohort: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex], control_after: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex]) -> tuple[typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]"], typing.Annotated[numpy.typing.NDArray[numpy.int32], "[m, 1]"], typing.Annotated[numpy.typing.NDArray[numpy.int32], "[m, 1]"], list[bool], typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"]]:
    """
    Group-time ATTs on a balanced panel: (att, inf, n_treated, n_control, ps_converged, max_pscore).
    """
def did_group_time_rc(y: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], period: typing.Annotated[numpy.typing.NDArray[numpy.int32], "[m, 1]"], cohort: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], covariates: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]", "flags.f_contiguous"], weights: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], method: typing.SupportsInt | typing.SupportsIndex, cell_period: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], base_period: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], cell_cohort: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex], control_after: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex]) -> tuple[typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]"], typing.Annotated[numpy.typing.NDArray[numpy.int32], "[m, 1]"], typing.Annotated[numpy.typing.NDArray[numpy.int32], "[m, 1]"], list[bool], typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"]]:
    """
    Group-time ATTs from repeated cross sections, one row per observation: (att, inf, n_treated, n_control, ps_converged, max_pscore).
    """
def did_triple_group_time(y: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]", "flags.f_contiguous"], cohort: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], partition: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], covariates: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]", "flags.f_contiguous"], weights: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], method: typing.SupportsInt | typing.SupportsIndex, period: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], base_period: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], cell_cohort: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex], control_after: collections.abc.Sequence[typing.SupportsFloat | typing.SupportsIndex]) -> tuple[typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]"], typing.Annotated[numpy.typing.NDArray[numpy.int32], "[m, 1]"], typing.Annotated[numpy.typing.NDArray[numpy.int32], "[m, 1]"], list[bool], typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], typing.Annotated[numpy.typing.NDArray[numpy.int32], "[m, 1]"]]:
    """
    Triple-difference group-time ATTs on a balanced panel: (att, inf, n_treated, n_control, ps_converged, max_pscore, n_comparison_cohorts).
    """
def did_two_period(dy: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], d: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], x: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]", "flags.f_contiguous"], w: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], method: typing.SupportsInt | typing.SupportsIndex) -> tuple[float, typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"]]:
    """
    One two-period panel DiD (Sant'Anna & Zhao 2020): (att, influence function).
    """
def f_sf(x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], df1: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], df2: typing.Annotated[numpy.typing.ArrayLike, numpy.float64]) -> typing.Any:
    ...
@typing.overload
def fit_poisson(x: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]", "flags.f_contiguous"], y: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], codes: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], n_groups: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], weights: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None = None, offset: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None = None, tol: typing.SupportsFloat | typing.SupportsIndex = 1e-08, max_iter: typing.SupportsInt | typing.SupportsIndex = 25, fixef_tol: typing.SupportsFloat | typing.SupportsIndex = 1e-08, fixef_max_iter: typing.SupportsInt | typing.SupportsIndex = 10000, collin_tol: typing.SupportsFloat | typing.SupportsIndex = 1e-10, absorbed_tol: typing.SupportsFloat | typing.SupportsIndex = 1e-10) -> dict:
    """
    Poisson PML with fixed effects by IRLS (x and y float64 or float32); returns a dict (status per column: 0 kept, 1 absorbed, 2 collinear).
    """
@typing.overload
def fit_poisson(x: typing.Annotated[numpy.typing.NDArray[numpy.float32], "[m, n]", "flags.f_contiguous"], y: typing.Annotated[numpy.typing.NDArray[numpy.float32], "[m, 1]"], codes: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], n_groups: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], weights: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None = None, offset: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None = None, tol: typing.SupportsFloat | typing.SupportsIndex = 1e-08, max_iter: typing.SupportsInt | typing.SupportsIndex = 25, fixef_tol: typing.SupportsFloat | typing.SupportsIndex = 1e-08, fixef_max_iter: typing.SupportsInt | typing.SupportsIndex = 10000, collin_tol: typing.SupportsFloat | typing.SupportsIndex = 1e-10, absorbed_tol: typing.SupportsFloat | typing.SupportsIndex = 1e-10) -> dict:
    """
    Poisson PML with fixed effects by IRLS (x and y float64 or float32); returns a dict (status per column: 0 kept, 1 absorbed, 2 collinear).
    """
def fw_simplex_weights(y: typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, n]"], zeta: typing.SupportsFloat | typing.SupportsIndex, intercept: bool, start: typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, 1]"], min_decrease: typing.SupportsFloat | typing.SupportsIndex, max_iter: typing.SupportsInt | typing.SupportsIndex) -> tuple[typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], int, bool]:
    """
    synthdid's regularised Frank-Wolfe weights: (weights, iterations, converged).
    """
def group_sums(x: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]", "flags.f_contiguous"], codes: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], n_groups: typing.SupportsInt | typing.SupportsIndex) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]"]:
    """
    Column sums of x within groups (n x k -> G x k).
    """
def independent_columns(gram: typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, n]"], tol: typing.SupportsFloat | typing.SupportsIndex = 1e-10) -> list[bool]:
    ...
def logit(x: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]", "flags.f_contiguous"], d: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], w: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"]) -> tuple[typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], bool, int]:
    """
    Weighted logit by Newton-Raphson: (coef, fitted, converged, iterations).
    """
def multiplier_bootstrap(inf: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]", "flags.f_contiguous"], replicates: typing.SupportsInt | typing.SupportsIndex, seed: typing.SupportsInt | typing.SupportsIndex, kind: str = 'mammen', first: typing.SupportsInt | typing.SupportsIndex = 0) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]"]:
    """
    Multiplier bootstrap draws sqrt(n) * mean(v * inf) (replicates x columns), reproducible for any thread count.
    """
def newey_west_meat(scores: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]", "flags.f_contiguous"], panel: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], period: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], lags: typing.SupportsInt | typing.SupportsIndex) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]"]:
    """
    Newey-West meat within panels with Bartlett weights (periods are 0..T-1 positions).
    """
def normal_cdf(x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64]) -> typing.Any:
    ...
def normal_quantile(p: typing.Annotated[numpy.typing.ArrayLike, numpy.float64]) -> typing.Any:
    ...
def num_threads() -> int:
    """
    Threads used by long kernels.
    """
def ols(x: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]", "flags.f_contiguous"], y: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], weights: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None, collin_tol: typing.SupportsFloat | typing.SupportsIndex = 1e-10) -> tuple[list[bool], typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]"], typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"]]:
    """
    Weighted least squares with in-order collinearity detection: (kept, coef, bread, resid).
    """
def optim_bfgs(f: collections.abc.Callable, x0: typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, 1]"], max_iter: typing.SupportsInt | typing.SupportsIndex = 100) -> dict:
    """
    R optim's BFGS with finite-difference gradients (as Synth runs it): dict as optim_nelder_mead.
    """
def optim_nelder_mead(f: collections.abc.Callable, x0: typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, 1]"], max_fn: typing.SupportsInt | typing.SupportsIndex = 500) -> dict:
    """
    R optim's Nelder-Mead (as Synth runs it): dict with x, value, fn_count, gr_count, converged.
    """
def recover_fixef(d: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], codes: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], n_groups: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], weights: typing.Annotated[numpy.typing.ArrayLike, numpy.float64] | None = None, tol: typing.SupportsFloat | typing.SupportsIndex = 1e-10, max_iter: typing.SupportsInt | typing.SupportsIndex = 100000) -> tuple[list[typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"]], bool]:
    """
    Split a fixed-effect component into per-fixed-effect coefficients.
    """
def relu_separation(x: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]", "flags.f_contiguous"], y: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], codes: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], n_groups: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], tol: typing.SupportsFloat | typing.SupportsIndex = 1e-06, max_iter: typing.SupportsInt | typing.SupportsIndex = 1000, fixef_tol: typing.SupportsFloat | typing.SupportsIndex = 1e-08, fixef_max_iter: typing.SupportsInt | typing.SupportsIndex = 10000, collin_tol: typing.SupportsFloat | typing.SupportsIndex = 1e-10) -> tuple[numpy.typing.NDArray[numpy.bool], int, bool]:
    """
    Separated observations by the iterated rectifier method: (separated, iterations, converged).
    """
def scpi_insample_bounds(q: typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, n]"], beta: typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, 1]"], draws: typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, n]"], p_rows: typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, n]"], kind: str, n_weights: typing.SupportsInt | typing.SupportsIndex, q1: typing.SupportsFloat | typing.SupportsIndex, q2: typing.SupportsFloat | typing.SupportsIndex, lower: typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, 1]"]) -> tuple[typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]"], typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]"], int]:
    """
    scpi's in-sample bounds: min and max of p'(beta - x) per draw and row of P: (lower, upper, failures).
    """
def scpi_qp(h: typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, n]"], f: typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, 1]"], kind: str, n_weights: typing.SupportsInt | typing.SupportsIndex, q: typing.SupportsFloat | typing.SupportsIndex, q2: typing.SupportsFloat | typing.SupportsIndex, lower: typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, 1]"]) -> tuple[typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], float, bool, int]:
    """
    min x'Hx/2 + f'x with the first n_weights entries in scpi's set: (x, l2_multiplier, converged, iterations).
    """
def scpi_qp_kkt_violation(h: typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, n]"], f: typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, 1]"], kind: str, n_weights: typing.SupportsInt | typing.SupportsIndex, q: typing.SupportsFloat | typing.SupportsIndex, q2: typing.SupportsFloat | typing.SupportsIndex, lower: typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, 1]"], x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, 1]"], nu: typing.SupportsFloat | typing.SupportsIndex) -> float:
    """
    Largest relative KKT violation of scpi_qp's problem at (x, nu).
    """
def sdid_fit(y: typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, n]"], n0: typing.SupportsInt | typing.SupportsIndex, t0: typing.SupportsInt | typing.SupportsIndex, opts: dict, omega: typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, 1]"], lambda_: typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, 1]"]) -> tuple[float, typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], bool]:
    """
    Synthetic DiD on a block panel: (estimate, omega, lambda, converged).
    """
def sdid_replicates(y: typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, n]"], t0: typing.SupportsInt | typing.SupportsIndex, opts: dict, omega: typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, 1]"], lambda_: typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, 1]"], index: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], offsets: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], n0s: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex]) -> tuple[typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], bool]:
    """
    SDID estimates on row subsets (placebo, bootstrap, jackknife).
    """
def separation_impossible(x: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]", "flags.f_contiguous"], y: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], codes: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], n_groups: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], fixef_tol: typing.SupportsFloat | typing.SupportsIndex = 1e-08, fixef_max_iter: typing.SupportsInt | typing.SupportsIndex = 10000, collin_tol: typing.SupportsFloat | typing.SupportsIndex = 1e-10) -> bool:
    """
    True when the rows with y > 0 determine the whole fit (full rank there), so no observation can be separated.
    """
def separation_screen(x: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]", "flags.f_contiguous"], y: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], codes: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], n_groups: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex], fast: bool = True, fixef_tol: typing.SupportsFloat | typing.SupportsIndex = 1e-08, fixef_max_iter: typing.SupportsInt | typing.SupportsIndex = 10000, collin_tol: typing.SupportsFloat | typing.SupportsIndex = 1e-10) -> tuple[bool, bool]:
    """
    separation_impossible with how it was decided: (impossible, tight_pass); fast=False runs only the pass at fixef_tol.
    """
def set_num_threads(n: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    Set the threads used by long kernels.
    """
def simplex_kkt_violation(a: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]", "flags.f_contiguous"], b: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], w: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"]) -> float:
    """
    Largest relative violation of the simplex least-squares KKT conditions at w.
    """
def simplex_least_squares(a: typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, n]"], b: typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, 1]"]) -> tuple[typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], bool, int]:
    """
    min ||A w - b||^2 over the simplex (active set): (w, converged, iterations).
    """
def singleton_keep_mask(codes: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], n_groups: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex]) -> numpy.typing.NDArray[numpy.bool]:
    """
    Observations kept after iterative removal of singleton groups.
    """
def synth_ipop(h: typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, n]"], c: typing.Annotated[numpy.typing.ArrayLike, numpy.float64, "[m, 1]"]) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"]:
    """
    kernlab's ipop with Synth's settings for min c'w + w'Hw/2 on the simplex (inexact by design).
    """
def t_pvalue(t: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], df: typing.Annotated[numpy.typing.ArrayLike, numpy.float64]) -> typing.Any:
    """
    Two-sided p-value of t under Student's t with df degrees of freedom (df <= 0 or inf: normal).
    """
def t_quantile(p: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], df: typing.Annotated[numpy.typing.ArrayLike, numpy.float64]) -> typing.Any:
    ...
def wild_bootstrap_t(a: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], c: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, n]", "flags.f_contiguous"], first: typing.SupportsInt | typing.SupportsIndex, count: typing.SupportsInt | typing.SupportsIndex, weights: str, seed: typing.SupportsInt | typing.SupportsIndex) -> typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"]:
    """
    Bootstrap t statistics of replicates first..first+count-1 (closed form; see wild_bootstrap.hpp).
    """
def zero_outcome_groups(y: typing.Annotated[numpy.typing.NDArray[numpy.float64], "[m, 1]"], codes: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], n_groups: collections.abc.Sequence[typing.SupportsInt | typing.SupportsIndex]) -> numpy.typing.NDArray[numpy.bool]:
    """
    Observations in a fixed-effect group whose outcome is zero throughout.
    """
ceres_version: str
eigen_version: str
