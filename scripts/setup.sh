#!/usr/bin/env bash
# Idempotent set-up on a fresh Debian machine (root, PyPI reachable): system libraries, then chipwar itself.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

need=()
for pkg in libeigen3-dev libboost-dev libceres-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "chipwar setup: installing ${need[*]}"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Build tools first, so the package builds without isolation into the persistent (incremental) build dir.
# cmake and ninja come from PyPI too, so a fresh virtual environment needs nothing from the machine's Python.
"$PY" -m pip install -q --disable-pip-version-check "scikit-build-core>=0.10" "pybind11>=2.12" "cmake>=3.18" ninja
"$PY" -m pip install -q --disable-pip-version-check --no-build-isolation ".[test,plot,progress,dask,data,lint]"
