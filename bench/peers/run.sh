#!/usr/bin/env bash
# Peer comparison (docs/speed.md): creates bench/peers/.venv (gitignored), installs Rockpool
# (DynapSim, JAX CPU) and Brian2 from PyPI, builds mixsig's runner and runs the reference workload in
# each, in one run. Writes bench/peers/results.md and results.csv. Needs python3.11 (or python3 >=
# 3.10), a C++ compiler (Brian2's Cython and cpp_standalone targets) and cargo. Takes several minutes.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
py="${PYTHON:-$(command -v python3.11 || command -v python3)}"
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
    "$py" -m venv "$venv"
fi
# Pinned: the versions the published table was measured with. numpy < 2.4: Brian2 2.9 uses
# ndarray.ptp, removed in numpy 2.4.
"$venv/bin/pip" install -q --disable-pip-version-check \
    "rockpool==3.1.0" "jax[cpu]==0.10.2" "brian2==2.9.0" "numpy<2.4" cython setuptools
cd "$here/../.."
exec "$venv/bin/python" "$here/peers.py" "$@"
