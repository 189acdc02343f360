"""Reference numbers for tests/test_synth_scpi.py: scpi_pkg's output on its own Germany-reunification example.

Not part of the package or the test suite (scpi_pkg pins cvxpy / ecos and needs pandas < 3). Run it in a virtual
environment of its own, beside ``scpi_germany.csv`` from scpi's repository (Python/scpi_germany.csv):

    python3 -m venv /tmp/scpi && /tmp/scpi/bin/pip install scpi-pkg==4.0.0 "pandas<3"
    /tmp/scpi/bin/python scripts/scpi_reference.py scpi_germany.csv > scpi_reference.json

It prints scest's coefficients and tuning for every weight constraint (with and without a constant), and scpi's
intervals with the settings of scpi's illustration script (sims=200, numpy.random.seed(8894), u_alpha = e_alpha =
0.05, u_order = e_order = 1, HC1). With scpi_pkg 4.0.0 and ecos 2.0.14 the lasso, ridge and ols intervals fail
inside ECOS ("Internal problem occurred in ECOS while setting up the problem"); those configurations are skipped.
"""

from __future__ import annotations

import json
import sys
import warnings

import numpy
import pandas


def main(path: str) -> None:
    warnings.filterwarnings("ignore")
    from scpi_pkg.scdata import scdata
    from scpi_pkg.scest import scest
    from scpi_pkg.scpi import scpi

    data = pandas.read_csv(path)
    donors = sorted(set(data.country) - {"West Germany"})

    def prepare(cointegrated: bool, constant: bool):
        return scdata(df=data, id_var="country", time_var="year", outcome_var="gdp",
                      period_pre=numpy.arange(1960, 1991), period_post=numpy.arange(1991, 2004),
                      unit_tr="West Germany", unit_co=donors, features=None, cov_adj=None,
                      cointegrated_data=cointegrated, constant=constant)

    out: dict = {"scest": {}, "scpi": {}}
    for constant in (False, True):
        for name in ("simplex", "lasso", "ridge", "L1-L2", "ols"):
            try:
                est = scest(prepare(True, constant), w_constr={"name": name})
            except Exception as exc:  # noqa: BLE001 - scpi_pkg raises bare Exception (OSQP: optimal_inaccurate)
                out["scest"][f"{name}|constant={constant}"] = f"failed: {exc}"
                continue
            constr = est.w_constr.get("West Germany", est.w_constr)
            out["scest"][f"{name}|constant={constant}"] = {
                "b": est.b.iloc[:, 0].tolist(), "Q": constr.get("Q"), "Q2": constr.get("Q2"),
                "lambda": constr.get("lambda")}
    for name, cointegrated, constant in (("simplex", True, False), ("L1-L2", True, False), ("simplex", False, True),
                                         ("lasso", True, False), ("ridge", True, False), ("ols", True, False)):
        numpy.random.seed(8894)
        key = f"{name}|cointegrated={cointegrated}|constant={constant}"
        try:
            pi = scpi(prepare(cointegrated, constant), sims=200, w_constr={"name": name}, u_order=1, u_lags=0,
                      e_order=1, e_lags=0, e_method="all", u_missp=True, u_sigma="HC1", cores=1, e_alpha=0.05,
                      u_alpha=0.05, verbose=False)
        except Exception as exc:  # noqa: BLE001 - scpi_pkg raises bare Exception (its ECOS set-up fails)
            out["scpi"][key] = f"failed: {exc}"
            continue
        rho = pi.rho
        out["scpi"][key] = {
            "rho": float(next(iter(rho.values())) if isinstance(rho, dict) else rho),
            **{attr: [getattr(pi, attr)["Lower"].tolist(), getattr(pi, attr)["Upper"].tolist()]
               for attr in ("CI_in_sample", "CI_all_gaussian", "CI_all_ls", "CI_all_qreg")},
        }
    json.dump(out, sys.stdout, indent=1, default=float)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "scpi_germany.csv")
