"""The ``chipwar`` command line."""

from __future__ import annotations

import argparse
import sys

import numpy as np
import pandas as pd


def _demo(args: argparse.Namespace) -> int:
    """Fit and print a two-way fixed-effects regression on a small simulated panel (seeded, known truth)."""
    import chipwar as cw

    rng = np.random.default_rng(args.seed)
    n_units, n_years = 300, 12
    unit = np.repeat(np.arange(n_units), n_years)
    year = np.tile(np.arange(2010, 2010 + n_years), n_units)
    x = rng.normal(size=unit.size) + rng.normal(size=n_units)[unit]
    y = 0.5 * x + rng.normal(size=n_units)[unit] + 0.1 * (year - 2010) + rng.normal(size=unit.size)
    data = pd.DataFrame({"unit": unit, "year": year, "x": x, "y": y})
    fit = cw.feols("y ~ x | unit + year", data, vcov={"CRV1": "unit"})
    print("Simulated panel (300 units x 12 years), true effect of x: 0.5")
    print(fit.summary())
    return 0


def _study(args: argparse.Namespace) -> int:
    """Run the export-control study and print where the report is."""
    import chipwar as cw

    try:
        result = cw.study.run(data=args.data, out=args.out, config=args.config, progress=not args.quiet)
    except cw.ChipwarError as err:
        print(f"chipwar study: error: {err}", file=sys.stderr)
        return 2
    summary = result["summary"]
    print(f"Report written to {result['out'] / 'report.md'} and {result['out'] / 'report.html'}")
    with pd.option_context("display.width", 140, "display.max_columns", 20):
        print(summary.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    return 0


def main(argv: list[str] | None = None) -> int:
    from chipwar import __version__

    parser = argparse.ArgumentParser(prog="chipwar", description="Econometrics of chip export controls.")
    parser.add_argument("--version", action="version", version=f"chipwar {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="fit and print a regression on a small simulated panel")
    demo.add_argument("--seed", type=int, default=2018)
    demo.set_defaults(func=_demo)
    study = sub.add_parser("study", help="run the export-control study and write its report")
    study.add_argument("--data", default=None, help="folder of real files (default: the simulated default world)")
    study.add_argument("--out", default="chipwar-report", help="report folder (default: chipwar-report)")
    study.add_argument("--config", default=None, help="study TOML file (default: the study shipped with chipwar)")
    study.add_argument("--quiet", action="store_true", help="no progress bar")
    study.set_defaults(func=_study)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
