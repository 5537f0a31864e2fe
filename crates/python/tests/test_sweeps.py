"""Sweeps over dies: the Python API equals the CLI, and sharded / distributed runs (threads, Ray)
equal the serial run."""

import concurrent.futures
import os

import numpy as np
import pytest

import mixsig
from conftest import cli_error, run_cli

FI = dict(idc="300 pA", duration="300 ms", scales=[0.0, 1.0, 2.0], instances=8)


def same(a: mixsig.SweepResult, b: mixsig.SweepResult):
    assert a.records == b.records
    assert a.summary == b.summary
    np.testing.assert_array_equal(a.metric_values, b.metric_values)


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    return mixsig.robustness("fi", out=tmp_path_factory.mktemp("serial"), **FI)


def test_robustness_result_shape(serial):
    assert serial.metric_values.shape == (1, 3, 8)
    assert serial.instances == list(range(8))
    assert not np.isnan(serial.metric_values).any()
    # No mismatch at scale 0: every die is the nominal die.
    assert np.all(serial.metric_values[0, 0] == serial.metric_values[0, 0, 0])
    # Mismatch spreads the rates.
    assert serial.metric_values[0, 2].std() > 0
    assert (serial.out / "report.html").is_file()


def test_robustness_equals_cli(cli, serial, tmp_path):
    out = tmp_path / "cli"
    r = run_cli(cli, "robustness", "--experiment", "fi", "--idc", "300pA", "--duration",
                "300ms", "--scales", "0,1,2", "--instances", "8", "--out", str(out))
    assert r.returncode == 0, r.stderr
    for f in ("results.csv", "percentiles.csv", "sensitivity.csv", "trials.jsonl"):
        assert (out / f).read_text() == (serial.out / f).read_text(), f


def test_robustness_error_equals_cli(cli, tmp_path):
    with pytest.raises(mixsig.MixsigError) as e:
        mixsig.robustness("fi", scales=[-1.0], instances=2)
    assert str(e.value) == cli_error(cli, "robustness", "--experiment", "fi", "--scales=-1",
                                     "--instances", "2", "--out", str(tmp_path))


def test_sweep_arguments_are_checked_before_the_plan():
    # Each names its keyword (not the plan's JSON parser), and a train experiment refuses the fi
    # experiment's settings instead of ignoring them.
    for kw, msg in [
        (dict(instances=-1), "instances = -1 must be a whole number >= 1"),
        (dict(scales=[float("nan")]), "scales = [nan] must be finite numbers >= 0"),
        (dict(scales="abc"), "scales = 'abc' must be a list of numbers >= 0"),
        (dict(threshold=float("nan")), "threshold = nan must be a finite number"),
        (dict(shards=0), "shards = 0 must be a whole number >= 1"),
        (dict(dt="10 ms"), "dt would be ignored by the train experiment (they set the fi "
                           "experiment and network files)"),
    ]:
        with pytest.raises(mixsig.MixsigError) as e:
            mixsig.robustness("train", **kw)
        assert str(e.value) == msg, kw
    # The other way round: the fi experiment refuses the train experiment's settings.
    for kw, msg in [
        (dict(pattern="sync"), "pattern would be ignored by the fi experiment"),
        (dict(presentations=20, population="exc"),
         "presentations, population would be ignored by the fi experiment"),
    ]:
        with pytest.raises(mixsig.MixsigError) as e:
            mixsig.compare(["dynapse2"], "fi", **kw)
        assert str(e.value).startswith(msg), (kw, str(e.value))


def test_shards_in_threads_equal_serial(serial):
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as ex:
        same(mixsig.robustness("fi", executor=ex, shards=5, **FI), serial)


def test_ray_equals_serial(serial, tmp_path):
    """A local Ray instance runs the shards as Ray tasks; the merged result is the serial one."""
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"RAYON_NUM_THREADS": "1"}})
    try:
        ex = mixsig.RayExecutor()
        assert ex.workers() == 2
        dist = mixsig.robustness("fi", executor=ex, shards=3, out=tmp_path, **FI)
        # The shards were run remotely and merged here.
        assert sorted(p.name for p in (tmp_path / "shards").iterdir()) == [
            "1-of-3", "2-of-3", "3-of-3"]
        same(dist, serial)
        assert (tmp_path / "results.csv").read_text() == (serial.out / "results.csv").read_text()
        # The same through the executor="ray" shortcut (uses the running instance) on compare.
        a = mixsig.compare(["dynapse2", "dynapse1"], "fi", idc="300 pA", duration="300 ms",
                           instances=4, executor="ray")
        b = mixsig.compare(["dynapse2", "dynapse1"], "fi", idc="300 pA", duration="300 ms",
                           instances=4)
        same(a, b)
        assert a.metric_values.shape == (2, 1, 4)
        # Independent tuning runs, one Ray task per profile.
        profiles = ["dynapse2", "dynapse1"]
        ta = mixsig.tune(TARGETS, profile=profiles, dies=6, executor=ex)
        tb = mixsig.tune(TARGETS, profile=profiles, dies=6)
        assert [x.summary for x in ta] == [x.summary for x in tb]
    finally:
        ray.shutdown()


