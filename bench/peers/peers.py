#!/usr/bin/env python3
"""Peer comparison: the reference workload in Rockpool DynapSim, Brian2 (Cython runtime and
cpp_standalone) and mixsig, in one run. Called by run.sh (which creates the venv); see docs/speed.md.

Workload: N in {256, 1024} DynapSim neurons (Rockpool 3.1 default parameters, mismatch off), 64
Poisson inputs at 20 Hz frozen into one spike raster that every simulator receives, all-to-all
input weights (uniform in [0, 0.2] x I_scale, one matrix shared by all), dt = 10 us, 1 s simulated,
one thread. Each simulator runs in its own subprocess; times are of the simulation loop only
(JIT/code generation/compilation excluded, reported apart where available).
"""

import json
import os
import platform
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DT = 1e-5
T = 1.0
N_IN = 64
RATE = 20.0
W_MAX = 0.2  # weights uniform in [0, W_MAX] in units of I_scale
SEED = 12345
STEPS = int(round(T / DT))
# Monte Carlo: independent 256-neuron networks; 16 short trials rather than 8 long ones so that the
# split over two workers can be even when one of them gets less of a shared core.
MC_TRIALS, MC_SECONDS = 16, 0.25

# Rockpool DynapSim 3.1 defaults (tests/data/dynapsim/params_default.json), used by the Brian2 model.
P = dict(
    Io=5e-13, Idc=5e-13, Igain_ahp=2.8368795160216287e-11, Igain_mem=2.1276595069119608e-11,
    Igain_syn=8.687943697793798e-09, Ipulse_ahp=3.5e-07, Ipulse=3.5e-08, Iref=1.05e-09,
    Ispkthr=1e-07, Itau_ahp=2.8368795160216287e-11, Itau_mem=5.319148767279902e-12,
    Itau_syn=8.687943420238042e-11, Iw_ahp=5e-13, C_ahp=4e-11, C_syn=2.45e-11,
    C_pulse_ahp=5e-13, C_pulse=5e-13, C_ref=1.5e-12, C_mem=3e-12, kappa_n=0.75, kappa_p=0.66,
    Ut=0.025, Vth=0.7, Iscale=1e-08,
)


def workload_path(n):
    return os.path.join(HERE, "work", f"workload_{n}.txt")


def make_workload(n):
    """Frozen input (spike steps per channel, at most one spike per channel per step) and weights."""
    rng = np.random.default_rng(SEED)
    raster = rng.random((STEPS, N_IN)) < RATE * DT
    w = np.random.default_rng(SEED + n).uniform(0.0, W_MAX, size=(N_IN, n))
    os.makedirs(os.path.dirname(workload_path(n)), exist_ok=True)
    with open(workload_path(n), "w") as f:
        f.write(f"{N_IN} {n} {STEPS} {DT!r}\n")
        f.write(" ".join(repr(float(x)) for x in w.ravel()) + "\n")
        for ch in range(N_IN):
            f.write(" ".join(str(k) for k in np.flatnonzero(raster[:, ch])) + "\n")
    return raster, w


def load_workload(n):
    with open(workload_path(n)) as f:
        head = f.readline().split()
        n_in, nn, steps = int(head[0]), int(head[1]), int(head[2])
        w = np.array([float(x) for x in f.readline().split()]).reshape(n_in, nn)
        steps_of = [np.array([int(k) for k in f.readline().split()], dtype=np.int64) for _ in range(n_in)]
    return w, steps_of, steps


# ---------------------------------------------------------------------------------------------
# Rockpool DynapSim (JAX, jit, CPU, float32)


