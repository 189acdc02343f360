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
        result = cw.study.run(data=args.data, out=args.out, config=args.config, progress=not args.quiet, real=args.real)
    except cw.ChipwarError as err:
        print(f"chipwar study: error: {err}", file=sys.stderr)
        return 2
    summary = result["summary"]
    print(f"Report written to {result['out'] / 'report.md'} and {result['out'] / 'report.html'}")
    with pd.option_context("display.width", 140, "display.max_columns", 20):
        print(summary.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    return 0


def _data_fetch(args: argparse.Namespace) -> int:
    """Download public sources (or one URL) into the data folder and print what the manifest now records."""
    import chipwar as cw

    try:
        entries = cw.data.fetch(
            args.sources or None,
            url=args.url,
            dir=args.dir,
            name=args.name,
            sha256=args.sha256,
            sources_file=args.sources_file,
            force=args.force,
            progress=not args.quiet,
        )
    except cw.ChipwarError as err:
        print(f"chipwar data fetch: error: {err}", file=sys.stderr)
        return 2
    for entry in entries:
        print(f"{entry.path}  {entry.bytes} bytes  sha256 {entry.sha256}  ({entry.check})")
    print(f"Manifest: {args.dir}/manifest.json")
    return 0


def _data_build(args: argparse.Namespace) -> int:
    """Build the Parquet store and panels of a data folder and print its datasets."""
    import chipwar as cw

    try:
        store = cw.data.build(
            args.dir,
            out=args.out,
            memory_limit=args.memory_limit,
            threads=args.threads,
            levels=tuple(args.levels),
            years=tuple(args.years),
        )
    except cw.ChipwarError as err:
        print(f"chipwar data build: error: {err}", file=sys.stderr)
        return 2
    print(f"Store written to {store.path} (layout: chipwar.io.store)")
    for name, info in {**store.record["datasets"], **store.record["panels"]}.items():
        print(f"  {name}: {info['rows']} rows")
    return 0


def _add_data_commands(sub) -> None:
    from chipwar.data._sources import SOURCES

    data = sub.add_parser("data", help="fetch the public sources and build the columnar store")
    commands = data.add_subparsers(dest="data_command", required=True)
    fetch = commands.add_parser("fetch", help="download public bulk files (resumable, checked, recorded in a manifest)")
    fetch.add_argument("sources", nargs="*", help=f"sources of the sources file: {', '.join(SOURCES)}, or all")
    fetch.add_argument("--dir", default="chipwar-data", help="data folder (default: chipwar-data)")
    fetch.add_argument("--url", default=None, help="fetch this one URL instead of named sources")
    fetch.add_argument("--name", default=None, help="file name for --url")
    fetch.add_argument("--sha256", default=None, help="expected SHA-256 of the --url file")
    fetch.add_argument(
        "--sources-file", default=None, help="a sources file of your own (format of chipwar/data/sources.toml)"
    )
    fetch.add_argument("--force", action="store_true", help="download again files the manifest already has")
    fetch.add_argument("--quiet", action="store_true", help="no progress bar")
    fetch.set_defaults(func=_data_fetch)
    build = commands.add_parser("build", help="turn the raw files into a Parquet store and build the panels (DuckDB)")
    build.add_argument("--dir", default="chipwar-data", help="data folder (default: chipwar-data)")
    build.add_argument("--out", default=None, help="store folder (default: DIR/store)")
    build.add_argument("--memory-limit", default="4GB", help="DuckDB memory cap; beyond it work spills to disk")
    build.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: all cores)")
    build.add_argument("--levels", nargs="+", default=["subclass"], help="CPC levels of the patent panels")
    build.add_argument("--years", nargs="+", default=["filing", "grant"], help="year kinds of the patent panels")
    build.set_defaults(func=_data_build)


def main(argv: list[str] | None = None) -> int:
    from chipwar import __version__

    parser = argparse.ArgumentParser(prog="chipwar", description="Econometrics of chip export controls.")
    parser.add_argument("--version", action="version", version=f"chipwar {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="fit and print a regression on a small simulated panel")
    demo.add_argument("--seed", type=int, default=2018)
    demo.set_defaults(func=_demo)
    study = sub.add_parser("study", help="run the export-control study and write its report")
    study.add_argument(
        "--data",
        default=None,
        help="folder of real files, raw or with a store built by "
        "`chipwar data build` (default: the simulated default world)",
    )
    study.add_argument("--real", action="store_true", help="the real series bundled with chipwar (NCSES; section a)")
    study.add_argument("--out", default="chipwar-report", help="report folder (default: chipwar-report)")
    study.add_argument("--config", default=None, help="study TOML file (default: the study shipped with chipwar)")
    study.add_argument("--quiet", action="store_true", help="no progress bar")
    study.set_defaults(func=_study)
    _add_data_commands(sub)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