TARGETS = {"tolerance": 0.1, "core": [{"core": 0, "tau_mem": "20 ms", "gain_mem": 4,
                                       "refractory": "2 ms"}]}


def test_tune_equals_cli(cli, tmp_path):
    (tmp_path / "targets.toml").write_text(
        'tolerance = 0.1\n[[core]]\ncore = 0\ntau_mem = "20 ms"\ngain_mem = 4\n'
        'refractory = "2 ms"\n')
    r = run_cli(cli, "tune", str(tmp_path / "targets.toml"), "--dies", "6", "--out",
                str(tmp_path / "cli"))
    assert r.returncode == 0, r.stderr
    py = mixsig.tune(TARGETS, dies=6, out=tmp_path / "py")
    assert sorted(t["key"] for t in py.tuned) == ["gain_mem", "refractory", "tau_mem"]
    assert all(t["core"] == 0 for t in py.tuned)
    # The achieved time constant is within the tolerance of the target on the nominal die.
    tau = next(t for t in py.tuned if t["key"] == "tau_mem")
    assert abs(tau["achieved"] / 0.02 - 1) <= 0.1
    assert (tmp_path / "cli" / "tune.csv").read_text() == (tmp_path / "py" / "tune.csv").read_text()
    assert "[[chip.bias]]" in py.biases_toml


def test_tune_error_equals_cli(cli, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[core]]\ntau_mem = "-20 ms"\n')
    with pytest.raises(mixsig.MixsigError) as e:
        mixsig.tune(bad)
    assert str(e.value) == cli_error(cli, "tune", str(bad), "--out", str(tmp_path / "o"))


def _interrupt_after(seconds):
    import _thread
    import threading

    timer = threading.Timer(seconds, _thread.interrupt_main)
    timer.start()
    return timer


def test_ctrl_c_stops_a_sweep_and_resume_finishes_it(tmp_path):
    # A notebook's "interrupt kernel" (SIGINT) stops the sweep once the trials running have
    # finished; they stay in the log, and resume=True runs the rest, giving what one
    # uninterrupted run gives.
    import time

    kw = dict(instances=6, scales=[1.0], presentations=20, n_test=2)
    timer = _interrupt_after(1.0)
    t0 = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt) as e:
            mixsig.robustness("train", out=tmp_path, **kw)
    finally:
        timer.cancel()
    assert time.monotonic() - t0 < 20
    log = (tmp_path / "trials.jsonl").read_text().splitlines()
    assert len(log) < 6
    assert not (tmp_path / "summary.json").exists()
    if hasattr(e.value, "__notes__"):
        assert "resume=True" in e.value.__notes__[0]
    resumed = mixsig.robustness("train", out=tmp_path, resume=True, **kw)
    same(resumed, mixsig.robustness("train", **kw))
    with pytest.raises(mixsig.MixsigError, match="resume=True needs out="):
        mixsig.robustness("train", resume=True, **kw)
    with pytest.raises(mixsig.MixsigError, match="neither executor nor shards"):
        mixsig.robustness("train", out=tmp_path, resume=True, shards=2, **kw)


def test_ctrl_c_stops_a_tuning_run():
    # 4000 dies take about a minute; the run stops after the target being tuned.
    import time

    timer = _interrupt_after(1.0)
    t0 = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            mixsig.tune(dies=4000)
    finally:
        timer.cancel()
    assert time.monotonic() - t0 < 20


def test_a_set_bias_outside_the_generator_range_warns():
    with pytest.warns(mixsig.MixsigWarning, match=r"i_tau_mem \(SOIF_LEAK_N\).*outside the generator range"):
        r = mixsig.robustness("fi", idc="1 nA", duration="200 ms", scales=[1.0], instances=2,
                              set={"i_tau_mem": "1 A"})
    assert r.summary["warnings"]
