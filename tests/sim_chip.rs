//! `mixsig sim` on chip profiles, end to end: the die in the summary, determinism per die, saved
//! instances, and the design-rule and argument errors.

mod common;
use common::*;

fn summary(dir: &TempDir) -> serde_json::Value {
    serde_json::from_str(&dir.read("summary.json")).expect("summary.json parses")
}

#[test]
fn sim_on_dynapse2_records_the_die_and_repeats_per_instance() {
    let a = TempDir::new("simchip-a");
    let r = mixsig(&[
        "sim",
        "--profile",
        "dynapse2",
        "--instance",
        "2",
        "--duration",
        "100 ms",
        "--out",
        a.s(),
    ]);
    assert!(r.ok(), "{r}");
    assert!(
        r.stdout
            .contains("on a die of profile `dynapse2` (instance 2)"),
        "{r}"
    );
    let s = summary(&a);
    assert_eq!(s["chip"]["profile"], "dynapse2");
    assert_eq!(s["chip"]["instance"], "2");
    let biases = s["chip"]["biases"].as_array().unwrap();
    let w0 = biases
        .iter()
        .find(|b| b["report"]["bias"] == "SYAM_W0_P")
        .expect("weight base set by the file");
    let achieved = w0["report"]["current"].as_f64().unwrap();
    assert!((achieved / 50e-12 - 1.0).abs() < 0.05, "{achieved}");
    let exc = s["populations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "exc")
        .unwrap()
        .clone();
    assert!(exc["spike_count"].as_u64().unwrap() > 0);

    let b = TempDir::new("simchip-b");
    let r = mixsig(&[
        "sim",
        "--profile",
        "dynapse2",
        "--instance",
        "2",
        "--duration",
        "100 ms",
        "--out",
        b.s(),
    ]);
    assert!(r.ok(), "{r}");
    assert_eq!(
        a.read("spikes.csv"),
        b.read("spikes.csv"),
        "same die, same spikes"
    );
    let c = TempDir::new("simchip-c");
    let r = mixsig(&[
        "sim",
        "--profile",
        "dynapse2",
        "--instance",
        "3",
        "--duration",
        "100 ms",
        "--out",
        c.s(),
    ]);
    assert!(r.ok(), "{r}");
    assert_ne!(a.read("spikes.csv"), c.read("spikes.csv"), "another die");
}

#[test]
fn a_saved_die_runs_like_the_sampled_one() {
    let d = TempDir::new("simchip-die");
    let r = mixsig(&[
        "chip",
        "sample",
        "dynapse2",
        "--instance",
        "5",
        "--out",
        d.s(),
    ]);
    assert!(r.ok(), "{r}");
    let inst = d.join("instance.toml");
    let net = "tests/data/networks/chip_plain.toml";
    let x = TempDir::new("simchip-x");
    let r = mixsig(&[
        "sim",
        net,
        "--profile",
        "dynapse2",
        "--instance",
        "5",
        "--out",
        x.s(),
    ]);
    assert!(r.ok(), "{r}");
    let y = TempDir::new("simchip-y");
    let r = mixsig(&[
        "sim",
        net,
        "--profile",
        "dynapse2",
        "--instance-file",
        inst.to_str().unwrap(),
        "--out",
        y.s(),
    ]);
    assert!(r.ok(), "{r}");
    assert!(
        !x.read("spikes.csv")
            .lines()
            .skip(1)
            .all(|l| l.contains(",in,")),
        "the neurons fire"
    );
    assert_eq!(x.read("spikes.csv"), y.read("spikes.csv"));
    // A network that sets biases cannot run on a saved die (its biases are frozen).
    let z = TempDir::new("simchip-z");
    let r = mixsig(&[
        "sim",
        "--profile",
        "dynapse2",
        "--instance-file",
        inst.to_str().unwrap(),
        "--out",
        z.s(),
    ]);
    assert_eq!(r.code, Some(1), "{r}");
    assert!(
        r.stderr.contains("keeps the biases it was saved with"),
        "{r}"
    );
    assert!(!z.path().exists());
}

#[test]
fn chip_errors_name_the_culprit() {
    let o = TempDir::new("simchip-err");
    let r = mixsig(&["sim", "--instance", "3", "--out", o.s()]);
    assert_eq!(r.code, Some(1), "{r}");
    assert!(r.stderr.contains("need a chip profile"), "{r}");
    let r = mixsig(&["sim", "--profile", "dynapse9", "--out", o.s()]);
    assert_eq!(r.code, Some(1), "{r}");
    assert!(r.stderr.contains("dynapse9"), "{r}");
    // Layout parameters are not biases: examples/networks/dc_step.toml is fine; c_mem is not.
    let bad = o.join("bad.toml");
    std::fs::create_dir_all(o.path()).unwrap();
    std::fs::write(
        &bad,
        "[[population]]\nname = \"a\"\nsize = 2\n[population.params]\nc_mem = \"2 pF\"\n",
    )
    .unwrap();
    let out = o.join("run");
    let r = mixsig(&[
        "sim",
        bad.to_str().unwrap(),
        "--profile",
        "dynapse2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, Some(1), "{r}");
    assert!(
        r.stderr.contains("bad.toml:5:") && r.stderr.contains("c_mem"),
        "{r}"
    );
    assert!(!out.exists(), "nothing written");
}
