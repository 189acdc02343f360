"""Replicate loops: a progress bar and an optional ``concurrent.futures.Executor`` (e.g. Dask's)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from typing import Any, TypeVar

T = TypeVar("T")


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython")
    try:
        return shell is not None and shell.get_ipython().__class__.__name__ == "ZMQInteractiveShell"  # type: ignore[attr-defined]
    except Exception:
        return False


def default_progress() -> bool:
    """Progress bars are on by default in notebooks and off elsewhere (scripts, tests, CI logs)."""
    return _in_notebook()


def progress_iter(items: Iterable[T], total: int | None, desc: str, progress: bool | None) -> Iterable[T]:
    """Wrap ``items`` in a tqdm bar when ``progress`` (None: notebook default) and tqdm is installed."""
    if progress is None:
        progress = default_progress()
    if not progress:
        return items
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return items
    return tqdm(items, total=total, desc=desc, leave=False)


def run_tasks(
    fn: Callable[..., T],
    tasks: Sequence[Any],
    executor: Executor | None = None,
    progress: bool | None = None,
    desc: str = "replicates",
) -> list[T]:
    """Apply ``fn`` to every task, in order, locally or on ``executor``; results keep the order of ``tasks``.

    Each task must carry what makes it reproducible (e.g. its own seed), so the result is the same
    wherever it runs.
    """
    if executor is None:
        return [fn(t) for t in progress_iter(tasks, len(tasks), desc, progress)]
    futures = [executor.submit(fn, t) for t in tasks]
    return [f.result() for f in progress_iter(futures, len(futures), desc, progress)]
