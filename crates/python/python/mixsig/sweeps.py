"""Sweeps over chip dies: :func:`robustness` (one profile, mismatch scaled 0..2x) and
:func:`compare` (several profiles), as the `mixsig robustness` / `mixsig compare` commands.

A sweep is a plan of trials ``(profile, scale, die)``; each trial is a pure function of its index
(identity-keyed random streams), so the plan can be split into shards anywhere and the shards
combined (`mixsig merge`) into exactly the result of one serial run. ``executor=`` chooses where
the shards run:

* ``None`` (default): in this process, trials in parallel on all cores;
* ``"ray"`` or :class:`RayExecutor`: one Ray task per shard on a Ray cluster (``ray.init()``:
  a local instance, or the cluster named by ``RAY_ADDRESS`` / ``RayExecutor(address=...)``);
* any :class:`concurrent.futures.Executor` (or object with ``submit(fn, *args)`` returning
  futures with ``result()``, such as a ``dask.distributed.Client``).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _native
from ._core import MixsigWarning
from ._core import _whole

Quantity = Union[float, str]
PathLike = Union[str, "os.PathLike[str]"]

__all__ = ["robustness", "compare", "tune", "SweepResult", "TuneResult", "RayExecutor"]


@dataclass
class SweepResult:
    """What :func:`robustness` and :func:`compare` return.

    Attributes:
        plan: the plan (experiment, profiles, scales, instances, threshold).
        metric: metric label with unit (e.g. ``test accuracy``).
        metric_values: array (profiles, scales, dies) of the metric of every trial.
        instances: die seeds (the last axis of `metric_values`).
        rows: per (profile, scale): distribution over dies (median, percentiles, yield ...).
        sensitivity: device features ranked by |Spearman rho| with the metric.
        records: every trial: profile, scale, instance, metric, device features.
        out: the run directory (plan.json, trials.jsonl, summary.json, CSVs, plots, report.html).
        summary: summary.json as a dict.
    """

    plan: Dict[str, Any]
    metric: str
    metric_values: np.ndarray
    instances: List[int]
    rows: List[Dict[str, Any]]
    sensitivity: List[Dict[str, Any]]
    records: List[Dict[str, Any]] = field(repr=False)
    out: Optional[Path] = None
    summary: Dict[str, Any] = field(default_factory=dict, repr=False)

    def percentiles(self) -> Dict[Tuple[str, float], Dict[str, Any]]:
        """``{(profile, scale): distribution}``."""
        return {(r["profile"], r["scale"]): r["dist"] for r in self.rows}


def _result(o: Dict[str, Any], out: Optional[Path]) -> SweepResult:
    s = o["summary"]
    for w in s.get("warnings", []):
        warnings.warn(w, MixsigWarning, stacklevel=3)
    plan = s["plan"]
    P, S, N = len(plan["profiles"]), len(plan["scales"]), plan["instances"]
    m = np.full((P, S, N), np.nan)
    for r in o["records"]:
        t = r["trial"]
        m[t // (S * N), (t // N) % S, t % N] = np.nan if r["metric"] is None else r["metric"]
    return SweepResult(
        plan=plan,
        metric=s["metric"],
        metric_values=m,
        instances=[plan["first_instance"] + k for k in range(N)],
        rows=s["rows"],
        sensitivity=s["sensitivity"],
        records=o["records"],
        out=out,
        summary=s,
    )


# --------------------------------------------------------------------------------------------
# Executors
# --------------------------------------------------------------------------------------------


def _run_shard(plan_json: str, shard: str, workflow: str, threads: Optional[int]) -> Tuple[str, str]:
    """Run one shard in a scratch directory; return its plan.json and trials.jsonl texts. This is
    what a remote worker executes: it needs only `mixsig` installed, no shared file system."""
    if threads:
        # Read by rayon when its pool starts; a fresh worker process has not started it yet.
        os.environ.setdefault("RAYON_NUM_THREADS", str(threads))
    with tempfile.TemporaryDirectory(prefix="mixsig-shard-") as d:
        _native.sweep_run(plan_json, Path(d), workflow=workflow, shard=shard)
        return (Path(d, "plan.json").read_text(), Path(d, "trials.jsonl").read_text())


class RayExecutor:
    """Run shards as Ray tasks.

    Args:
        address: Ray cluster address (``"auto"``, ``"ray://head:10001"``); ``None``: the
            ``RAY_ADDRESS`` environment variable, else a new local instance.
        num_cpus: CPUs each task reserves (and rayon threads it uses), default 1.
        init_kwargs: more arguments of ``ray.init`` (e.g. ``runtime_env``).

    ``ray.init`` is called on first use unless Ray is already initialized.
    """

    def __init__(self, address: Optional[str] = None, num_cpus: int = 1, **init_kwargs: Any):
        self.address = address
        self.num_cpus = num_cpus
        self.init_kwargs = init_kwargs

    def _ray(self):
        import ray

        if not ray.is_initialized():
            ray.init(address=self.address, **self.init_kwargs)
        return ray

    def workers(self) -> int:
        """CPUs of the cluster divided by the CPUs per task."""
        ray = self._ray()
        return max(1, int(ray.cluster_resources().get("CPU", 1) // self.num_cpus))

    def map_shards(self, plan_json: str, shards: List[str], workflow: str) -> List[Tuple[str, str]]:
        ray = self._ray()
        task = ray.remote(num_cpus=self.num_cpus)(_run_shard)
        refs = [task.remote(plan_json, s, workflow, self.num_cpus) for s in shards]
        return ray.get(refs)


class _FuturesExecutor:
    def __init__(self, ex: Any):
        self.ex = ex

    def workers(self) -> int:
        return int(getattr(self.ex, "_max_workers", os.cpu_count() or 1))

    def map_shards(self, plan_json: str, shards: List[str], workflow: str) -> List[Tuple[str, str]]:
        futs = [self.ex.submit(_run_shard, plan_json, s, workflow, None) for s in shards]
        return [f.result() for f in futs]


def _executor(executor: Any):
    if executor is None:
        return None
    if isinstance(executor, str):
        if executor == "ray":
            return RayExecutor()
        raise _native.MixsigError(f"unknown executor `{executor}`; valid: None, \"ray\", a RayExecutor or a concurrent.futures executor")
    if hasattr(executor, "map_shards"):
        return executor
    if hasattr(executor, "submit"):
        return _FuturesExecutor(executor)
    raise _native.MixsigError(f"executor {executor!r} has neither map_shards nor submit")


def _run_plan(
    plan: Dict[str, Any],
    workflow: str,
    out: Optional[PathLike],
    executor: Any,
    shards: Optional[int],
    resume: bool = False,
) -> SweepResult:
    if shards is not None:
        shards = _whole("shards", shards, 1)
    if resume and out is None:
        raise _native.MixsigError("resume=True needs out=, the run directory to finish")
    if resume and (executor is not None or shards):
        raise _native.MixsigError(
            "resume=True finishes a run in this process: give neither executor nor shards"
        )
    plan_json, total = _native.sweep_plan(json.dumps(plan))
    ex = _executor(executor)
    keep = out is not None
    out_dir = Path(out) if keep else Path(tempfile.mkdtemp(prefix=f"mixsig-{workflow}-"))
    try:
        if ex is None and not shards:
            try:
                o = json.loads(
                    _native.sweep_run(plan_json, out_dir, workflow=workflow, resume=bool(resume))
                )
            except KeyboardInterrupt as e:
                if keep and hasattr(e, "add_note"):
                    e.add_note(
                        f"the finished trials are in {out_dir / 'trials.jsonl'}; the same call "
                        "with resume=True runs the rest"
                    )
                raise
        else:
            n = shards or (ex.workers() if ex is not None else 1)
            n = max(1, min(int(n), total))
            names = [f"{i}/{n}" for i in range(1, n + 1)]
            if ex is None:
                parts = [_run_shard(plan_json, s, workflow, None) for s in names]
            else:
                parts = ex.map_shards(plan_json, names, workflow)
            dirs = []
            for i, (plan_text, log_text) in enumerate(parts, start=1):
                d = out_dir / "shards" / f"{i}-of-{n}"
                d.mkdir(parents=True, exist_ok=True)
                (d / "plan.json").write_text(plan_text)
                (d / "trials.jsonl").write_text(log_text)
                dirs.append(d)
            o = json.loads(_native.sweep_merge(dirs, out_dir, workflow=workflow))
        return _result(o, out_dir if keep else None)
    finally:
        if not keep:
            import shutil

            shutil.rmtree(out_dir, ignore_errors=True)


def _plan(
    experiment: str,
    profiles: Sequence[str],
    scales: Sequence[float],
    instances: int,
    first_instance: int,
    threshold: Optional[float],
    lower_is_better: bool,
    exp: Mapping[str, Any],
) -> Dict[str, Any]:
    instances = _whole("instances", instances, 1)
    first_instance = _whole("first_instance", first_instance, 0)
    try:
        scales = [float(x) for x in (scales if not isinstance(scales, str) else [scales])]
    except (TypeError, ValueError):
        raise _native.MixsigError(f"scales = {scales!r} must be a list of numbers >= 0") from None
    # Negative scales get the CLI's message from the plan check; NaN and inf would not survive
    # the JSON of the plan.
    if not all(math.isfinite(x) for x in scales):
        raise _native.MixsigError(f"scales = {scales!r} must be finite numbers >= 0")
    if threshold is not None and not (
        isinstance(threshold, (int, float)) and math.isfinite(threshold)
    ):
        raise _native.MixsigError(f"threshold = {threshold!r} must be a finite number")
    exp = {k: v for k, v in dict(exp).items() if v is not None}
    for k, least in (("presentations", 1), ("n_test", 2), ("seed", 0)):
        if k in exp:
            exp[k] = _whole(k, exp[k], least)
    # Options the chosen experiment would not use are errors (the CLI's messages).
    train_keys = [k for k in ("pattern", "presentations", "n_test", "seed", "feedback", "storage")
                  if k in exp]
    if str(experiment) == "train":
        given = [k for k in ("idc", "set", "duration", "dt", "population") if k in exp]
        if given:
            raise _native.MixsigError(
                f"{', '.join(given)} would be ignored by the train experiment (they set the fi "
                "experiment and network files)"
            )
    elif str(experiment) == "fi":
        given = train_keys + [k for k in ("population",) if k in exp]
        if given:
            raise _native.MixsigError(
                f"{', '.join(given)} would be ignored by the fi experiment (it takes idc, set, "
                "duration, dt)"
            )
    else:
        given = train_keys + [k for k in ("idc", "set") if k in exp]
        if given:
            raise _native.MixsigError(
                f"{', '.join(given)} would be ignored by a network-file experiment (it takes "
                "population, duration, dt)"
            )
    e, default_threshold = _native.sweep_experiment(experiment=str(experiment), **exp)
    return {
        "experiment": json.loads(e),
        "profiles": [str(p) for p in profiles],
        "scales": [float(s) for s in scales],
        "instances": int(instances),
        "first_instance": int(first_instance),
        "threshold": default_threshold if threshold is None else float(threshold),
        "lower_is_better": bool(lower_is_better),
    }


def robustness(
    experiment: Union[str, "os.PathLike[str]"] = "train",
    *,
    profile: str = "dynapse2",
    scales: Sequence[float] = (0.0, 1.0, 2.0),
    instances: int = 32,
    first_instance: int = 0,
    threshold: Optional[float] = None,
    lower_is_better: bool = False,
    pattern: Optional[str] = None,
    presentations: Optional[int] = None,
    n_test: Optional[int] = None,
    seed: Optional[int] = None,
    feedback: Optional[str] = None,
    storage: Optional[str] = None,
    idc: Optional[Quantity] = None,
    set: Optional[Mapping[str, Quantity]] = None,
    duration: Optional[Quantity] = None,
    dt: Optional[Quantity] = None,
    population: Optional[str] = None,
    out: Optional[PathLike] = None,
    executor: Any = None,
    shards: Optional[int] = None,
    resume: bool = False,
) -> SweepResult:
    """Monte Carlo over dies of one chip profile with its mismatch scaled by each factor in
    `scales`, as `mixsig robustness`: the metric's distribution per scale, the yield
    (fraction of dies passing `threshold`) and which device parameters the failures track.

    Args:
        experiment: ``"train"`` (metric: test accuracy after `presentations`), ``"fi"`` (firing
            rate of neuron 0 of core 0 at `idc`), or a network TOML path (mean rate of
            `population`).
        profile: chip profile (built-in name or TOML path).
        scales: mismatch scale factors (0 = no mismatch, 1 = the profile, 2 = twice).
        instances, first_instance: dies per scale, seeds ``first_instance ...``; the same dies at
            every scale (common random numbers).
        threshold, lower_is_better: a die passes when ``metric >= threshold`` (``<=``); default
            0.75 for train, no yield otherwise.
        pattern, presentations, n_test, seed, feedback, storage: the train experiment
            (defaults ``"order"``, 200, 10, 1, ``"mirrored"``, ``"analog"``).
        idc, set, duration, dt: the fi experiment (and duration/dt of a network file).
        population: the network experiment's population.
        out: run directory (the CLI's files: summary.json, results.csv, plots, report.html);
            default: a temporary directory, removed.
        executor: where the trials run: None (this process, all cores), ``"ray"``, a
            :class:`RayExecutor`, or a ``concurrent.futures`` executor. The result does not depend
            on it.
        shards: number of shards (default: the executor's worker count).
        resume: finish the run in `out` (as ``mixsig robustness --resume``): the trials already
            in its ``trials.jsonl`` are kept, the rest run. Needs the same options, and neither
            `executor` nor `shards`.

    Ctrl-C (a notebook's "interrupt kernel") stops a run without an executor once the trials
    running have finished, and raises ``KeyboardInterrupt``; with `out` given, the finished trials
    stay in its ``trials.jsonl`` and ``resume=True`` runs the rest.

    Raises:
        MixsigError: invalid options (the CLI's messages) or a failed trial.
    """
    plan = _plan(
        os.fspath(experiment), [profile], scales, instances, first_instance, threshold,
        lower_is_better,
        dict(pattern=pattern, presentations=presentations, n_test=n_test, seed=seed,
             feedback=feedback, storage=storage, idc=idc,
             set=None if set is None else dict(set), duration=duration, dt=dt,
             population=population),
    )
    return _run_plan(plan, "robustness", out, executor, shards, resume)


def compare(
    profiles: Sequence[str] = ("dynapse2", "dynapse1", "fdsoi22"),
    experiment: Union[str, "os.PathLike[str]"] = "train",
    *,
    scale: float = 1.0,
    instances: int = 32,
    first_instance: int = 0,
    threshold: Optional[float] = None,
    lower_is_better: bool = False,
    pattern: Optional[str] = None,
    presentations: Optional[int] = None,
    n_test: Optional[int] = None,
    seed: Optional[int] = None,
    feedback: Optional[str] = None,
    storage: Optional[str] = None,
    idc: Optional[Quantity] = None,
    set: Optional[Mapping[str, Quantity]] = None,
    duration: Optional[Quantity] = None,
    dt: Optional[Quantity] = None,
    population: Optional[str] = None,
    out: Optional[PathLike] = None,
    executor: Any = None,
    shards: Optional[int] = None,
    resume: bool = False,
) -> SweepResult:
    """The same experiment on dies of several chip profiles, as `mixsig compare`: metric
    distribution and yield per profile. Arguments as :func:`robustness` (one mismatch `scale`)."""
    plan = _plan(
        os.fspath(experiment), list(profiles), [scale], instances, first_instance, threshold,
        lower_is_better,
        dict(pattern=pattern, presentations=presentations, n_test=n_test, seed=seed,
             feedback=feedback, storage=storage, idc=idc,
             set=None if set is None else dict(set), duration=duration, dt=dt,
             population=population),
    )
    return _run_plan(plan, "compare", out, executor, shards, resume)


# --------------------------------------------------------------------------------------------
# Bias tuning
# --------------------------------------------------------------------------------------------


@dataclass
class TuneResult:
    """What :func:`tune` returns.

    Attributes:
        profile: profile name.
        tuned: one dict per tuned bias: ``core``, ``key`` (target), ``bias`` (DYNAP-SE2 name),
            ``target``, ``unit``, ``code`` (coarse, fine), ``current`` (A), ``achieved``,
            ``rel_error`` (nominal die), ``yield_fraction`` (over sampled dies), ``warnings`` ...
        yield_all: fraction of dies meeting every target on every core.
        yield_per_core: ``{core: yield}``.
        biases_toml: the tuned codes as ``[[chip.bias]]`` entries (``mixsig sim --biases``, or a
            network file's ``[chip]`` section).
        out: the output directory when `out` was given (biases.toml, profile.toml, tune.csv,
            summary.json, report.html).
        summary: the whole result as a dict.
    """

    profile: str
    tuned: List[Dict[str, Any]]
    yield_all: float
    yield_per_core: Dict[int, float]
    biases_toml: str = field(repr=False)
    out: Optional[Path] = None
    summary: Dict[str, Any] = field(default_factory=dict, repr=False)


def _tune_task(kw: Dict[str, Any]) -> str:
    """One tuning run (what a remote worker executes)."""
    return _native.tune_json(**kw)


def _tune_result(text: str, out: Optional[Path]) -> TuneResult:
    d = json.loads(text)
    return TuneResult(
        profile=d["profile"],
        tuned=d["tuned"],
        yield_all=float(d["yield_all"]),
        yield_per_core={int(c): float(y) for c, y in d["yield_per_core"]},
        biases_toml=d["biases_toml"],
        out=out,
        summary=d,
    )


def tune(
    targets: Union[None, PathLike, str, Mapping[str, Any]] = None,
    *,
    profile: Union[str, Sequence[str]] = "dynapse2",
    dies: int = 64,
    first_die: int = 0,
    neurons: int = 32,
    rate_duration: Optional[Quantity] = None,
    out: Optional[PathLike] = None,
    executor: Any = None,
) -> Union[TuneResult, List[TuneResult]]:
    """Bias codes from design targets, as `mixsig tune`: for every core and target (time
    constants, gain ratios, refractory period, pulse widths, a firing rate at a DC input), the
    (coarse, fine) code that hits it on the nominal die with the best yield over `dies` sampled
    dies.

    Args:
        targets: a targets TOML file (path), TOML text, a dict with the file's structure
            (``{"tolerance": 0.1, "core": [{"tau_mem": "20 ms", "gain_mem": 4}]}``), or None for
            the embedded default targets (see docs/workflows.md).
        profile: chip profile, or a list of profiles: one independent tuning run per profile
            (a list of results), run on `executor` when given.
        dies, first_die: sampled dies for the yield (seeds ``first_die ...``).
        neurons: neurons checked per core on each die.
        rate_duration: simulated time of each rate evaluation (default 1 s).
        out: output directory (with a list of profiles: one sub-directory per profile).
        executor: None, ``"ray"``, a :class:`RayExecutor` or a ``concurrent.futures``
            executor; with a list of profiles each tuning run is one task. (One tuning run is
            not split further: its dies are evaluated in parallel on the cores of one machine.)

    Ctrl-C (a notebook's "interrupt kernel") stops a run without an executor after the target
    being tuned and raises ``KeyboardInterrupt``.
    """
    kw: Dict[str, Any] = dict(dies=int(dies), first_die=int(first_die), neurons=int(neurons),
                              rate_duration=rate_duration)
    if targets is None:
        pass
    elif isinstance(targets, Mapping):
        kw.update(text=_native.dict_to_toml(dict(targets)), name="<dict>")
    elif isinstance(targets, str) and "\n" in targets:
        kw.update(text=targets, name="<string>")
    else:
        kw.update(path=Path(targets))
    single = isinstance(profile, str)
    names = [profile] if single else [str(p) for p in profile]
    outs: List[Optional[Path]] = []
    calls = []
    for i, p in enumerate(names):
        o = None if out is None else (Path(out) if single else Path(out) / f"{i + 1}-{Path(p).stem}")
        outs.append(o)
        calls.append(dict(kw, profile=p, out=o))
    ex = _executor(executor)
    if ex is None:
        texts = [_tune_task(c) for c in calls]
    elif isinstance(ex, RayExecutor):
        ray = ex._ray()
        task = ray.remote(num_cpus=ex.num_cpus)(_tune_task)
        texts = ray.get([task.remote(c) for c in calls])
    else:
        texts = [f.result() for f in [ex.ex.submit(_tune_task, c) for c in calls]]
    results = [_tune_result(t, o) for t, o in zip(texts, outs)]
    return results[0] if single else results
