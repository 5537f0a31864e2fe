"""Execute every notebook in this directory top to bottom (what CI does).

    python notebooks/run.py [NOTEBOOK ...]

Each notebook runs in a fresh Python kernel (nbclient) with the repository root as working
directory; a cell that raises fails the run. The notebooks in git must have no outputs (this
script checks it); the executed copies, with outputs and plots, are written to runs/notebooks/.
Prints the wall time of each notebook.
"""

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def stripped(nb) -> bool:
    return all(
        c.cell_type != "code" or (not c.outputs and c.execution_count is None) for c in nb.cells
    )


def main(argv):
    paths = [Path(a) for a in argv] or sorted(HERE.glob("*.ipynb"))
    out_dir = ROOT / "runs" / "notebooks"
    out_dir.mkdir(parents=True, exist_ok=True)
    failed = []
    for p in paths:
        nb = nbformat.read(p, as_version=4)
        if not stripped(nb):
            print(f"{p.name}: has outputs; strip them before committing (jupyter nbconvert "
                  f"--clear-output --inplace {p})")
            failed.append(p.name)
            continue
        t0 = time.time()
        try:
            NotebookClient(nb, timeout=600, kernel_name="python3",
                           resources={"metadata": {"path": str(ROOT)}}).execute()
            status = "ok"
        except Exception as e:  # noqa: BLE001 - report any failure of a cell
            status = f"FAILED: {type(e).__name__}: {str(e)[-2000:]}"
            failed.append(p.name)
        nbformat.write(nb, out_dir / p.name)
        print(f"{p.name}: {status} in {time.time() - t0:.1f} s", flush=True)
    n = len(paths)
    print(f"notebooks: {n - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
