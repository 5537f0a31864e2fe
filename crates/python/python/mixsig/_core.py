"""Profiles, dies, networks, simulation, F-I curves and training: the Python face of the
`mixsig` command line. Everything runs in the same Rust engine as the CLI; results come back as
NumPy arrays and small result objects."""

from __future__ import annotations

import json
import math
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _native
from ._native import Chip, MixsigError, Network

Quantity = Union[float, str]
PathLike = Union[str, "os.PathLike[str]"]

__all__ = [
    "MixsigError",
    "MixsigWarning",
    "Chip",
    "Network",
    "Profile",
    "profiles",
    "profile",
    "chip",
    "network",
    "simulate",
    "SimResult",
    "fi",
    "FiResult",
    "train",
    "TrainResult",
]


class MixsigWarning(UserWarning):
    """Something a run reports that the numbers alone do not show (``summary["warnings"]``):
    a hidden layer that never learned, files of an earlier run left in ``out``, ..."""


# --------------------------------------------------------------------------------------------
# Profiles and dies
# --------------------------------------------------------------------------------------------


@dataclass
class Profile:
    """A validated chip profile (SI units), as `mixsig chip show` prints it.

    Attributes:
        name: profile name.
        data: the whole profile as a dict (process, architecture, layout, mismatch, bias
            generator, weights, noise, default biases).
        summary: the human-readable summary of `mixsig chip show`.
    """

    name: str
    data: Dict[str, Any]
    summary: str

    @property
    def cores(self) -> int:
        """Number of cores."""
        return int(self.data["architecture"]["cores"])

    @property
    def neurons_per_core(self) -> int:
        """Neurons per core."""
        return int(self.data["architecture"]["neurons_per_core"])

    def __str__(self) -> str:
        return self.summary


def profiles() -> List[str]:
    """Names of the built-in chip profiles (`ideal`, `dynapse2`, `dynapse1`, `fdsoi22`)."""
    return list(_native.builtin_profiles())


def profile(name_or_path: str = "dynapse2") -> Profile:
    """Load a chip profile: a built-in name or a profile TOML file.

    Raises:
        MixsigError: unknown name, unreadable or invalid file (the message names file, line and
            key, as the CLI's).
    """
    data, summary = _native.profile_info(str(name_or_path))
    d = json.loads(data)
    return Profile(name=d["name"], data=d, summary=summary)


def chip(profile: str = "dynapse2", instance: int = 0) -> Chip:
    """Sample die number `instance` of a chip profile (same die as `mixsig chip sample --instance N`).

    The returned :class:`Chip` gives per-device parameters as NumPy arrays:
    ``chip.params()["i_tau_mem"]`` has shape ``(cores, neurons_per_core)``;
    ``chip.weight_factors()`` has shape ``(cores, neurons_per_core, synapses_per_neuron)``.
    """
    return Chip.sample(str(profile), int(instance))


# --------------------------------------------------------------------------------------------
# Networks and simulation
# --------------------------------------------------------------------------------------------


def network(source: Union[None, PathLike, Mapping[str, Any], Network] = None) -> Network:
    """A network from a TOML file path, a dict with the file's structure, or ``None`` (the embedded
    example `mixsig sim` runs without a file). A :class:`Network` is returned unchanged.

    A dict mirrors the TOML tables, e.g.::

        {"simulation": {"duration": "200 ms", "seed": 3},
         "source": [{"name": "in", "size": 20, "kind": "poisson", "rate": "50 Hz"}],
         "population": [{"name": "exc", "size": 10}],
         "projection": [{"from": "in", "to": "exc", "synapse": "ampa", "weight": "100 pA"}]}
    """
    if source is None:
        return Network.example()
    if isinstance(source, Network):
        return source
    if isinstance(source, Mapping):
        return Network.from_dict(dict(source))
    return Network.load(Path(source))


