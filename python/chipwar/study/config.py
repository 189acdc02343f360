"""A study described by one versioned TOML file: reading it, checking it and filling it from the default study."""

from __future__ import annotations

import copy
from importlib import resources
from pathlib import Path
from typing import Any

import tomllib

from .._errors import ChipwarError

VERSION = 1
"""The format version this chipwar reads (the ``version`` key of a study file)."""

ESTIMATORS = {
    "synthetic_control": {"synth", "sdid", "did"},
    "fabs": {"synth", "sdid", "did"},
    "event_study": {"att_gt", "att_gt_notyet", "sun_abraham", "did_imputation", "twfe", "triple_twfe"},
    "trade": {"fepois", "feols_log"},
    "firms": {"att_gt", "att_gt_notyet", "did_imputation", "sun_abraham", "etwfe_poisson"},
}


def default_text() -> str:
    """The text of the default study file shipped inside the package."""
    return resources.files("chipwar.study").joinpath("default.toml").read_text(encoding="utf-8")


def _merge(base: dict, update: dict, where: str, source: str) -> dict:
    """``base`` with the keys of ``update``; a key the default study does not have is an error (a likely typo)."""
    out = copy.deepcopy(base)
    for key, value in update.items():
        name = f"{where}.{key}" if where else key
        if key not in base:
            raise ChipwarError(
                f"{source}: unknown key {name!r}; the keys are those of the default study "
                "(see chipwar/study/default.toml)"
            )
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ChipwarError(f"{source}: {name!r} must be a table ([{name}])")
            out[key] = _merge(base[key], value, name, source)
        else:
            out[key] = value
    return out


def _check(config: dict, source: str) -> None:
    if config["version"] != VERSION:
        raise ChipwarError(f"{source}: version = {config['version']!r}, but this chipwar reads version {VERSION}")
    if config["data"]["source"] not in ("default", "files", "bundled"):
        raise ChipwarError(
            f"{source}: data.source must be 'default', 'files' or 'bundled', got {config['data']['source']!r}"
        )
    if not isinstance(config["seed"], int):
        raise ChipwarError(f"{source}: seed must be an integer, got {config['seed']!r}")
    for section, allowed in ESTIMATORS.items():
        estimators = config[section]["estimators"]
        unknown = sorted(set(estimators) - allowed) if isinstance(estimators, list) else estimators
        if unknown:
            raise ChipwarError(
                f"{source}: {section}.estimators has unknown entries {unknown}; choose from {sorted(allowed)}"
            )
    for section in ("synthetic_control", "fabs"):
        reps = config[section]["reps"]
        if not isinstance(reps, int) or isinstance(reps, bool) or reps < 2:
            raise ChipwarError(f"{source}: {section}.reps must be an integer of at least 2, got {reps!r}")
    k = config["firms"]["comparison_k"]
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ChipwarError(f"{source}: firms.comparison_k must be a positive integer, got {k!r}")
    for section in ("synthetic_control", "event_study", "fabs", "firms"):
        years = config[section]["years"]
        if not (
            isinstance(years, list)
            and len(years) == 2
            and all(isinstance(y, int) for y in years)
            and years[0] < years[1]
        ):
            raise ChipwarError(f"{source}: {section}.years must be [first, last] years, got {years!r}")


def load_config(config: str | Path | dict | None = None, data: str | Path | None = None, real: bool = False) -> dict:
    """The study configuration: the default study updated by ``config``.

    Parameters
    ----------
    config : path, dict or None
        A TOML study file (keys as in ``chipwar/study/default.toml``), a dict of the same shape, or None for the
        default study. Only the keys to change need to be given.
    data : path, optional
        A folder of real files (raw, or holding a store built by ``chipwar data build``): sets
        ``data.source = "files"`` and ``data.root``.
    real : bool
        The real series bundled with chipwar: sets ``data.source = "bundled"`` (not with ``data``).

    Returns
    -------
    dict
        The full configuration, with ``data.root`` an absolute path (or "") and ``_source`` naming where it came from.

    Raises
    ------
    ChipwarError
        When the file is missing or not TOML, a key is unknown, or a value is invalid.
    """
    defaults = tomllib.loads(default_text())
    base_dir = Path.cwd()
    if config is None:
        update, source = {}, "default study"
    elif isinstance(config, dict):
        update, source = config, "config dict"
    else:
        path = Path(config)
        if not path.is_file():
            raise ChipwarError(
                f"study file {str(path)!r} does not exist; pass the path of a TOML file such as "
                "chipwar/study/default.toml"
            )
        try:
            update = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            raise ChipwarError(f"{path}: not a valid TOML study file ({err}); fix the syntax") from err
        source, base_dir = str(path), path.resolve().parent
    merged = _merge(defaults, update, "", source)
    if real and data is not None:
        raise ChipwarError("pass either --real (the bundled real series) or --data DIR (your files), not both")
    if real:
        merged["data"]["source"] = "bundled"
    if data is not None:
        merged["data"]["source"], merged["data"]["root"] = "files", str(data)
        base_dir = Path.cwd()
    root = merged["data"]["root"]
    if merged["data"]["source"] == "files":
        if not root:
            raise ChipwarError(
                f"{source}: data.source = 'files' needs data.root (or --data DIR), the folder of the files"
            )
        resolved = (base_dir / root).resolve()
        if not resolved.is_dir():
            raise ChipwarError(f"data folder {str(resolved)!r} does not exist; pass --data with an existing folder")
        merged["data"]["root"] = str(resolved)
    _check(merged, source)
    merged["_source"] = source
    return merged


def public(config: dict[str, Any]) -> dict[str, Any]:
    """The configuration without private keys (for the provenance file)."""
    return {k: v for k, v in config.items() if not k.startswith("_")}
