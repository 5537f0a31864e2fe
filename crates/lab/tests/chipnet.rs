//! Placing network files on chip profiles: placement, shared-bias design rules, bias requests.

use mixsig_chip::ChipProfile;
use mixsig_engine::Network;
use mixsig_lab::chipnet::bind;
use mixsig_lab::netfile::parse;

const BASE: &str = r#"
[[source]]
name = "in"
kind = "poisson"
size = 8
rate = "50 Hz"

[[population]]
name = "a"
size = 200
[population.params]
i_gain_mem = "106 pA"

[[population]]
name = "b"
size = 100
"#;

fn profile(name: &str) -> ChipProfile {
    ChipProfile::builtin(name).unwrap()
}

#[test]
fn populations_fill_cores_first_fit_and_span_cores() {
    let nf = parse(BASE, "t.toml", None).unwrap();
    let run = bind(&nf.spec, &nf.chip, &profile("dynapse2"), 1, "t.toml").unwrap();
    assert_eq!(run.placement[0].cores, vec![0]);
    // b (100) does not fit in the 56 neurons left on core 0: it spans cores 0 and 1.
    assert_eq!(run.placement[1].cores, vec![0, 1]);
    assert_eq!(run.placement[1].first_site, (0, 200));
    let sites = &run.binding.sites[1];
    assert_eq!(sites[55], (0, 255));
    assert_eq!(sites[56], (1, 0));
}

#[test]
fn shared_biases_conflict_on_one_core() {
    // b shares core 0 with a and asks for another membrane gain: a design-rule error naming both.
    let text = BASE.replace(
        "name = \"b\"\nsize = 100\n",
        "name = \"b\"\nsize = 10\n[population.params]\ni_gain_mem = \"200 pA\"\n",
    );
    let nf = parse(&text, "t.toml", None).unwrap();
    let e = bind(&nf.spec, &nf.chip, &profile("dynapse2"), 1, "t.toml")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("t.toml:"), "{e}");
    assert!(e.contains("core 0") && e.contains("SOIF_GAIN_N"), "{e}");
    assert!(
        e.contains("population `a`") && e.contains("population `b`"),
        "{e}"
    );
    // On its own core there is no conflict.
    let ok = text.replace(
        "name = \"b\"\nsize = 10\n",
        "name = \"b\"\nsize = 10\ncore = 2\n",
    );
    let nf = parse(&ok, "t.toml", None).unwrap();
    let run = bind(&nf.spec, &nf.chip, &profile("dynapse2"), 1, "t.toml").unwrap();
    assert_eq!(run.placement[1].cores, vec![2]);
    let b_gain = run.binding.instance.core(2).nominal.i_gain_mem;
    let a_gain = run.binding.instance.core(0).nominal.i_gain_mem;
    // Each core got its own request (through the generator: within a few percent).
    assert!((b_gain / 200e-12 - 1.0).abs() < 0.05, "{b_gain}");
    assert!((a_gain / 106e-12 - 1.0).abs() < 0.05, "{a_gain}");
}

#[test]
fn layout_parameters_are_not_biases() {
    let text = BASE.replace("i_gain_mem = \"106 pA\"", "c_mem = \"2 pF\"");
    let nf = parse(&text, "t.toml", None).unwrap();
    let e = bind(&nf.spec, &nf.chip, &profile("dynapse2"), 1, "t.toml")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("t.toml:12:"), "{e}");
    assert!(
        e.contains("c_mem") && e.contains("fixed by chip profile"),
        "{e}"
    );
}