@dataclass
class SimResult:
    """What :func:`simulate` returns.

    Attributes:
        spike_times: time of every recorded spike, s (time order).
        spike_steps: the same as integer steps.
        spike_groups: index into `group_names` of each spike.
        spike_neurons: neuron index within its group.
        group_names: sources first, then populations (the `population` column of spikes.csv).
        group_sizes: size of each group.
        trace_times: times of the state samples, s.
        traces: array (len(trace_times), len(trace_columns)).
        trace_columns: ``population.var[neuron]`` (the columns of traces.csv).
        dt: time step, s.
        summary: summary.json of the CLI (neurons, rates, wall time, chip placement, warnings).
    """

    spike_times: np.ndarray
    spike_steps: np.ndarray
    spike_groups: np.ndarray
    spike_neurons: np.ndarray
    group_names: List[str]
    group_sizes: List[int]
    trace_times: np.ndarray
    traces: np.ndarray
    trace_columns: List[str]
    dt: float
    summary: Dict[str, Any]

    def spikes(self, group: str) -> Tuple[np.ndarray, np.ndarray]:
        """``(times, neurons)`` of the spikes of one source or population."""
        try:
            g = self.group_names.index(group)
        except ValueError:
            raise MixsigError(
                f"no group `{group}`; groups: {', '.join(self.group_names)}"
            ) from None
        m = self.spike_groups == g
        return self.spike_times[m], self.spike_neurons[m]

    def trace(self, column: str) -> np.ndarray:
        """One recorded state variable, e.g. ``trace("exc.vmem[0]")``."""
        try:
            return self.traces[:, self.trace_columns.index(column)]
        except ValueError:
            raise MixsigError(
                f"no trace `{column}`; recorded: {', '.join(self.trace_columns) or 'none'}"
            ) from None

    def rates(self) -> Dict[str, float]:
        """Mean firing rate per neuron of every group, Hz (as in summary.json)."""
        return {p["name"]: p["mean_rate_hz"] for p in self.summary["populations"]}


def simulate(
    network: Union[None, PathLike, Mapping[str, Any], Network] = None,
    *,
    duration: Optional[Quantity] = None,
    dt: Optional[Quantity] = None,
    seed: Optional[int] = None,
    profile: Optional[str] = None,
    instance: Optional[int] = None,
    instance_file: Optional[PathLike] = None,
    out: Optional[PathLike] = None,
) -> SimResult:
    """Run a network, as `mixsig sim` does, and return spikes and traces as NumPy arrays.

    Args:
        network: a :class:`Network`, a TOML file path, a dict, or None for the embedded example.
        duration: simulated time (seconds or a string such as ``"500 ms"``); overrides the file.
        dt: time step; overrides the file.
        seed: seed of Poisson sources and random connectivity; overrides the file.
        profile: run on a die of this chip profile (name or TOML path); overrides ``[chip]``.
        instance: die seed (default: the file's, else 0).
        instance_file: run on a die saved by `mixsig chip sample` / :meth:`Chip.save`.
        out: also write the CLI's files there (spikes.csv, traces.csv, summary.json, plots).

    The same network, seed and options give exactly the numbers the CLI writes.

    Raises:
        MixsigError: invalid network or options, with the CLI's message.
    """
    net = globals()["network"](network)
    d = _native.simulate(
        net,
        duration=duration,
        dt=dt,
        seed=seed,
        profile=profile,
        instance=instance,
        instance_file=None if instance_file is None else Path(instance_file),
        out=None if out is None else Path(out),
    )
    return SimResult(
        spike_times=d["spike_times"],
        spike_steps=d["spike_steps"],
        spike_groups=d["spike_groups"],
        spike_neurons=d["spike_neurons"],
        group_names=list(d["group_names"]),
        group_sizes=list(d["group_sizes"]),
        trace_times=d["trace_times"],
        traces=d["traces"],
        trace_columns=list(d["trace_columns"]),
        dt=float(d["dt"]),
        summary=json.loads(d["summary_json"]),
    )


# --------------------------------------------------------------------------------------------
# F-I curves
# --------------------------------------------------------------------------------------------