def run_rockpool(n):
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax
    import jax.numpy as jnp
    from rockpool.devices.dynapse import DynapSim

    w, steps_of, steps = load_workload(n)
    raster = np.zeros((steps, N_IN), dtype=np.float32)
    for ch, ks in enumerate(steps_of):
        raster[ks, ch] = 1.0
    wj = jnp.asarray(w, dtype=jnp.float32)
    mod = DynapSim(n, dt=DT, percent_mismatch=None)
    chunk = 10_000  # 0.1 s per call: the weighted input of a whole second at N=1024 is 400 MB

    @jax.jit
    def evolve(m, x):
        # The all-to-all input projection (spike raster x weights, in units of I_scale) and DynapSim.
        out, state, _ = m(x @ wj, record=False)
        return out, state

    t0 = time.perf_counter()
    out, _ = evolve(mod, jnp.asarray(raster[:chunk]))
    out.block_until_ready()
    compile_s = time.perf_counter() - t0
    spikes = 0
    c0 = time.process_time()
    t0 = time.perf_counter()
    for c in range(0, steps, chunk):
        out, state = evolve(mod, jnp.asarray(raster[c : c + chunk]))
        # Carry the state to the next chunk: drop the batch axis; DynapSim returns its synaptic
        # current as `isyn` but reads it back from the attribute `iampa`.
        mod = mod.set_attributes({("iampa" if k == "isyn" else k): v[0] for k, v in state.items()})
        spikes += int(np.asarray(out).sum())
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    return dict(sim="rockpool", n=n, steps=steps, wall_s=wall, cpu_s=cpu, compile_s=compile_s, spikes=spikes,
                version=__import__("rockpool").__version__ + " / jax " + jax.__version__)


# ---------------------------------------------------------------------------------------------
# Brian2: the DynapSim step as equations (Euler, as DynapSim), frozen input as SpikeGeneratorGroup


def run_brian2(n, target):
    import brian2 as b2
    from brian2 import amp, farad, second, volt

    wmat, steps_of, steps = load_workload(n)
    b2.prefs.codegen.target = "cython" if target == "cython" else "numpy"
    workdir = os.path.join(HERE, "work", f"brian2_{target}_{n}")
    if target == "cpp_standalone":
        b2.set_device("cpp_standalone", directory=workdir, build_on_run=False)
        b2.prefs.devices.cpp_standalone.openmp_threads = 0
    b2.defaultclock.dt = DT * second
    kappa = (P["kappa_n"] + P["kappa_p"]) / 2
    t_pulse = P["Vth"] * P["C_pulse"] / P["Ipulse"]
    t_pulse_ahp = P["Vth"] * P["C_pulse_ahp"] / P["Ipulse_ahp"]
    tau_syn = (P["Ut"] / kappa) * P["C_syn"] / P["Itau_syn"]
    tau_ahp = (P["Ut"] / kappa) * P["C_ahp"] / P["Itau_ahp"]
    ns = dict(
        Io=P["Io"] * amp, Idc=P["Idc"] * amp, Itau_mem=P["Itau_mem"] * amp, Igain_mem=P["Igain_mem"] * amp,
        Ispkthr=P["Ispkthr"] * amp, q=(P["Ut"] / kappa) * P["C_mem"] * volt * farad,
        fb_exp=kappa / (kappa + 1.0), tau_syn=tau_syn * second, tau_ahp=tau_ahp * second,
        ahp_jump=(1 - np.exp(-t_pulse_ahp / tau_ahp)) * P["Igain_ahp"] / P["Itau_ahp"] * P["Iw_ahp"] * amp,
        syn_jump=(1 - np.exp(-t_pulse / tau_syn)) * P["Igain_syn"] / P["Itau_syn"] * P["Iscale"] * amp,
    )
    t_ref = P["Vth"] * P["C_ref"] / P["Iref"]
    eqs = """
    dimem/dt = imem / (tau * (imem + Igain_mem)) * (imem_inf + Ifb / Ileak * (imem + Igain_mem) - imem * (1 + iahp / Itau_mem)) : amp
    disyn/dt = (Io - isyn) / tau_syn : amp
    diahp/dt = (Io - iahp) / tau_ahp : amp
    Ileak = Itau_mem + iahp : amp
    Iin = clip((isyn - Ileak + Idc) * int(not_refractory), Io, 1*amp) : amp
    imem_inf = Igain_mem / Itau_mem * (Iin - Ileak) : amp
    Ifb = Io * (imem / Io) ** fb_exp : amp
    tau = q / Ileak : second
    """
    g = b2.NeuronGroup(n, eqs, threshold="imem > Ispkthr", reset="imem = Io; iahp += ahp_jump",
                       refractory=t_ref * second, method="euler", namespace=ns)
    g.imem = ns["Io"]
    g.isyn = ns["Io"]
    g.iahp = ns["Io"]
    idx = np.concatenate([np.full(len(ks), ch) for ch, ks in enumerate(steps_of)])
    tt = np.concatenate(steps_of) * DT
    inp = b2.SpikeGeneratorGroup(N_IN, idx, tt * second)
    syn = b2.Synapses(inp, g, "w : 1", on_pre="isyn_post += w * syn_jump", namespace=ns)
    syn.connect()  # all-to-all, i = input, j = neuron
    syn.w = wmat.ravel()  # Brian2's all-to-all order is pre-major, as the matrix
    mon = b2.SpikeMonitor(g, record=False)
    net = b2.Network(g, inp, syn, mon)
    if target == "cpp_standalone":
        import resource

        def child_cpu():
            r = resource.getrusage(resource.RUSAGE_CHILDREN)
            return r.ru_utime + r.ru_stime

        t0 = time.perf_counter()
        net.run(steps * DT * second)
        b2.device.build(directory=workdir, compile=True, run=False)
        compile_s = time.perf_counter() - t0
        c0 = child_cpu()
        t0 = time.perf_counter()
        b2.device.run(directory=workdir)
        # The whole generated binary: loading arrays, the loop, writing results.
        wall = time.perf_counter() - t0
        cpu = child_cpu() - c0
        loop_clock = b2.device._last_run_time  # the loop as Brian2 reports it (std::clock: CPU time)
        spikes = int(mon.num_spikes)
    else:
        t0 = time.perf_counter()
        net.run(1e-3 * second)  # code generation and Cython compilation happen here
        compile_s = time.perf_counter() - t0
        c0 = time.process_time()
        t0 = time.perf_counter()
        net.run((steps * DT - 1e-3) * second)
        # The 1 ms warm-up is not timed; scale to the full second.
        wall = (time.perf_counter() - t0) * steps / (steps - 100)
        cpu = (time.process_time() - c0) * steps / (steps - 100)
        spikes = int(mon.num_spikes)
    extra = dict(loop_clock_s=loop_clock) if target == "cpp_standalone" else {}
    return dict(sim=f"brian2_{target}", n=n, steps=steps, wall_s=wall, cpu_s=cpu, compile_s=compile_s, **extra,
                spikes=spikes, version=b2.__version__)


