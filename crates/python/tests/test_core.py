"""The Python package against the command line and against independent expectations."""

import csv
import math
import pydoc
from pathlib import Path

import numpy as np
import pytest

import mixsig
from conftest import cli_error, run_cli

EI = "examples/networks/ei_balanced.toml"


# ------------------------------------------------------------------ simulation equals the CLI


def read_csv(p: Path):
    with open(p, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def test_simulation_equals_cli_numbers(cli, root, tmp_path):
    """Same network, seed and die: the spikes and traces are exactly the numbers the CLI writes."""
    # The example network records state traces; run it on a sampled die with a non-default seed.
    net_file = root / EI
    out = tmp_path / "cli"
    args = [str(net_file), "--duration", "300ms", "--seed", "3", "--profile", "dynapse2",
            "--instance", "2", "--out", str(out)]
    r = run_cli(cli, "sim", *args)
    assert r.returncode == 0, r.stderr

    py = mixsig.simulate(net_file, duration="300ms", seed=3, profile="dynapse2", instance=2)

    header, rows = read_csv(out / "spikes.csv")
    assert header == ["t_s", "population", "neuron"]
    assert len(rows) == len(py.spike_times) > 100
    for (t, pop, n), k, g, m in zip(rows, py.spike_steps, py.spike_groups, py.spike_neurons):
        # The CLI prints times rounded to 1 ns; steps are integers: recover them exactly.
        assert round(float(t) / py.dt) == k
        assert pop == py.group_names[g]
        assert int(n) == m

    header, rows = read_csv(out / "traces.csv")
    assert header[1:] == py.trace_columns
    assert py.traces.shape == (len(rows), len(header) - 1)
    for row, t, vals in zip(rows, py.trace_times, py.traces):
        assert float(row[0]) == float(f"{t:.9f}")
        # The CLI writes 10 significant digits: the Python value rounded the same way is the
        # same number.
        assert [float(x) for x in row[1:]] == [float(f"{v:.9e}") for v in vals]

    # The summary agrees too (except the wall time and the file list).
    import json

    cli_summary = json.loads((out / "summary.json").read_text())
    for k in ("steps", "neurons", "populations", "chip", "warnings", "seed"):
        if k == "populations":
            for a, b in zip(cli_summary[k], py.summary[k]):
                assert a == b
        else:
            assert cli_summary[k] == py.summary[k], k


def test_out_writes_the_cli_files(tmp_path):
    r = mixsig.simulate(duration="50ms", out=tmp_path)
    names = {p.name for p in tmp_path.iterdir()}
    assert {"spikes.csv", "traces.csv", "summary.json", "raster.png", "raster.svg"} <= names
    _, rows = read_csv(tmp_path / "spikes.csv")
    assert len(rows) == len(r.spike_times)


def test_dict_network_equals_toml_network():
    d = {
        "simulation": {"dt": "10 us", "seed": 5},
        "source": [{"name": "in", "kind": "poisson", "size": 20, "rate": "80 Hz"}],
        "population": [{"name": "exc", "size": 10, "params": {"i_gain_mem": "106 pA"}}],
        "projection": [
            {"from": "in", "to": "exc", "synapse": "ampa", "connect": "random", "p": 0.5,
             "weight": "400 pA"}
        ],
    }
    text = """
[simulation]
dt = "10 us"
seed = 5
[[source]]
name = "in"
kind = "poisson"
size = 20
rate = "80 Hz"
[[population]]
name = "exc"
size = 10
[population.params]
i_gain_mem = "106 pA"
[[projection]]
from = "in"
to = "exc"
synapse = "ampa"
connect = "random"
p = 0.5
weight = "400 pA"
"""
    a = mixsig.simulate(d, duration=0.2)
    b = mixsig.simulate(mixsig.Network.from_toml(text), duration=0.2)
    assert len(a.spike_times) > 0
    np.testing.assert_array_equal(a.spike_steps, b.spike_steps)
    np.testing.assert_array_equal(a.spike_neurons, b.spike_neurons)
    t, n = a.spikes("exc")
    assert len(t) == a.summary["populations"][1]["spike_count"]
    assert n.max() < 10


def test_seed_changes_spikes_and_is_reproducible():
    a = mixsig.simulate(duration=0.1, seed=1)
    b = mixsig.simulate(duration=0.1, seed=1)
    c = mixsig.simulate(duration=0.1, seed=2)
    np.testing.assert_array_equal(a.spike_steps, b.spike_steps)
    assert not np.array_equal(a.spike_steps, c.spike_steps)


def test_seed_draws_uniform_initial_weights():
    # A regular source and all-to-all weights drawn uniformly: the weights are the only random
    # thing, and the run's seed draws them (as `mixsig sim --seed`), over the file's.
    text = """
[simulation]
seed = 1
[[source]]
name = "in"
size = 10
kind = "regular"
rate = "100 Hz"
[[population]]
name = "exc"
size = 10
[[projection]]
from = "in"
to = "exc"
synapse = "ampa"
connect = "all_to_all"
init = "uniform"
weight = "2 nA"
"""
    net = mixsig.Network.from_toml(text)
    a = mixsig.simulate(net, duration=0.2)
    assert len(a.spike_times) > 0
    same = mixsig.simulate(net, duration=0.2, seed=1)
    other = mixsig.simulate(net, duration=0.2, seed=2)
    np.testing.assert_array_equal(a.spike_neurons, same.spike_neurons)
    assert not np.array_equal(a.spike_neurons, other.spike_neurons)
    as_file = mixsig.simulate(mixsig.Network.from_toml(text.replace("seed = 1", "seed = 2")),
                              duration=0.2)
    np.testing.assert_array_equal(other.spike_steps, as_file.spike_steps)
    np.testing.assert_array_equal(other.spike_neurons, as_file.spike_neurons)


# ------------------------------------------------------------------ errors carry the CLI's message


def test_network_error_message_equals_cli(cli, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[population]]\nname = "a"\nsize = 4\n[population.params]\nc_mem = "-3 pF"\n')
    with pytest.raises(mixsig.MixsigError) as e:
        mixsig.network(bad)
    assert str(e.value) == cli_error(cli, "sim", str(bad))
    assert "line" not in str(e.value) or ":5" in str(e.value)
    assert "c_mem" in str(e.value)


def test_profile_error_message_equals_cli(cli, tmp_path):
    with pytest.raises(mixsig.MixsigError) as e:
        mixsig.chip("no-such-chip")
    assert str(e.value) == cli_error(cli, "chip", "sample", "no-such-chip", "--out", str(tmp_path))


def test_sim_option_errors_equal_cli(cli, root, tmp_path):
    with pytest.raises(mixsig.MixsigError) as e:
        mixsig.simulate(root / EI, instance=3, duration=0.01)
    assert str(e.value) == cli_error(cli, "sim", EI, "--instance", "3", "--duration", "10ms",
                                     "--out", str(tmp_path))


def test_train_range_errors_name_the_keyword_and_the_cli_names_the_flag(cli, tmp_path):
    with pytest.raises(mixsig.MixsigError) as e:
        mixsig.train(presentations=0, profile=None)
    assert str(e.value) == "presentations = 0 must be a whole number >= 1"
    # Negative, boolean and huge counts are named too (not a bare OverflowError, not a 1, not an
    # abort on an 8 TB allocation that would kill a Jupyter kernel).
    for kw, msg in [
        (dict(presentations=-5), "presentations = -5 must be a whole number >= 1"),
        (dict(presentations=True), "presentations = True must be a whole number >= 1"),
        (dict(seed=-1), "seed = -1 must be a whole number >= 0"),
        (dict(instance=-1), "instance = -1 must be a whole number >= 0"),
        (dict(n_test=1), "n_test = 1 must be a whole number >= 2"),
        (dict(eta_sigma=-1.0), "eta_sigma = -1.0 must be a finite number >= 0"),
        (dict(presentations=10**12),
         "presentations = 1000000000000 must be at most 1000000 (the task is generated up front)"),
        (dict(dt=0), "dt = 0: must be finite and > 0 s"),
        (dict(dt=float("nan")), "dt = nan: must be finite and > 0 s"),
    ]:
        with pytest.raises(mixsig.MixsigError) as e:
            mixsig.train(profile=None, **kw)
        assert str(e.value) == msg, kw
    with pytest.raises(mixsig.MixsigError, match="must be finite and >= 0"):
        mixsig.train(profile=None, presentations=2, eta_decay=float("inf"))
    assert cli_error(cli, "train", "--presentations", "0", "--profile", "none",
                     "--out", str(tmp_path)) == \
        "invalid value '0' for '--presentations <N>': must be at least 1"
    assert not tmp_path.joinpath("summary.json").exists()
    with pytest.raises(mixsig.MixsigError, match="unknown feedback `sideways`"):
        mixsig.train(feedback="sideways")
    # An out that is a file is refused before training (not after, losing the run), as by the CLI.
    f = tmp_path / "afile"
    f.write_text("keep me")
    with pytest.raises(mixsig.MixsigError) as e:
        mixsig.train(presentations=2, profile=None, out=f)
    assert str(e.value) == f"out = {f}: `{f}` exists and is not a directory"
    assert cli_error(cli, "train", "--out", str(f)) == \
        f"--out {f}: `{f}` exists and is not a directory"
    assert f.read_text() == "keep me"
    # dt must leave a presentation at least 100 steps: the library's message, in both.
    with pytest.raises(mixsig.MixsigError) as e:
        mixsig.train(presentations=2, profile=None, dt="10 ms")
    assert "at most 1/100" in str(e.value)
    assert str(e.value) == cli_error(cli, "train", "--presentations", "2", "--profile", "none",
                                     "--dt", "10 ms", "--out", str(tmp_path / "o"))
    # ... and at most 10^6 (a stray `1 ns` would run for days).
    with pytest.raises(mixsig.MixsigError, match=r"dt = 1 ns is too short .* at least 1/1000000"):
        mixsig.train(presentations=2, profile=None, dt="1 ns")
    # A profile path that does not exist says it was to be the chip profile.
    with pytest.raises(mixsig.MixsigError) as e:
        mixsig.train(presentations=2, profile=str(tmp_path / "nosuch.toml"))
    assert str(e.value).startswith(f"cannot read chip profile file {tmp_path / 'nosuch.toml'}: ")


# ------------------------------------------------------------------ profiles and dies


def test_profiles_and_profile():
    assert set(mixsig.profiles()) >= {"ideal", "dynapse2", "dynapse1", "fdsoi22"}
    p = mixsig.profile("dynapse2")
    assert p.name == "dynapse2"
    assert p.cores * p.neurons_per_core > 0
    assert "dynapse2" in p.summary


def test_die_arrays_shapes_and_identity(tmp_path):
    a = mixsig.chip("dynapse2", instance=3)
    cores, npc, syn = a.shape
    pa = a.params()
    assert pa["i_tau_mem"].shape == (cores, npc)
    assert a.weight_factors().shape == (cores, npc, syn)
    # Same seed, same die; another seed, another die.
    np.testing.assert_array_equal(pa["i_tau_mem"], mixsig.chip("dynapse2", 3).params()["i_tau_mem"])
    assert not np.array_equal(pa["i_tau_mem"], mixsig.chip("dynapse2", 4).params()["i_tau_mem"])
    # Mismatch: a spread within a core; the profile's device statistics describe these arrays.
    stats = {s["name"]: s for s in a.device_stats()}
    x = pa["i_tau_mem"].ravel()
    assert x.std() > 0
    assert stats["i_tau_mem"]["mean"] == pytest.approx(x.mean(), rel=1e-12)
    assert stats["i_tau_mem"]["p50"] == pytest.approx(np.median(x), rel=1e-12)
    # Save and load: the same per-device values.
    a.save(tmp_path / "die.toml")
    b = mixsig.Chip.load(tmp_path / "die.toml", "dynapse2")
    np.testing.assert_array_equal(b.params()["i_tau_mem"], pa["i_tau_mem"])
    np.testing.assert_array_equal(b.weight_factors(), a.weight_factors())


def test_ideal_profile_has_no_mismatch():
    c = mixsig.chip("ideal", 5)
    p = c.params()
    for name in mixsig.Chip.mismatched_params():
        v = p[name]
        assert np.all(v == v.flat[0]), name
    assert np.all(c.weight_factors() == 1.0)


# ------------------------------------------------------------------ F-I


def test_fi_ideal_is_monotonic_and_silent_below_threshold():
    r = mixsig.fi(idc=["1 pA", "100 pA", "300 pA", "1 nA"], duration=0.3)
    assert r.rate_hz[0] == 0
    assert math.isnan(r.first_spike_s[0])
    assert np.all(np.diff(r.rate_hz[1:]) >= 0) and r.rate_hz[-1] > 0


def test_fi_on_dies_band_is_numpy_percentiles():
    r = mixsig.fi(idc=["200 pA", "1 nA"], duration=0.2, profile="dynapse2", instance=10,
                  instances=5)
    assert r.seeds == [10, 11, 12, 13, 14]
    assert r.per_die_rate_hz.shape == (5, 2)
    np.testing.assert_allclose(r.rate_hz, np.median(r.per_die_rate_hz, axis=0), rtol=1e-12)
    np.testing.assert_allclose(r.rate_p05_hz, np.percentile(r.per_die_rate_hz, 5, axis=0),
                               rtol=1e-12)


def test_fi_error_equals_cli(cli, tmp_path):
    with pytest.raises(mixsig.MixsigError) as e:
        mixsig.fi(set={"c_mem": "3 pF"}, profile="dynapse2")
    assert str(e.value) == cli_error(cli, "fi", "--set", "c_mem=3pF", "--profile", "dynapse2",
                                     "--out", str(tmp_path))


# ------------------------------------------------------------------ train


def test_train_small_run():
    r = mixsig.train("order", profile=None, presentations=20, test_every=10, n_test=4)
    assert list(r.curve["presentations"]) == [0, 10, 20]
    assert np.all((r.curve["test_accuracy"] >= 0) & (r.curve["test_accuracy"] <= 1))
    assert r.test_accuracy == r.curve["test_accuracy"][-1]
    assert {x["when"] for x in r.rasters} == {"before", "after"}
    assert r.summary["options"]["presentations"] == 20
    assert r.summary["chip"] is None


def test_train_calibrate_on_a_die_and_its_error_without_one(cli, tmp_path):
    r = mixsig.train("order", instance=3, presentations=2, test_every=2, n_test=2, calibrate=True)
    assert r.summary["chip"]["calibrated"] is True
    assert {c["core"] for c in r.summary["chip"]["calibration"]} == {0, 1, 2, 3}
    with pytest.raises(mixsig.MixsigError) as e:
        mixsig.train(profile=None, presentations=2, calibrate=True)
    assert str(e.value) == cli_error(cli, "train", "--profile", "none", "--presentations", "2",
                                     "--calibrate", "--out", str(tmp_path))


def test_ctrl_c_stops_a_training_run():
    # A notebook's "interrupt kernel" is a SIGINT: the run stops within a presentation and raises
    # KeyboardInterrupt instead of training on for hours.
    import _thread
    import threading
    import time

    timer = threading.Timer(1.0, _thread.interrupt_main)
    timer.start()
    t0 = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            mixsig.train(profile=None, presentations=100_000)
    finally:
        timer.cancel()
    assert time.monotonic() - t0 < 10


def test_train_eta_decay_reaches_the_protocol_and_a_bad_one_is_refused(cli, tmp_path):
    # Two presentations are too few for the hidden layer to learn: the run says so in its summary
    # and, to a Python user, as a MixsigWarning (one per summary warning).
    with pytest.warns(mixsig.MixsigWarning, match="the hidden layer did not learn") as w:
        r = mixsig.train("frozen-poisson", profile=None, presentations=2, test_every=2, n_test=2)
    assert [str(x.message) for x in w] == r.summary["warnings"]
    assert "test_accuracy=" in repr(r) and len(repr(r)) < 200
    assert r.summary["protocol"]["eta_decay"] == 1000.0  # the signed readout's
    r = mixsig.train("frozen-poisson", profile=None, presentations=2, test_every=2, n_test=2,
                     eta_decay=0)
    assert r.summary["protocol"]["eta_decay"] == 0.0
    assert r.summary["options"]["eta_decay"] == 0.0
    with pytest.raises(mixsig.MixsigError) as e:
        mixsig.train(profile=None, presentations=2, eta_decay=-3)
    # The keyword in Python, the flag on the command line.
    assert str(e.value) == "eta_decay = -3 must be finite and >= 0"
    assert cli_error(cli, "train", "--profile", "none", "--presentations", "2",
                     "--eta-decay=-3", "--out", str(tmp_path)) == \
        "invalid value '-3' for '--eta-decay <N>': must be a finite number >= 0"


def test_train_on_data_with_a_duration_and_its_errors(cli, tmp_path):
    # Two classes, two channels: class `up` fires channel 0 then 1, `down` the other way round.
    d = tmp_path / "task"
    d.mkdir()
    rows = ["file,label,split"]
    for k, (label, split) in enumerate([("up", "train"), ("down", "train"),
                                        ("up", "test"), ("down", "test")]):
        first, second = (0, 1) if label == "up" else (1, 0)
        (d / f"p{k}.csv").write_text(f"t_s,channel\n0.010,{first}\n0.035,{second}\n")
        rows.append(f"p{k}.csv,{label},{split}")
    (d / "labels.csv").write_text("\n".join(rows) + "\n")
    kw = dict(data=d, profile=None, presentations=2, test_every=2)
    # Default: the latest spike (35 ms) ends the first 70 % of a presentation.
    r = mixsig.train(**kw)
    assert math.isclose(r.summary["task"]["duration_s"], 0.035 / 0.7)
    r = mixsig.train(**kw, duration="120 ms")
    assert math.isclose(r.summary["task"]["duration_s"], 0.120)
    # Too short for the spikes: the CLI's error, naming the file of the latest spike.
    with pytest.raises(mixsig.MixsigError) as e:
        mixsig.train(**kw, duration="30 ms")
    assert "p0.csv" in str(e.value) and "0.035" in str(e.value)
    assert str(e.value) == cli_error(cli, "train", "--data", str(d), "--profile", "none",
                                     "--presentations", "2", "--test-every", "2",
                                     "--duration", "30 ms", "--out", str(tmp_path / "o"))
    with pytest.raises(mixsig.MixsigError, match="task directory"):
        mixsig.train("order", profile=None, presentations=2, duration="120 ms")
    # n_test would be ignored with data (its test rows are the test set): refused.
    with pytest.raises(mixsig.MixsigError, match="n_test applies to the built-in patterns"):
        mixsig.train(**kw, n_test=5)


def test_help_is_useful():
    text = pydoc.render_doc(mixsig.train, renderer=pydoc.plaintext)
    for word in ("feedback", "presentations", "profile", "learning curve", "MixsigError"):
        assert word in text
    assert "simulate" in (mixsig.__doc__ or "")
