"""Replicate loops: a progress bar and an optional ``concurrent.futures.Executor`` (e.g. Dask's)."""

from __future__ import annotations

import os
import sys
import threading
import uuid
import warnings
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


def _dask_client(executor: Executor) -> Any:
    """The dask.distributed client behind ``client.get_executor()``, or None for any other executor.

    dask is an optional extra: it is looked up only when the program has imported it already (an executor of
    dask's cannot exist otherwise).
    """
    if "distributed" not in sys.modules:
        return None
    from distributed.cfexecutor import ClientExecutor

    # ClientExecutor keeps its client in ``_client``; dask offers no public accessor
    return executor._client if isinstance(executor, ClientExecutor) else None


class _TaskWarnings(threading.local):
    """Per thread: where warnings of the running task go (None outside a task)."""

    sink: list[tuple[type[Warning], str]] | None = None


_task_warnings = _TaskWarnings()
_showwarning_outside_tasks: Callable[..., Any] = warnings.showwarning
_install_lock = threading.Lock()
_BOOT_ID = uuid.uuid4().hex  # inherited by forked children, hence paired with the pid below


def _process_token() -> str:
    """Identifies this process: a pid can recur on another machine (containers), an import-time id in a fork."""
    return f"{_BOOT_ID}:{os.getpid()}"


def _record_task_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    # warnings.showwarning's signature; installed once in a worker process, it sends a task's warnings back with
    # its result (per thread, so the threads of a dask worker keep theirs apart) and leaves all others alone
    sink = _task_warnings.sink
    if sink is None:
        _showwarning_outside_tasks(message, category, filename, lineno, file, line)
    else:
        sink.append((category, str(message)))


def _install_task_warning_sink() -> None:
    """Route this process's warnings through the per-thread sink (once; threads of a worker may race here)."""
    global _showwarning_outside_tasks
    with _install_lock:
        if warnings.showwarning is not _record_task_warning:
            _showwarning_outside_tasks = warnings.showwarning
            warnings.showwarning = _record_task_warning


def _call_with_shared(
    fn: Callable[..., T],
    task: Any,
    shared: dict[str, Any],
    caller: str,
) -> tuple[T, list[tuple[type[Warning], str]]]:
    """``fn(task, **shared)`` and, when run in another process (a dask worker, a process pool), the warnings it
    issued, for the caller to issue again: a worker's warnings would otherwise end in the worker's log. ``caller``
    is the calling process's token."""
    if caller == _process_token():  # threads of the caller's process: warnings reach its handlers directly
        return fn(task, **shared), []
    _install_task_warning_sink()
    _task_warnings.sink = caught = []
    try:
        return fn(task, **shared), caught
    finally:
        _task_warnings.sink = None


def run_tasks(
    fn: Callable[..., T],
    tasks: Sequence[Any],
    executor: Executor | None = None,
    progress: bool | None = None,
    desc: str = "replicates",
    shared: dict[str, Any] | None = None,
) -> list[T]:
    """Apply ``fn`` to every task, in order, locally or on ``executor``; results keep the order of ``tasks``.

    Each task must carry what makes it reproducible (e.g. its own seed), so the result is the same
    wherever it runs.

    Parameters
    ----------
    fn : callable
        Called as ``fn(task, **shared)``.
    tasks : sequence
        One item per call.
    executor : concurrent.futures.Executor, optional
        None runs the tasks here, one after another.
    progress : bool, optional
        A progress bar over the tasks (None: on in notebooks).
    desc : str
        The progress bar's label.
    shared : dict, optional
        Arguments every task needs, typically large arrays (an influence-function matrix, a panel). On a
        dask.distributed executor each value is sent to every worker once (``client.scatter(broadcast=True)``)
        and the tasks refer to it, instead of every task carrying a pickled copy; on other executors the values
        are passed as they are (threads share them, a process pool pickles them with each task).

    Warnings that tasks issue in other processes (dask workers, a process pool) are issued again here, each
    distinct (category, message) once, after the results are in; each worker's own warning filters apply first
    (by default a warning shows once per location and text in a process, as it would locally).
    """
    shared = shared or {}
    if executor is None:
        return [fn(t, **shared) for t in progress_iter(tasks, len(tasks), desc, progress)]
    client = _dask_client(executor) if shared else None
    if client is not None:
        # hash=False: no hashing of the large values; the futures are resolved into the arrays on the workers
        shared = {name: client.scatter([value], broadcast=True, hash=False)[0] for name, value in shared.items()}
    futures = [executor.submit(_call_with_shared, fn, t, shared, _process_token()) for t in tasks]
    results, relayed = [], {}
    for future in progress_iter(futures, len(futures), desc, progress):
        result, caught = future.result()
        results.append(result)
        relayed.update(dict.fromkeys(caught))  # each distinct warning once, in the order first seen
    for category, message in relayed:
        warnings.warn(message, category, stacklevel=3)
    return results