# ---------------------------------------------------------------------------------------------
# mixsig


MIXSIG = None  # path of the built runner (crates/engine/benches/peers.rs)


def build_mixsig():
    """Build the runner once (release profile) and return the executable's path."""
    out = subprocess.run(["cargo", "bench", "-q", "-p", "mixsig-engine", "--bench", "peers", "--no-run",
                          "--message-format=json"], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg.get("executable") and \
                msg["target"]["name"] == "peers":
            # A private copy: a rebuild of the checkout during the run must not change what runs.
            os.makedirs(os.path.join(HERE, "work"), exist_ok=True)
            exe = os.path.join(HERE, "work", "mixsig-peers")
            shutil.copy2(msg["executable"], exe)
            return exe
    raise RuntimeError("cargo did not report the peers runner's executable")


def run_mixsig(*args, cpu="0"):
    cmd = ["taskset", "-c", cpu, MIXSIG, *args] if cpu else [MIXSIG, *args]
    out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def run_child(what, n):
    """Run one peer in a subprocess (a fresh interpreter each: no state shared between runs)."""
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
               JAX_PLATFORMS="cpu")
    cmd = ["taskset", "-c", "0", sys.executable, __file__, "child", what, str(n)]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stdout + p.stderr)
        raise RuntimeError(f"{what} N={n} failed")
    return json.loads(p.stdout.strip().splitlines()[-1])