#[test]
fn time_ratio_and_code_requests() {
    let text = format!(
        "{BASE}\n[[chip.bias]]\nname = \"SOIF_LEAK_N\"\ncore = 1\ntime = \"20 ms\"\n\
         [[chip.bias]]\nname = \"i_gain_mem\"\ncore = 1\nratio = 10\n"
    );
    let with_code =
        format!("{text}[[chip.bias]]\nname = \"SOIF_REFR_N\"\ncore = 3\ncoarse = 2\nfine = 100\n");
    let nf = parse(&text, "t.toml", None).unwrap();
    let prof = profile("ideal"); // exact generator: targets are met exactly
    let run = bind(&nf.spec, &nf.chip, &prof, 1, "t.toml").unwrap();
    let p = prof.nominal_params();
    let c1 = &run.binding.instance.core(1).nominal;
    // tau = C*U_T/(kappa*I)  =>  I = C*U_T/(kappa*tau)
    let want = p.c_mem * p.u_t / (p.kappa() * 0.02);
    assert!(
        (c1.i_tau_mem / want - 1.0).abs() < 1e-9,
        "{} vs {want}",
        c1.i_tau_mem
    );
    assert!((c1.i_gain_mem / (10.0 * want) - 1.0).abs() < 1e-9);
    // A time on a gain bias is refused.
    let bad = format!("{BASE}\n[[chip.bias]]\nname = \"SOIF_GAIN_N\"\ncore = 3\ntime = \"2 ms\"\n");
    let nf = parse(&bad, "t.toml", None).unwrap();
    let e = bind(&nf.spec, &nf.chip, &prof, 1, "t.toml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("no time target"), "{e}");
    // Unknown bias names are located.
    let bad = format!("{BASE}\n[[chip.bias]]\nname = \"SOIF_BOGUS\"\nvalue = \"1 pA\"\n");
    let nf = parse(&bad, "t.toml", None).unwrap();
    let e = bind(&nf.spec, &nf.chip, &prof, 1, "t.toml")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("t.toml:19:") && e.contains("SOIF_BOGUS"),
        "{e}"
    );
    // A code on a dynapse2 generator is used as given; the exact generator of `ideal` has no codes.
    let nf = parse(&with_code, "t.toml", None).unwrap();
    let e = bind(&nf.spec, &nf.chip, &prof, 1, "t.toml")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("t.toml:27:") && e.contains("code"), "{e}");
    let run = bind(&nf.spec, &nf.chip, &profile("dynapse2"), 1, "t.toml").unwrap();
    let r = run
        .biases
        .iter()
        .find(|b| b.report.bias == "SOIF_REFR_N")
        .unwrap();
    assert_eq!(r.core, 3);
    assert_eq!(r.report.code.map(|c| (c.coarse, c.fine)), Some((2, 100)));
}

#[test]
fn too_many_neurons_for_the_chip() {
    let text = BASE.replace("size = 200", "size = 5000");
    let nf = parse(&text, "t.toml", None).unwrap();
    let e = bind(&nf.spec, &nf.chip, &profile("dynapse2"), 1, "t.toml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("5100 neurons") && e.contains("1024"), "{e}");
}

#[test]
fn the_example_network_runs_on_every_profile() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/networks/ei_balanced.toml"
    ))
    .unwrap();
    for name in ["ideal", "dynapse2", "dynapse1", "fdsoi22"] {
        let mut nf = parse(&text, "ei_balanced.toml", None).unwrap();
        let run = bind(&nf.spec, &nf.chip, &profile(name), 3, "ei_balanced.toml")
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        nf.spec.chip = Some(run.binding);
        let mut net = Network::build(&nf.spec, 1e-5, 1).unwrap_or_else(|e| panic!("{name}: {e}"));
        net.run(0.3);
        let exc = net.rec.group("exc").unwrap();
        if name == "fdsoi22" {
            // Its 4-bit weights (step i_max/15) cannot hold the example's 0.1-0.3 nA weights: the
            // build says so instead of silently running a network without synapses.
            assert!(
                net.warnings.iter().any(|w| w.contains("round to zero")),
                "{:?}",
                net.warnings
            );
        } else {
            assert!(net.warnings.is_empty(), "{name}: {:?}", net.warnings);
            assert!(
                net.rec.counts[exc] > 0,
                "{name}: excitatory population silent"
            );
        }
    }
}
