"""Thread control for the C++ kernels."""

from __future__ import annotations

from . import kernels


def set_num_threads(n: int) -> None:
    """Set how many threads long C++ kernels use (default: all cores, or ``CHIPWAR_NUM_THREADS``).

    Results do not depend on the number of threads.
    """
    kernels.set_num_threads(int(n))


def get_num_threads() -> int:
    """Return how many threads long C++ kernels use."""
    return int(kernels.num_threads())
