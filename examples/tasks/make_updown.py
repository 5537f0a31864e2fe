"""Write examples/tasks/updown/: a small task directory for `mixsig train --data` (docs/tasks.md).

Four channels fire a burst of three spikes each in turn, channel 0 first ("up") or channel 3
first ("down"); every presentation has the same spike count on every channel, only the order
differs. Burst onsets 15 ms apart from a random start in 10-20 ms, spikes 2 ms apart within a
burst, each time jittered by N(0, 1 ms). 12 train and 6 test presentations per class. The files
are deterministic (seed 7): run `python3 examples/tasks/make_updown.py` to write them again.
"""

import random
from pathlib import Path

OUT = Path(__file__).resolve().parent / "updown"
rng = random.Random(7)


def presentation(up: bool):
    start = rng.uniform(0.010, 0.020)
    rows = []
    for k, ch in enumerate(range(4) if up else range(3, -1, -1)):
        for s in range(3):
            t = start + 0.015 * k + 0.002 * s + rng.gauss(0.0, 0.001)
            rows.append((max(t, 0.0), ch))
    rows.sort()
    return "t_s,channel\n" + "".join(f"{t:.5f},{c}\n" for t, c in rows)


OUT.mkdir(exist_ok=True)
labels = ["file,label,split"]
for split, n in (("train", 12), ("test", 6)):
    for i in range(n):
        for label in ("up", "down"):
            name = f"{split}_{label}_{i:02d}.csv"
            (OUT / name).write_text(presentation(label == "up"))
            labels.append(f"{name},{label},{split}")
(OUT / "labels.csv").write_text("\n".join(labels) + "\n")