def machine():
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def main():
    load0 = loadavg()
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()) + " (start)"
    sizes = [256, 1024]
    global MIXSIG
    print("building mixsig (release)...", flush=True)
    MIXSIG = build_mixsig()
    rows = []
    for n in sizes:
        make_workload(n)
        for what in ["mixsig", "mixsig_f32", "rockpool", "brian2_cython", "brian2_cpp_standalone"]:
            print(f"N={n}: {what} ...", flush=True)
            if what.startswith("mixsig"):
                r = run_mixsig("workload", workload_path(n), *(["f32"] if what == "mixsig_f32" else []))
                r["version"] = "this checkout"
                r["sim"] = what
            else:
                r = run_child(what, n)
            r["neuron_steps_per_s"] = n * r["steps"] / r["wall_s"]
            print(f"   wall {r['wall_s']:.3f} s, CPU {r['cpu_s']:.3f} s, "
                  f"{r['neuron_steps_per_s'] / 1e6:.2f} M neuron-steps/s (wall), {r['spikes']} spikes", flush=True)
            rows.append(r)
    # The engine's own measurements.
    print("mixsig: scaling, Monte Carlo, arithmetic limit ...", flush=True)
    scaling = [run_mixsig("scaling", str(n), "1.0" if n <= 1024 else "0.2", *p)
               for p in [[], ["f32"]] for n in [256, 1024, 16384]]
    mc = [run_mixsig("montecarlo", str(MC_TRIALS), "256", str(MC_SECONDS), str(t), *p, cpu="0" if t == 1 else "0,1")
          for p in [[], ["f32"]] for t in [1, 2]]
    lim = [run_mixsig("limit", "1024", "100000", *p) for p in [[], ["f32"]]]
    with open(os.path.join(HERE, "work", "raw.json"), "w") as f:
        json.dump(dict(rows=rows, scaling=scaling, mc=mc, lim=lim, load0=load0, when=when), f)
    write_tables(rows, scaling, mc, lim, load0, when)


def loadavg():
    try:
        return open("/proc/loadavg").read().split()[0]
    except OSError:
        return "?"