@dataclass
class FiResult:
    """What :func:`fi` returns.

    Attributes:
        idc: DC levels, A.
        rate_hz: firing rate per level (median over dies with a profile), Hz.
        spike_count: spikes per level (median over dies with a profile).
        first_spike_s: first-spike time per level, s (NaN when silent).
        rate_p05_hz, rate_p95_hz: 5-95 % band over dies (equal to `rate_hz` without a profile).
        per_die_rate_hz: array (dies, levels) with a profile, None without.
        seeds: die seeds with a profile.
        raw: the full result (bias reports of each die, ...).
    """

    idc: np.ndarray
    rate_hz: np.ndarray
    spike_count: np.ndarray
    first_spike_s: np.ndarray
    rate_p05_hz: np.ndarray
    rate_p95_hz: np.ndarray
    per_die_rate_hz: Optional[np.ndarray]
    seeds: List[int]
    raw: Dict[str, Any]


def _nan(x: Optional[float]) -> float:
    return float("nan") if x is None else float(x)


def fi(
    *,
    model: str = "physical",
    set: Optional[Mapping[str, Quantity]] = None,
    idc: Optional[Sequence[Quantity]] = None,
    dt: Optional[Quantity] = None,
    duration: Quantity = 1.0,
    profile: Optional[str] = None,
    instance: Optional[int] = None,
    instances: Optional[int] = None,
    out: Optional[PathLike] = None,
) -> FiResult:
    """Firing rate versus constant input current for one neuron, as `mixsig fi`.

    Args:
        model: ``physical``, ``physical-sigmoid`` or ``dynapsim``.
        set: neuron parameters by name (``{"i_tau_mem": "5 pA"}``); with a profile only bias
            currents, quantized by each die's bias generator.
        idc: DC levels (A or strings with units); default 15 log-spaced levels 10 pA..100 nA.
        dt, duration: time step and simulated time per level.
        profile: run on neuron 0 of core 0 of sampled dies of this profile.
        instance, instances: first die seed and number of dies (with a profile).
        out: also write the CLI's files there.
    """
    r = json.loads(
        _native.fi_json(
            model=model,
            set=None if set is None else dict(set),
            idc=None if idc is None else list(idc),
            dt=dt,
            duration=duration,
            profile=profile,
            instance=instance,
            instances=instances,
            out=None if out is None else Path(out),
        )
    )
    levels = np.asarray(r["levels"], dtype=float)
    if "points" in r:
        pts = r["points"]
        rate = np.array([p["rate_hz"] for p in pts], dtype=float)
        return FiResult(
            idc=levels,
            rate_hz=rate,
            spike_count=np.array([p["spike_count"] for p in pts], dtype=float),
            first_spike_s=np.array([_nan(p["first_spike_s"]) for p in pts]),
            rate_p05_hz=rate.copy(),
            rate_p95_hz=rate.copy(),
            per_die_rate_hz=None,
            seeds=[],
            raw=r,
        )
    s = r["summary"]
    return FiResult(
        idc=levels,
        rate_hz=np.array([p["rate_hz"] for p in s], dtype=float),
        spike_count=np.array([p["spike_count"] for p in s], dtype=float),
        first_spike_s=np.array([_nan(p["first_spike_s"]) for p in s]),
        rate_p05_hz=np.array([p["rate_p05_hz"] for p in s], dtype=float),
        rate_p95_hz=np.array([p["rate_p95_hz"] for p in s], dtype=float),
        per_die_rate_hz=np.array(
            [[p["rate_hz"] for p in die] for die in r["per_die"]], dtype=float
        ).reshape(len(r["per_die"]), len(levels)),
        seeds=list(r["seeds"]),
        raw=r,
    )


# --------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------


