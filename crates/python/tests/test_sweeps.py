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
    finally:
        ray.shutdown()