def write_tables(rows, scaling, mc, lim, load0, when=None, load_end=None):
    for r in rows:  # the runner reports sim "mixsig" and the precision
        if r["sim"] == "mixsig" and r.get("precision") == "f32":
            r["sim"] = "mixsig_f32"
    date = when or time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    mach = machine()
    by = {(r["sim"], r["n"]): r for r in rows}
    lines = [f"Measured {date} on {mach}; shared machine, load average {load0} at the start and "
             f"{load_end or loadavg()} at the end of the run (other jobs compete for the 2 cores: wall times include "
             "waiting for a core, CPU times do not). Every run single-threaded and pinned to core 0.", "",
             "Wall: the simulation loop's elapsed time. CPU: the same loop's on-CPU time (mixsig: the "
             "thread's; Rockpool, Brian2 Cython: the process's; Brian2 cpp_standalone: the whole "
             "generated binary's, which includes loading and writing its arrays). Speed-up = peer time / "
             "mixsig time at the same N, for mixsig's f64 (default) and f32 state.", "",
             "| N | simulator | wall (s) | CPU (s) | neuron-steps per CPU-s | output spikes | spikes / mixsig's "
             "| f64 speed-up, wall | f64 speed-up, CPU | f32 speed-up, wall | f32 speed-up, CPU |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    csv = ["n,simulator,version,wall_s,cpu_s,compile_s,neuron_steps_per_s_wall,neuron_steps_per_s_cpu,spikes,"
           "spike_ratio_vs_mixsig,speedup_f64_wall,speedup_f64_cpu,speedup_f32_wall,speedup_f32_cpu"]
    for r in rows:
        m, m32 = by[("mixsig", r["n"])], by[("mixsig_f32", r["n"])]
        ratio = r["spikes"] / m["spikes"] if m["spikes"] else float("nan")
        sp = [r["wall_s"] / m["wall_s"], r["cpu_s"] / m["cpu_s"], r["wall_s"] / m32["wall_s"],
              r["cpu_s"] / m32["cpu_s"]]
        ns = r["n"] * r["steps"]
        lines.append(f"| {r['n']} | {r['sim']} | {r['wall_s']:.3f} | {r['cpu_s']:.3f} | {ns / r['cpu_s'] / 1e6:.2f} M | "
                     f"{r['spikes']} | {ratio:.4f} | " + " | ".join(f"{x:.1f}x" for x in sp) + " |")
        csv.append(f"{r['n']},{r['sim']},{r.get('version', '')},{r['wall_s']:.6f},{r['cpu_s']:.6f},"
                   f"{r.get('compile_s', 0):.3f},{ns / r['wall_s']:.1f},{ns / r['cpu_s']:.1f},{r['spikes']},"
                   f"{ratio:.5f}," + ",".join(f"{x:.3f}" for x in sp))
    lines += ["", "mixsig alone (engine Poisson source, uniform weights 0.1 I_scale, one thread):", "",
              "| state | N | simulated (s) | wall (s) | ns per neuron-step (wall) | ns per neuron-step (CPU) "
              "| CPU cost vs N=256 |", "|---|---:|---:|---:|---:|---:|---:|"]
    for s in scaling:
        prec = s.get("precision", "f64")
        base = [x for x in scaling if x.get("precision", "f64") == prec][0]["cpu_ns_per_neuron_step"]
        lines.append(f"| {prec} | {s['n']} | {s['steps'] * DT:.1f} | {s['wall_s']:.3f} | {s['ns_per_neuron_step']:.2f} | "
                     f"{s['cpu_ns_per_neuron_step']:.2f} | {s['cpu_ns_per_neuron_step'] / base:.2f}x |")
    lines += ["", f"Monte Carlo: {mc[0]['trials']} independent networks x {mc[0]['n']} neurons x "
              f"{mc[0]['steps'] * DT:.2f} s, rayon, pinned to 1 or 2 cores. Wall: the whole run's elapsed time. "
              "CPU per worker: each rayon thread's on-CPU time and the trials it ran; the busiest worker's CPU "
              "is the wall time the run takes on otherwise idle cores (on a saturated shared machine the wall "
              "time measures the queue instead). Speed-up = 1-thread time / 2-thread time:", "",
              "| state | threads | wall (s) | speed-up (wall) | total CPU (s) | CPU per worker (s) | trials per worker "
              "| speed-up (busiest worker CPU) |",
              "|---|---:|---:|---:|---:|---|---|---:|"]
    for m in mc:
        prec = m.get("precision", "f64")
        one = [x for x in mc if x.get("precision", "f64") == prec and x["threads"] == 1][0]
        busy = m.get("cpu_busiest_worker_s")
        busy_r = f"{one['cpu_busiest_worker_s'] / busy:.2f}x" if busy and one.get("cpu_busiest_worker_s") else "-"
        per = " / ".join(f"{c:.3f}" for c in m.get("cpu_per_worker_s", [])) or "-"
        tri = " / ".join(str(t) for t in m.get("trials_per_worker", [])) or "-"
        tot = m.get("cpu_total_s")
        tot_s = f"{tot:.3f}" if tot else "-"
        lines.append(f"| {prec} | {m['threads']} | {m['wall_s']:.3f} | "
                     f"{m['neuron_steps_per_s'] / one['neuron_steps_per_s']:.2f}x | {tot_s} | {per} | {tri} | {busy_r} |")
    lines += ["", "Arithmetic limit: the bare vectorized DynapSim update of 1024 neurons (no input events, routing, "
              "spike list or recording), against the whole engine on the N=1024 workload, per CPU-second:", "",
              "| state | instruction set | bare update | whole engine | engine / limit |", "|---|---|---:|---:|---:|"]
    for l in lim:
        prec = l.get("precision", "f64")
        eng = by[("mixsig" if prec == "f64" else "mixsig_f32", 1024)]
        eng_cpu = eng["n"] * eng["steps"] / eng["cpu_s"]
        lines.append(f"| {prec} | {l.get('simd', '-')} | {l['cpu_neuron_steps_per_s'] / 1e6:.1f} M | {eng_cpu / 1e6:.1f} M | "
                     f"{eng_cpu / l['cpu_neuron_steps_per_s'] * 100:.0f}% |")
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    with open(os.path.join(HERE, "results.md"), "w") as f:
        f.write(text)
    with open(os.path.join(HERE, "results.csv"), "w") as f:
        f.write("\n".join(csv) + "\n")
    print(f"written {os.path.join(HERE, 'results.md')} and results.csv")


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "tables":  # re-render from work/raw.json
        with open(os.path.join(HERE, "work", "raw.json")) as f:
            raw = json.load(f)
        write_tables(raw["rows"], raw["scaling"], raw["mc"], raw["lim"], raw["load0"], raw.get("when"),
                     raw.get("load_end"))
    elif len(sys.argv) >= 2 and sys.argv[1] == "child":
        what, n = sys.argv[2], int(sys.argv[3])
        if what == "rockpool":
            r = run_rockpool(n)
        elif what.startswith("brian2_"):
            r = run_brian2(n, what[len("brian2_"):])
        else:
            raise SystemExit(f"unknown peer {what}")
        print(json.dumps(r))
    else:
        main()
