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

/// `mixsig sim NET --biases FILE`: errors in the bias file name that file (not the network), and a
/// tuned code wins over a population's own request for the same bias on the same core (as in
/// `mixsig train --biases`), with the replaced request named in the bias list and a note.
#[test]
fn a_bias_file_is_named_in_its_errors_and_wins_over_population_requests() {
    let o = TempDir::new("simchip-biasfile");
    std::fs::create_dir_all(o.path()).unwrap();
    let net = o.join("net.toml");
    std::fs::write(
        &net,
        "[[population]]\nname = \"a\"\nsize = 2\n[population.params]\ni_gain_mem = \"40 pA\"\ni_dc = \"1 nA\"\n",
    )
    .unwrap();
    let write_biases = |name: &str, core: u32, bias: &str| {
        let p = o.join(name);
        std::fs::write(
            &p,
            format!("[chip]\nprofile = \"dynapse2\"\n\n[[chip.bias]]\nname = \"{bias}\"\ncore = {core}\ncoarse = 0\nfine = 68\n"),
        )
        .unwrap();
        p
    };
    let run = |biases: &std::path::Path, out: &str| {
        mixsig(&[
            "sim",
            net.to_str().unwrap(),
            "--profile",
            "dynapse2",
            "--biases",
            biases.to_str().unwrap(),
            "--duration",
            "0.05",
            "--out",
            o.join(out).to_str().unwrap(),
        ])
    };
    // A core the chip lacks and an unknown bias: the bias file's line and key.
    for (file, core, bias, needle) in [
        ("core9.toml", 9, "SOIF_GAIN_N", "core 9 does not exist"),
        ("name.toml", 0, "SOIF_GAINY", "unknown bias `SOIF_GAINY`"),
    ] {
        let b = write_biases(file, core, bias);
        let r = run(&b, "bad");
        assert_eq!(r.code, Some(1), "{r}");
        assert!(
            r.stderr.contains(&format!("{file}:5:")) && r.stderr.contains(needle),
            "{file}: {r}"
        );
        assert!(!r.stderr.contains("net.toml"), "{file}: {r}");
    }
    assert!(!o.join("bad").exists(), "nothing written");
    // SOIF_GAIN_N on core 0 at (0, 68) against the population's 40 pA: the file wins.
    let b = write_biases("gain.toml", 0, "SOIF_GAIN_N");
    let r = run(&b, "ok");
    assert_eq!(r.code, Some(0), "{r}");
    let line = r
        .stdout
        .lines()
        .find(|l| l.contains("SOIF_GAIN_N"))
        .unwrap_or_else(|| panic!("no SOIF_GAIN_N line\n{r}"));
    assert!(
        line.contains("(coarse 0, fine 68)")
            && line.contains("of ")
            && line.contains("gain.toml (over population `a`'s 40 pA)"),
        "{line}"
    );
    assert!(r.stderr.contains("the bias file wins"), "{r}");
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(o.join("ok").join("summary.json")).unwrap())
            .unwrap();
    let set = s["chip"]["biases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["report"]["bias"] == "SOIF_GAIN_N" && b["core"] == 0)
        .expect("SOIF_GAIN_N on core 0 in summary.json");
    assert_eq!(set["report"]["code"]["fine"], 68, "{set}");
}
