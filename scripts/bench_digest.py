"""Benchmark (not a test): `registry audit digest` over a mirror of about 1,000,000 events.

Fills (or, with ``--reuse``, reuses) the SQLite mirror ``scripts/bench_api.py`` builds, then
runs the real ``registry audit digest --json`` process on it ``--rounds`` times, timing each
(start-up, imports and the digest itself, as a user runs it), and checks every round printed
the same digest. Prints a table (with the CPU seconds each round used), then as its last line
one JSON object: ``events``, ``digest_s`` (the median round), ``rounds``.

    .venv/bin/python scripts/bench_digest.py [--size 1000000] [--rounds 3] [--reuse]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import bench_api  # noqa: E402  (the mirror's filler, beside this script)


def _children_cpu() -> float:
    """User and system CPU seconds of the finished child processes (load-independent-ish:
    on a shared machine the wall time also counts the waits for a core)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--reuse", action="store_true", help="reuse a mirror filled by a past run")
    args = ap.parse_args()
    work = Path(tempfile.gettempdir()) / f"bench-api-{args.size}"
    db_url = f"sqlite:///{work / 'registry.sqlite'}"
    if not (args.reuse and (work / "registry.sqlite").exists()):
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
        bench_api.fill(db_url, args.size)
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    env["REGISTRY_DATA_DIR"] = str(work)
    cmd = [str(Path(sys.executable).parent / "registry"), "audit", "digest", "--json",
           "--database-url", db_url]  # fmt: skip
    times, cpu, digests, events = [], [], set(), 0
    for i in range(args.rounds):
        t0, c0 = time.perf_counter(), _children_cpu()
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
        times.append(time.perf_counter() - t0)
        cpu.append(_children_cpu() - c0)
        doc = json.loads(out.stdout.strip().splitlines()[-1])
        digests.add(doc["digest"])
        events = doc["tables"]["events"]["rows"]
        print(f"  round {i + 1}: {times[-1]:.1f} s ({cpu[-1]:.1f} s of CPU)  {doc['digest']}",
              file=sys.stderr)  # fmt: skip
    assert len(digests) == 1, f"the digest changed between rounds: {digests}"
    print(f"{'events':>10} | {'digest median':>13} {'min':>6} {'max':>6}")
    print(
        f"{events:>10,} | {statistics.median(times):>11.1f} s {min(times):>6.1f} {max(times):>6.1f}"
    )
    print(json.dumps({"events": events, "digest_s": round(statistics.median(times), 2),
                      "rounds": args.rounds}))  # fmt: skip


if __name__ == "__main__":
    main()