@dataclass
class TrainResult:
    """What :func:`train` returns.

    Attributes:
        curve: learning curve, dict of arrays, one entry per checkpoint (learning_curve.csv):
            ``presentations``, ``test_accuracy``, ``error_rate_out_hz`` (mean rate of the output
            error neurons over the training presentations since the last checkpoint: NaN at the
            first checkpoint, before training), ``w1_mean`` (NaN without a hidden layer),
            ``w2_mean``, ``b_mean`` (the outputs' bias weights), ``mirror_divergence`` and
            ``mirror_divergence_effective`` (stored and effective; NaN without mirrored
            feedback).
        test_accuracy: final test accuracy.
        best_accuracy: best checkpoint accuracy.
        wall_s, simulated_s: wall and simulated time, s.
        rasters: one test presentation per class before and after training: dicts with
            ``label``, ``when`` (``before``/``after``), ``times`` (s), ``groups`` (names), ``neurons``.
        group_sizes: ``{group: size}`` for rasters.
        summary: summary.json of the CLI (options, task, chip placement, network, protocol, ...).
    """

    curve: Dict[str, np.ndarray]
    test_accuracy: float
    best_accuracy: float
    wall_s: float
    simulated_s: float
    rasters: List[Dict[str, Any]] = field(repr=False)
    group_sizes: Dict[str, int]
    summary: Dict[str, Any] = field(repr=False)

    def __repr__(self) -> str:
        n = len(self.curve["presentations"])
        return (
            f"TrainResult(test_accuracy={self.test_accuracy:.3f}, "
            f"best_accuracy={self.best_accuracy:.3f}, checkpoints={n}, "
            f"rasters={len(self.rasters)}, wall_s={self.wall_s:.1f}, "
            f"simulated_s={self.simulated_s:.1f})"
        )


_CURVE_KEYS = (
    "presentations",
    "test_accuracy",
    "error_rate_out_hz",
    "w1_mean",
    "w2_mean",
    "b_mean",
    "mirror_divergence",
    "mirror_divergence_effective",
)


def _whole(name: str, v: Any, least: int) -> int:
    """`v` as a whole number >= `least`, or a MixsigError naming `name` (booleans and negative
    numbers would otherwise reach the native layer as 1/0 or as a bare OverflowError)."""
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise MixsigError(f"{name} = {v!r} must be a whole number >= {least}")
    if v < least:
        raise MixsigError(f"{name} = {v} must be a whole number >= {least}")
    if v >= 2**64:
        raise MixsigError(f"{name} = {v} must be below 2**64")
    return int(v)


