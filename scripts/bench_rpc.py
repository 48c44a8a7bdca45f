"""Benchmark of the raw log fetch: the JSON-RPC transport (``registry.rpc``) against the path it
replaced (web3's ``HTTPProvider.make_request``), side by side on one chain.

Generates about ``--logs`` registry logs on a fresh anvil (titles and liens, in batches), then
reads them all with ``eth_getLogs`` in ranges of about 10,000 logs (as the indexer asks), in
``--rounds`` alternating rounds of each path. Prints a table, then as its last line one JSON
object with the keys ``logs``, ``web3_lps``, ``transport_lps`` (logs per second, median round)
and ``ratio`` (transport / web3).

    .venv/bin/python scripts/bench_rpc.py --logs 100000
"""

from __future__ import annotations

import json
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import click

from registry.accounts import dev_account
from registry.chain import AnvilNode
from registry.client import RegistryClient
from registry.deploy import deploy
from registry.rpc import connect
from registry.vin import generate_vin

BATCH = 500
Fetch = Callable[[str, list[Any]], Any]


class _Anvil(AnvilNode):
    """anvil without a block gas limit, so one transaction carries 500 registrations."""

    def command(self) -> list[str]:
        return [*super().command(), "--disable-block-gas-limit"]


def _generate(client: RegistryClient, logs: int) -> list[str]:
    """Titles, then a lien on each: ``logs`` logs in all, ``BATCH`` per block."""
    rng, seen = random.Random(3), set()
    vins: list[str] = []
    while len(vins) < logs // 2:
        v = generate_vin(rng)
        if v not in seen:
            seen.add(v)
            vins.append(v)
    owner = dev_account(5).address
    lender = client.as_(dev_account(1))
    client.admit_participant(lender.address, "lender", "Bench Bank")
    for i in range(0, len(vins), BATCH):
        chunk = vins[i : i + BATCH]
        client.issue_titles_batch(chunk, [owner] * len(chunk), [1] * len(chunk))
        lender.register_liens_batch(chunk, [False] * len(chunk))
    return vins


def _read_all(fetch: Fetch, addresses: list[str], start: int, end: int, step: int) -> int:
    count = 0
    for block in range(start, end + 1, step):
        params = [{"fromBlock": hex(block), "toBlock": hex(min(end, block + step - 1)),
                   "address": addresses}]  # fmt: skip
        count += len(fetch("eth_getLogs", params))
    return count


def _web3_fetch(url: str) -> Fetch:
    """The path the indexer used before: web3's provider, its reply unwrapped as it did."""
    from web3 import HTTPProvider

    provider = HTTPProvider(url, request_kwargs={"timeout": 300})

    def fetch(method: str, params: list[Any]) -> Any:
        return provider.make_request(method, params)["result"]

    return fetch


@click.command()
@click.option("--logs", default=100_000, show_default=True, help="Logs to generate and read.")
@click.option("--rounds", default=5, show_default=True, help="Alternating rounds of each path.")
def main(logs: int, rounds: int) -> None:
    node = _Anvil(state_interval=None)
    node.start()
    try:
        rpc = connect(node.rpc_url, timeout=300)
        deployment = deploy(rpc, dev_account(0))
        t0 = time.perf_counter()
        _generate(RegistryClient(rpc, deployment, dev_account(0)), logs)
        generated_s = time.perf_counter() - t0
        head = int(rpc.request("eth_blockNumber"), 16)
        step = 10_000 // BATCH  # blocks per request: about 10,000 logs (BATCH per block)
        paths = {"web3": _web3_fetch(node.rpc_url), "transport": rpc.request}
        args = (deployment.addresses, deployment.block, head, step)
        for fetch in paths.values():  # warm-up: the node answers its first reads slower
            _read_all(fetch, *args)
        seconds: dict[str, list[float]] = {name: [] for name in paths}
        counts: set[int] = set()
        for _ in range(rounds):
            for name, fetch in paths.items():
                t = time.perf_counter()
                counts.add(_read_all(fetch, *args))
                seconds[name].append(time.perf_counter() - t)
    finally:
        node.close()
    assert len(counts) == 1, f"the paths read different log counts: {counts}"
    (count,) = counts
    lps = {name: count / statistics.median(s) for name, s in seconds.items()}
    print(f"{count:,} logs generated in {generated_s:.0f} s; {rounds} rounds per path")
    print(f"{'path':<12}{'median s':>10}{'best s':>10}{'logs/s':>12}")
    for name, s in seconds.items():
        print(f"{name:<12}{statistics.median(s):>10.3f}{min(s):>10.3f}{lps[name]:>12,.0f}")
    print(json.dumps({"logs": count, "web3_lps": round(lps["web3"]),
                      "transport_lps": round(lps["transport"]),
                      "ratio": round(lps["transport"] / lps["web3"], 3)}))  # fmt: skip


if __name__ == "__main__":
    main()
