"""The JSON-RPC transport against real anvils (running, stopped, behind a proxy that loses
answers) and a scripted node: retries with backoff, one mapping of failures, batches, threads."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from typing import Any

import pytest

from registry.chain import AnvilNode, ephemeral_anvil, free_port
from registry.client import RegistryClient
from registry.codec import Contract
from registry.errors import ChainUnavailable, NodeError, RejectedNotFound, TransactionFailed
from registry.rpc import connect
from tests.kit.chain import CAST, Registry
from tests.kit.rpc import lossy_proxy, scripted_node


def test_transport_failures_are_retried_with_growing_delays() -> None:
    failures = iter(range(2))

    def flaky(method: str, params: list[Any]) -> dict[str, Any] | None:
        return None if next(failures, None) is not None else {"result": "0x7a69"}

    with scripted_node(flaky) as (url, seen):
        rpc = connect(url, retries=3, backoff=0.2)
        assert rpc.chain_id() == 31337
    times = [t for _, t in seen.calls]
    assert seen.methods() == ["eth_chainId"] * 3
    gaps = [b - a for a, b in pairwise(times)]
    assert gaps[0] >= 0.2 and gaps[1] >= 0.4  # 0.2 s, then twice that


def test_retries_are_bounded() -> None:
    with scripted_node(lambda m, p: None) as (url, seen):
        rpc = connect(url, retries=2, backoff=0.05)
        with pytest.raises(ChainUnavailable, match=r"HTTP 503.*after 3 attempts"):
            rpc.request("eth_blockNumber")
    assert len(seen.calls) == 3


def test_a_stopped_node_is_chain_unavailable() -> None:
    with ephemeral_anvil() as node:
        url = node.rpc_url
        rpc = connect(url, retries=1)
        assert rpc.request("eth_blockNumber") == "0x0"
        node.stop()
        with pytest.raises(ChainUnavailable, match=f"cannot reach the chain node at {url}") as info:
            rpc.request("eth_blockNumber")
        assert info.value.code == "chain_unavailable" and info.value.status == 503


def test_a_node_that_comes_back_during_the_backoff_is_reached() -> None:
    node = AnvilNode(port=free_port())
    rpc = connect(node.rpc_url, retries=8, backoff=0.25)  # 0.25 … 2 s: 9 s of patience
    starter = threading.Timer(0.3, node.start)
    starter.start()
    try:
        assert int(rpc.request("eth_chainId"), 16) == 31337
    finally:
        starter.join()
        node.close()


def test_a_node_error_is_a_node_error(registry: Registry) -> None:
    with pytest.raises(NodeError) as info:
        registry.rpc.request("eth_noSuchMethod", [])
    error = info.value
    assert isinstance(error, TransactionFailed)  # what the indexer's range logic catches
    assert (error.code, error.status) == ("node_error", 502)
    assert error.details["method"] == "eth_noSuchMethod" and error.details["rpc_code"] == -32601
    with pytest.raises(NodeError, match="eth_getBlockByNumber"):
        registry.rpc.request("eth_getBlockByNumber", ["not a block", False])


def test_a_revert_is_the_decoded_contract_error(registry: Registry) -> None:
    registry_contract = Contract("CollateralRegistry", registry.deployment.registry)
    data = registry_contract.encode("releaseLien", 10**12)
    call = {"to": registry.deployment.registry, "data": data, "from": CAST.lender.address}
    with pytest.raises(RejectedNotFound, match="lien 1000000000000 does not exist") as info:
        registry.rpc.request("eth_call", [call, "latest"], action="releasing a lien")
    assert info.value.error_name == "RegistryLienNotFound"
    with pytest.raises(RejectedNotFound, match="lien 1000000000000 does not exist"):
        registry.rpc.request("eth_estimateGas", [call])


def test_batches_answer_in_call_order_across_chunks(registry: Registry) -> None:
    head = int(registry.rpc.request("eth_blockNumber"), 16)
    numbers = [n % (head + 1) for n in range(1_203)]  # three chunks of at most 500
    calls = [("eth_getBlockByNumber", [hex(n), False]) for n in numbers]
    blocks = registry.rpc.batch([("eth_chainId", []), *calls, ("eth_blockNumber", [])])
    assert blocks[0] == "0x7a69" and int(blocks[-1], 16) >= head
    assert [int(b["number"], 16) for b in blocks[1:-1]] == numbers
    with pytest.raises(NodeError, match="eth_noSuchMethod"):
        registry.rpc.batch([("eth_chainId", []), ("eth_noSuchMethod", [])])


def test_a_signed_transaction_whose_answer_was_lost_is_sent_once(
    registry: Registry, new_vin: Any
) -> None:
    def lose_first_send(method: str, n: int) -> bool:
        return method == "eth_sendRawTransaction" and n == 0

    with lossy_proxy(registry.node.rpc_url, lose_first_send) as (url, seen):
        registrar = RegistryClient(connect(url), registry.deployment, CAST.registrar)
        nonce = int(
            registry.rpc.request("eth_getTransactionCount", [CAST.registrar.address, "latest"]), 16
        )
        vin = new_vin()
        result = registrar.issue_title(vin, CAST.owner.address, 7)
    assert seen.methods().count("eth_sendRawTransaction") == 2  # resent after the lost answer
    after = int(
        registry.rpc.request("eth_getTransactionCount", [CAST.registrar.address, "latest"]), 16
    )
    assert after == nonce + 1  # mined once
    assert result.event("TitleIssued").args["vin"] == vin
    assert registry.registrar.title(vin).odometer == 7


def test_a_request_that_is_not_safe_to_resend_is_not_resent(registry: Registry) -> None:
    with lossy_proxy(registry.node.rpc_url, lambda method, n: method == "evm_mine") as (url, seen):
        before = int(registry.rpc.request("eth_blockNumber"), 16)
        with pytest.raises(ChainUnavailable):
            connect(url).request("evm_mine")
    assert seen.methods() == ["evm_mine"]
    assert int(registry.rpc.request("eth_blockNumber"), 16) == before + 1


def test_one_transport_serves_many_threads_over_few_connections() -> None:
    def echo(method: str, params: list[Any]) -> dict[str, Any]:
        time.sleep(0.002)
        return {"result": params[0]}

    with scripted_node(echo) as (url, seen):
        rpc = connect(url)
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda i: rpc.request("echo", [i]), range(400)))
    assert answers == list(range(400))  # each thread got its own answer
    assert len(seen.calls) == 400 and seen.connections <= 8  # kept alive and reused


def test_the_runtime_paths_need_no_web3() -> None:
    modules = ("registry.client", "registry.deploy", "registry.certificates", "registry.audit",
               "registry.indexer.runner", "api.deps", "api.freshness")  # fmt: skip
    probe = f"import sys, {', '.join(modules)}; print('web3' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"
