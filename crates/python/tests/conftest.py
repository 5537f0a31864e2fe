"""Shared fixtures: the repository root and the `mixsig` CLI binary (for comparing the Python
package with the command line)."""

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def cli() -> Path:
    """The `mixsig` binary: $MIXSIG_BIN, else built (or found up to date) by cargo."""
    env = os.environ.get("MIXSIG_BIN")
    if env:
        p = Path(env)
        assert p.is_file(), f"MIXSIG_BIN={env} is not a file"
        return p
    out = subprocess.run(
        ["cargo", "build", "--quiet", "--bin", "mixsig", "--message-format=json"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for line in out.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg.get("executable"):
            if Path(msg["executable"]).name == "mixsig":
                return Path(msg["executable"])
    raise RuntimeError("cargo built no `mixsig` executable")


def run_cli(cli: Path, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(cli), *args], cwd=cwd, capture_output=True, text=True, timeout=600
    )


def cli_error(cli: Path, *args: str) -> str:
    """The message the CLI prints after `error: ` (and its exit code must be non-zero)."""
    r = run_cli(cli, *args)
    assert r.returncode != 0, f"`mixsig {' '.join(args)}` succeeded: {r.stdout}"
    lines = [l for l in r.stderr.splitlines() if l.startswith("error: ")]
    assert lines, r.stderr
    return lines[-1][len("error: "):]
