"""mixsig: behavioral emulator of mixed-signal neuromorphic chips (DPI synapses, AdExp neurons,
chip profiles with device mismatch, bias generators, on-chip learning), from Python.

The same Rust engine as the `mixsig` command line; results are NumPy arrays.

Quick start::

    import mixsig
    r = mixsig.simulate("examples/networks/ei_balanced.toml", duration="500 ms", profile="dynapse2")
    t, n = r.spikes("exc")                 # spike times (s) and neuron indices
    die = mixsig.chip("dynapse2", instance=3)
    die.params()["i_tau_mem"].shape        # (cores, neurons_per_core)
    res = mixsig.train("order", presentations=100)
    res.curve["test_accuracy"]

Functions: :func:`profiles`, :func:`profile`, :func:`chip`, :func:`network`, :func:`simulate`,
:func:`fi`, :func:`train`, the sweeps over dies :func:`robustness` and :func:`compare`
(``executor="ray"`` runs them on a Ray cluster) and bias tuning :func:`tune`. Errors raise
:class:`MixsigError` with the message the CLI prints.
"""

from ._core import *  # noqa: F401,F403
from ._core import __all__ as _core_all
from ._native import __version__  # noqa: F401
from .sweeps import RayExecutor, SweepResult, TuneResult, compare, robustness, tune  # noqa: F401

__all__ = list(_core_all) + [
    "robustness", "compare", "tune", "SweepResult", "TuneResult", "RayExecutor", "__version__"
]
