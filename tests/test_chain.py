"""The local chain against real anvil processes: persistence, status, clear errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from registry import chain
from registry.config import Settings
from registry.errors import ChainUnavailable
from registry.rpc import connect

DEV_ACCOUNT_0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
DEV_ACCOUNT_1 = "0x70997970C51812dc3A010C7d01b50e0aec867b64"


def make_settings(data_dir: Path, port: int | None = None) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=data_dir,
        chain_host="127.0.0.1",
        chain_port=port or chain.free_port(),
        chain_block_time=None,
    )


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    s = make_settings(tmp_path / "data")
    yield s
    chain.stop(s)


def _rpc(url: str, method: str, params: list[Any] | None = None) -> Any:
    return connect(url, retries=0).request(method, params or [])


def send_value(url: str) -> str:
    """A plain transfer from an unlocked dev account; returns the tx hash."""
    tx = {"from": DEV_ACCOUNT_0, "to": DEV_ACCOUNT_1, "value": hex(10**18)}
    tx_hash: str = _rpc(url, "eth_sendTransaction", [tx])
    return tx_hash


def block_hash(url: str, number: int) -> str:
    block = _rpc(url, "eth_getBlockByNumber", [hex(number), False])
    return str(block["hash"])


def test_stop_and_start_keep_blocks_and_receipts(settings: Settings) -> None:
    proc = chain.start(settings)
    tx_hash = send_value(proc.rpc_url)
    _rpc(proc.rpc_url, "anvil_mine", [hex(5)])
    height = int(_rpc(proc.rpc_url, "eth_blockNumber"), 16)
    receipt = _rpc(proc.rpc_url, "eth_getTransactionReceipt", [tx_hash])
    hashes = {n: block_hash(proc.rpc_url, n) for n in range(height + 1)}

    assert chain.stop(settings) is True
    assert proc.state_file.is_file()
    assert not chain.status(settings).running

    again = chain.start(settings)
    assert again.pid != proc.pid
    assert int(_rpc(again.rpc_url, "eth_blockNumber"), 16) == height
    assert {n: block_hash(again.rpc_url, n) for n in range(height + 1)} == hashes
    after = _rpc(again.rpc_url, "eth_getTransactionReceipt", [tx_hash])
    assert after["blockHash"] == receipt["blockHash"]
    assert after["status"] == "0x1"


def test_status_reports_running_pid_chain_and_height(settings: Settings) -> None:
    before = chain.status(settings)
    assert (before.running, before.pid, before.block_number) == (False, None, None)

    proc = chain.start(settings)
    _rpc(proc.rpc_url, "anvil_mine", [hex(3)])
    now = chain.status(settings)
    assert now.running
    assert now.pid == proc.pid
    assert now.chain_id == chain.CHAIN_ID
    assert now.block_number == 3
    assert now.rpc_url == proc.rpc_url

    chain.stop(settings)
    assert chain.stop(settings) is False
    assert chain.status(settings).running is False


def test_starting_twice_is_a_clear_error(settings: Settings, tmp_path: Path) -> None:
    chain.start(settings)
    with pytest.raises(ChainUnavailable, match="already running"):
        chain.start(settings)
    # Another data dir, same port: the port is taken.
    other = make_settings(tmp_path / "other", port=settings.chain_port)
    with pytest.raises(ChainUnavailable, match="already in use"):
        chain.start(other)


def test_anvil_that_dies_at_start_is_reported_with_its_log(settings: Settings) -> None:
    files = chain.ChainFiles.of(settings)
    files.dir.mkdir(parents=True)
    files.state.write_text("not json")
    with pytest.raises(ChainUnavailable, match="failed to parse json") as info:
        chain.start(settings)
    assert "exited with code" in str(info.value)


def test_ephemeral_node_restarts_on_the_same_port_with_its_state(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with chain.ephemeral_anvil(block_time=None, state_file=state) as node:
        _rpc(node.rpc_url, "anvil_mine", [hex(4)])
        port, url = node.port, node.rpc_url
        node.stop()
        assert not node.is_running
        with pytest.raises(ChainUnavailable):
            _rpc(url, "eth_blockNumber")
        node.start()
        assert node.port == port
        assert int(_rpc(node.rpc_url, "eth_blockNumber"), 16) == 4
    assert not chain.port_in_use("127.0.0.1", port)


def test_ephemeral_node_without_state_starts_fresh() -> None:
    with chain.ephemeral_anvil() as node:
        _rpc(node.rpc_url, "anvil_mine", [hex(2)])
        node.stop()
        node.start()
        assert int(_rpc(node.rpc_url, "eth_blockNumber"), 16) == 0
        assert int(_rpc(node.rpc_url, "eth_chainId"), 16) == 31337