def train(
    pattern: Optional[str] = None,
    *,
    data: Optional[PathLike] = None,
    profile: Optional[str] = "dynapse2",
    instance: int = 0,
    seed: int = 1,
    presentations: int = 200,
    feedback: str = "mirrored",
    storage: str = "analog",
    n_test: Optional[int] = None,
    test_every: int = 50,
    dt: Optional[Quantity] = None,
    no_hidden: bool = False,
    eta_sigma: Optional[float] = None,
    calibrate: bool = False,
    eta_decay: Optional[float] = None,
    out: Optional[PathLike] = None,
    duration: Optional[Quantity] = None,
) -> TrainResult:
    """Train the error-propagation network on a spike-timing task, as `mixsig train`.

    The network (inputs -> hidden -> outputs, with error neurons that carry the teacher's error
    back to the plastic weights) learns on-line; every `test_every` presentations it is tested on
    held-out presentations, which gives the learning curve.

    Args:
        pattern: built-in task: ``order`` (default), ``sync``, ``frozen-poisson``, ``xor``.
        data: a user task directory instead (labels.csv + one spike CSV per presentation; see
            docs/tasks.md).
        profile: chip profile to run on (built-in name or TOML path); ``None`` or ``"none"``
            for ideal circuits without a die.
        instance: die seed (with a profile).
        seed: seed of the task, the initial weights and the run.
        presentations: training presentations.
        feedback: how the error reaches the hidden layer: ``mirrored``, ``random`` or ``none``
            (the ablation of the paper).
        storage: plastic weight storage: ``analog``, ``nbit:N``, ``bistable``, ``bistable:DRIFT``.
        n_test: test presentations of a built-in task (default 20); with ``data`` an error (the
            ``test`` rows of labels.csv are the test set).
        test_every: checkpoint interval in presentations.
        dt: time step (seconds or e.g. ``"100 us"``), default 100 us; between 1/10^6 and 1/100
            of a presentation.
        no_hidden: no hidden layer (baseline).
        eta_sigma: lognormal sigma of the per-synapse learning rates (default: the profile's
            weight-transistor mismatch; 0 without a profile).
        calibrate: calibrate the die before training (``--calibrate``: each core's biases
            corrected for its die- and core-level mismatch, then each output error neuron's two
            weights set so that it answers as designed; needs a profile).
        eta_decay: learning-rate decay in training presentations (every rate times
            ``1 / (1 + n / eta_decay)`` in presentation ``n``; 0: none); default: the preset's
            (100; 1000 for ``sync``, and for ``frozen-poisson`` with ``profile=None``, whose signed
            readout does not fit a dynapse2 neuron).
        out: also write the CLI's files there (summary.json, learning_curve.csv, plots).
        duration: presentation length of ``data`` (seconds or e.g. ``"300 ms"``); default: the
            latest spike time in any file / 0.7, so the last 30 % of a presentation is left for
            the network's answer (``--duration``).

    Returns:
        :class:`TrainResult` with the learning curve as NumPy arrays.

    Raises:
        MixsigError: invalid options or task data, with the CLI's message (a value out of
            range names the keyword, e.g. ``presentations = -5 must be a whole number >= 1``,
            where the CLI names its flag).

    Warns:
        MixsigWarning: what the run's ``summary["warnings"]`` says (e.g. a hidden layer that
            never learned), one warning each.

    Example::

        r = mixsig.train("order", presentations=100, profile="dynapse2")
        plt.plot(r.curve["presentations"], r.curve["test_accuracy"])
    """
    instance = _whole("instance", instance, 0)
    seed = _whole("seed", seed, 0)
    presentations = _whole("presentations", presentations, 1)
    test_every = _whole("test_every", test_every, 1)
    if n_test is not None:
        n_test = _whole("n_test", n_test, 2)
    if eta_sigma is not None and not (
        isinstance(eta_sigma, (int, float)) and math.isfinite(eta_sigma) and eta_sigma >= 0
    ):
        raise MixsigError(f"eta_sigma = {eta_sigma!r} must be a finite number >= 0")
    d = json.loads(
        _native.train_json(
            pattern=pattern,
            data=None if data is None else Path(data),
            profile=profile,
            instance=instance,
            seed=seed,
            presentations=presentations,
            feedback=feedback,
            storage=storage,
            n_test=n_test,
            test_every=test_every,
            dt=dt,
            no_hidden=no_hidden,
            eta_sigma=eta_sigma,
            calibrate=calibrate,
            eta_decay=eta_decay,
            out=None if out is None else Path(out),
            duration=duration,
        )
    )
    for w in d.get("warnings", []):
        warnings.warn(w, MixsigWarning, stacklevel=2)
    curve = {
        k: np.array([_nan(c.get(k)) for c in d["curve"]], dtype=float) for k in _CURVE_KEYS
    }
    curve["presentations"] = curve["presentations"].astype(int)
    rasters = []
    for r in d.pop("rasters"):
        sp = r["spikes"]
        rasters.append(
            {
                "label": r["label"],
                "when": r["when"],
                "times": np.array([s[0] for s in sp], dtype=float),
                "groups": [s[1] for s in sp],
                "neurons": np.array([s[2] for s in sp], dtype=int),
            }
        )
    return TrainResult(
        curve=curve,
        test_accuracy=float(d["test_accuracy"]),
        best_accuracy=float(d["best_accuracy"]),
        wall_s=float(d["wall_s"]),
        simulated_s=float(d["simulated_s"]),
        rasters=rasters,
        group_sizes={g: int(n) for g, n in d["group_sizes"]},
        summary=d,
    )
