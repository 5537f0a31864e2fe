#!/usr/bin/env python3
"""Check that `cargo build` of the mixsig binary and `cargo test --workspace` compile the shared
crates with the same features, so that the test suite and pytest (which build the binary after the
test executables) reuse the test build instead of compiling every mixsig crate a second time.

Compares `cargo tree -e features` of `-p mixsig-cli` (normal and build dependencies: what `cargo
build` compiles) with `--workspace` (plus dev-dependencies: what `cargo test --workspace`
compiles), crate by crate and version by version, for the crates the binary uses. Prints the crates
whose features differ and exits 1; the fix is a line in crates/cli/Cargo.toml that names the
missing features (see the comment there). Exit 0: the two builds share every compiled crate.
"""
import subprocess
import sys


def features(*args):
    out = subprocess.run(
        ["cargo", "tree", "-e", "features", "-f", "{p} {f}", "--prefix", "none", *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    crates = {}
    for line in out.splitlines():
        parts = line.split()
        # "name vX.Y.Z [(path)] feat1,feat2" lines; "(*)" marks a repeat, "feature ..." a feature node.
        if len(parts) < 2 or not parts[1].startswith("v") or parts[-1] == "(*)":
            continue
        feats = parts[-1] if len(parts) > 2 and not parts[-1].startswith("(") else ""
        crates.setdefault(f"{parts[0]} {parts[1]}", set()).add(feats)
    return crates


def main():
    binary = features("-p", "mixsig-cli", "-e", "normal,build")
    tests = features("--workspace", "-e", "normal,build,dev")
    diff = [(k, binary[k], tests.get(k)) for k in sorted(binary) if binary[k] != tests.get(k)]
    for name, b, t in diff:
        print(f"{name}: `cargo build` features {sorted(b)}, `cargo test --workspace` {sorted(t or [])}")
    if diff:
        print(
            f"{len(diff)} crate(s) would be compiled twice; name the missing features in "
            "crates/cli/Cargo.toml (feature unification with the test build)"
        )
        return 1
    print(f"feature sets agree on all {len(binary)} crates of the mixsig binary")
    return 0


if __name__ == "__main__":
    sys.exit(main())
