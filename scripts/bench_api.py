"""Benchmark (not a test): title-check, as-of title-check and history latency of the API at
10k and 1M events.

For each size it fills a fresh SQLite mirror with a realistic book through the indexer's own
projection code (synthetic decoded events -> ``apply_events``), starts the API with its
production server settings (``registry serve``: uvicorn, no reload, no access log), and drives
it from a separate process: an asyncio keep-alive HTTP/1.1 load loop against 127.0.0.1,
bounded in time. The as-of title checks (``?at=<block>``) ask for random VINs at random past
blocks between each VIN's title and the last block, so each answer is a replay of that VIN's
events up to then. Prints a table, then as its last line a JSON list with one object per
size: ``size``, ``p50_ms``, ``p99_ms``, ``rps`` (title check) and ``asof_p99_ms``.

    .venv/bin/python scripts/bench_api.py [--sizes 10000,1000000] [--seconds 8] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REGISTRY = "0x5fbdb2315678afecb367f032d93f642f64180aa3"
LOANS = "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512"
INSURANCE = "0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0"
CHAIN_ID = 31337
EVENTS_PER_BLOCK = 40


# ------------------------------------------------------------------------------ fill


def _addr(i: int) -> str:
    return "0x" + f"{i:040x}"


def _h(i: int) -> str:
    return "0x" + f"{i:064x}"


class _Book:
    """Synthetic decoded events, in chain order, for a book of vehicles."""

    def __init__(self, seed: int = 7) -> None:
        from registry.enums import Role

        self.rng = random.Random(seed)
        self.block = 1
        self.log = 0
        self.tx = 0
        self.lien = 0
        self.loan = 0
        self.times: dict[int, int] = {}
        self.lenders = [_addr(0x1000 + i) for i in range(20)]
        self.roles = {role.value: role.id for role in Role}

    def ev(self, event: str, address: str, /, **args: Any) -> Any:
        from registry.events import DecodedEvent

        if self.log >= EVENTS_PER_BLOCK:
            self.block += 1
            self.log = 0
        self.times.setdefault(self.block, 1_700_000_000 + self.block * 2)
        self.tx += 1
        e = DecodedEvent(
            event, address, self.block, _h(self.block), _h(10**12 + self.tx), self.log, args
        )
        self.log += 1
        return e

    def participants(self) -> list[Any]:
        out = []
        lender_role = "0x" + self.roles["LENDER"].hex()
        for i, who in enumerate(self.lenders):
            out.append(
                self.ev("RoleGranted", REGISTRY, role=lender_role, account=who, sender=_addr(1))
            )
            out.append(
                self.ev(
                    "ParticipantAdmitted",
                    REGISTRY,
                    account=who,
                    role=lender_role,
                    name=f"Lender {i} Bank",
                )
            )
        return out

    def vehicle(self, vin: str) -> list[Any]:
        r, out = self.rng, []
        owner = _addr(0x10_0000 + r.randrange(10**6))
        odo = r.randrange(5, 5_000)
        out.append(
            self.ev("TitleIssued", REGISTRY, vin=vin, owner=owner, registrar=_addr(1), odometer=odo)
        )
        for _ in range(2):
            odo += r.randrange(1_000, 20_000)
            out.append(
                self.ev(
                    "OdometerRecorded",
                    REGISTRY,
                    vin=vin,
                    recorder=_addr(3),
                    reading=odo,
                    notActual=False,
                )
            )
        lender = r.choice(self.lenders)
        self.lien += 1
        lien = self.lien
        out.append(
            self.ev(
                "LienRegistered",
                REGISTRY,
                lienId=lien,
                vin=vin,
                holder=lender,
                floorPlan=r.random() < 0.1,
            )
        )
        self.loan += 1
        out.append(
            self.ev(
                "LoanOriginated",
                LOANS,
                loanId=self.loan,
                lienId=lien,
                lender=lender,
                vin=vin,
                loanRef=_h(self.loan),
                termsHash=_h(1),
                scheduleHash=_h(2),
                originatedAt=1_700_000_000,
            )
        )
        out.append(
            self.ev(
                "LoanDisbursed",
                LOANS,
                loanId=self.loan,
                lender=lender,
                amount=2_000_000,
                disbursedAt=1_700_000_000,
            )
        )
        for _ in range(3):
            out.append(
                self.ev(
                    "LoanPaymentRecorded",
                    LOANS,
                    loanId=self.loan,
                    lender=lender,
                    amount=45_000,
                    paymentRef=_h(3),
                    paidAt=1_700_000_000,
                )
            )
        if r.random() < 0.3:
            out.append(
                self.ev("LienReleased", REGISTRY, lienId=lien, vin=vin, holder=lender, reason=1)
            )
        if r.random() < 0.1:
            out.append(
                self.ev("BrandApplied", REGISTRY, vin=vin, brand=2, actor=_addr(1), brands=4)
            )
        return out


def fill(db_url: str, events_target: int) -> list[str]:
    """Fills the mirror at ``db_url`` with about ``events_target`` events; returns the VINs."""
    from sqlmodel import Session

    from registry.db import make_engine, migrate
    from registry.db.models import Block, IndexerState
    from registry.indexer.apply import apply_events
    from registry.vin import generate_vin

    migrate(db_url)
    engine = make_engine(db_url)
    contracts = {REGISTRY: "CollateralRegistry", LOANS: "LoanLedger", INSURANCE: "InsuranceLedger"}
    book = _Book()
    vin_rng = random.Random(11)
    vins: list[str] = []
    seen: set[str] = set()
    pending = book.participants()
    total = 0
    while total < events_target:
        while len(pending) < 50_000 and total + len(pending) < events_target:
            vin = generate_vin(vin_rng)
            if vin in seen:
                continue
            seen.add(vin)
            vins.append(vin)
            pending.extend(book.vehicle(vin))
        with Session(engine) as session:
            apply_events(session, pending, book.times, contracts)
            session.commit()
        total += len(pending)
        pending = []
        print(f"  filled {total:,} events ({len(vins):,} vehicles)", file=sys.stderr)
    with Session(engine) as session:
        session.add(
            Block(
                number=book.block,
                hash=_h(book.block),
                parent_hash=_h(book.block - 1),
                timestamp=book.times[book.block],
            )
        )
        session.add(
            IndexerState(
                key=f"{CHAIN_ID}:{REGISTRY}",
                chain_id=CHAIN_ID,
                registry_address=REGISTRY,
                start_block=1,
                indexed_block=book.block,
                indexed_hash=_h(book.block),
                finalized_block=book.block,
                head_block=book.block,
                confirmations=2,
                updated_at=time.time(),
            )
        )
        session.commit()
    engine.dispose()
    return vins


# ------------------------------------------------------------------------------ load


async def _worker(port: int, paths: list[str], deadline: float, lat: list[float]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    rng = random.Random()
    length = re.compile(rb"content-length:\s*(\d+)", re.I)
    while time.perf_counter() < deadline:
        path = rng.choice(paths)
        t0 = time.perf_counter()
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        m = length.search(head)
        await reader.readexactly(int(m.group(1)) if m else 0)
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"{path}: {head[:60]!r}")
        lat.append(time.perf_counter() - t0)
    writer.close()


def load_main(port: int, paths_file: str, seconds: float, concurrency: int) -> None:
    """The load process: prints {"n", "p50_ms", "p99_ms", "rps"} as JSON."""
    paths = json.loads(Path(paths_file).read_text())
    lat: list[float] = []

    async def run() -> float:
        deadline = time.perf_counter() + seconds
        t0 = time.perf_counter()
        await asyncio.gather(*(_worker(port, paths, deadline, lat) for _ in range(concurrency)))
        return time.perf_counter() - t0

    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        pass
    elapsed = asyncio.run(run())
    lat.sort()
    n = len(lat)
    print(
        json.dumps(
            {
                "n": n,
                "p50_ms": round(lat[n // 2] * 1000, 3),
                "p99_ms": round(lat[min(n - 1, int(n * 0.99))] * 1000, 3),
                "rps": round(n / elapsed, 1),
            }
        )
    )


def _load(port: int, paths: list[str], seconds: float, concurrency: int) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(paths, fh)
    out = subprocess.run(
        [sys.executable, __file__, "--load", str(port), fh.name, str(seconds), str(concurrency)],
        check=True,
        capture_output=True,
        text=True,
    )
    os.unlink(fh.name)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# ------------------------------------------------------------------------------ main


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def bench_size(
    size: int, seconds: float, workers: int, concurrency: int, reuse: bool = False
) -> dict[str, Any]:
    work = Path(tempfile.gettempdir()) / f"bench-api-{size}"
    db_url = f"sqlite:///{work / 'registry.sqlite'}"
    vins_file = work / "vins.json"
    if reuse and vins_file.exists():
        vins = json.loads(vins_file.read_text())
    else:
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
        t0 = time.perf_counter()
        vins = fill(db_url, size)
        vins_file.write_text(json.dumps(vins))
        print(
            f"  mirror of {size:,} events filled in {time.perf_counter() - t0:.1f} s",
            file=sys.stderr,
        )
    from registry.contracts import Deployment, write_deployment

    write_deployment(work / "deployments.json", Deployment(CHAIN_ID, REGISTRY, LOANS, INSURANCE, 1))
    port = _free_port()
    env = {
        **os.environ,
        "REGISTRY_DATA_DIR": str(work),
        "REGISTRY_DATABASE_URL": db_url,
        "REGISTRY_DEPLOYMENTS_FILE": str(work / "deployments.json"),
        "REGISTRY_RPC_URL": "http://127.0.0.1:9",
        "REGISTRY_RATE_LIMIT_PER_SECOND": "0",
        "REGISTRY_API_WORKERS": str(workers),
        "REGISTRY_API_PORT": str(port),
    }
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "registry"), "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_up(port)
        rng = random.Random(5)
        sample = [rng.choice(vins) for _ in range(20_000)]
        title = [f"/vehicles/{v}/title-check" for v in sample]
        hist = [f"/vehicles/{v}/history?limit=50" for v in sample]
        asof = [f"/vehicles/{v}/title-check?at={b}" for v, b in _past(db_url, rng, 20_000)]
        _load(port, title[:2000], 1.0, concurrency)  # warm-up (connections, page cache)
        tc = _load(port, title, seconds, concurrency)
        hi = _load(port, hist, seconds, concurrency)
        ao = _load(port, asof, seconds, concurrency)
    finally:
        server.terminate()
        server.wait(10)
    return {"size": size, "vehicles": len(vins), "title": tc, "history": hi, "asof": ao}


def _past(db_url: str, rng: random.Random, n: int) -> list[tuple[str, int]]:
    """``n`` random (VIN, block) pairs: a block between the VIN's title and the last block."""
    from sqlalchemy import text

    from registry.db import make_engine

    engine = make_engine(db_url)
    with engine.connect() as conn:
        titles = conn.execute(text("SELECT vin, issued_block FROM titles")).all()
        last = int(conn.execute(text("SELECT max(block_number) FROM events")).scalar_one())
    engine.dispose()
    picks = [titles[rng.randrange(len(titles))] for _ in range(n)]
    return [(str(vin), rng.randint(int(issued), last)) for vin, issued in picks]


def _wait_up(port: int) -> None:
    import urllib.request

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the API did not start")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--load":
        port, paths, seconds, conc = sys.argv[2:6]
        load_main(int(port), paths, float(seconds), int(conc))
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,1000000")
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--reuse", action="store_true", help="reuse a mirror filled by a past run")
    args = ap.parse_args()
    results = [
        bench_size(int(s), args.seconds, args.workers, args.concurrency, args.reuse)
        for s in args.sizes.split(",")
    ]
    print(
        f"{'events':>10} {'vehicles':>9} | {'title p50':>9} {'p99':>7} {'rps':>7} | "
        f"{'history p50':>11} {'p99':>7} {'rps':>7} | {'as-of p50':>9} {'p99':>7} {'rps':>7}"
    )
    for r in results:
        t, h, a = r["title"], r["history"], r["asof"]
        print(
            f"{r['size']:>10,} {r['vehicles']:>9,} | {t['p50_ms']:>9.2f} {t['p99_ms']:>7.2f} "
            f"{t['rps']:>7.0f} | {h['p50_ms']:>11.2f} {h['p99_ms']:>7.2f} {h['rps']:>7.0f} | "
            f"{a['p50_ms']:>9.2f} {a['p99_ms']:>7.2f} {a['rps']:>7.0f}"
        )
    print(
        json.dumps(
            [
                {
                    "size": r["size"],
                    "p50_ms": r["title"]["p50_ms"],
                    "p99_ms": r["title"]["p99_ms"],
                    "rps": r["title"]["rps"],
                    "asof_p99_ms": r["asof"]["p99_ms"],
                }
                for r in results
            ]
        )
    )


if __name__ == "__main__":
    main()
