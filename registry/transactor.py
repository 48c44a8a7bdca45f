"""Sending transactions and reading receipts over the JSON-RPC transport (:mod:`registry.rpc`).

Raw requests keep the hot path cheap (no web3 result formatting); the transport maps a revert
to its domain error (:func:`registry.reverts.decode_revert`), so refusals come back decoded.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from registry.errors import ChainUnavailable, ConfigurationError, RegistryError, TransactionFailed
from registry.events import DecodedEvent, EventDecoder
from registry.rpc import Transport

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount


@dataclass(frozen=True)
class TxResult:
    """A mined transaction: where it landed, what it cost, and the registry events it emitted."""

    tx_hash: str
    block_number: int
    block_hash: str
    gas_used: int
    events: list[DecodedEvent] = field(default_factory=list)
    contract_address: str | None = None  # set for a contract creation
    #: the ids of the liens, loans, policies or claims the transaction created, in order
    ids: tuple[int, ...] = ()

    @property
    def id(self) -> int:
        """The id of the one lien, loan, policy or claim the transaction created."""
        if len(self.ids) != 1:
            raise TransactionFailed(
                f"transaction {self.tx_hash} created {len(self.ids)} records, not one",
                tx_hash=self.tx_hash,
            )
        return self.ids[0]

    def event(self, name: str) -> DecodedEvent:
        """The first event called ``name`` (the caller knows the action emits it)."""
        for ev in self.events:
            if ev.name == name:
                return ev
        raise TransactionFailed(f"transaction {self.tx_hash} emitted no {name} event")

    def all(self, name: str) -> list[DecodedEvent]:
        return [ev for ev in self.events if ev.name == name]


@dataclass(frozen=True)
class SignedTx:
    """A signed transaction not yet sent: its hash is known before the node sees it."""

    tx_hash: str
    raw: str
    nonce: int
    to: str | None
    data: str


class Transactor:
    """Signs with one account and sends; reads over raw RPC. One instance per signer."""

    def __init__(
        self,
        rpc: Transport,
        account: LocalAccount | None,
        decoder: EventDecoder | None = None,
        *,
        receipt_timeout: float = 120.0,
        poll_interval: float = 0.02,
    ) -> None:
        self.rpc = rpc
        self.account = account
        self.decoder = decoder or EventDecoder()
        self.receipt_timeout = receipt_timeout
        self.poll_interval = poll_interval
        self._chain_id: int | None = None
        self._gas_limit: int | None = None

    # ---------------------------------------------------------------- reads

    @property
    def endpoint(self) -> str:
        return self.rpc.endpoint

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = self.rpc.chain_id()
        return self._chain_id

    def block_gas_limit(self) -> int:
        """The latest block's gas limit (a transaction's gas may not exceed it)."""
        if self._gas_limit is None:
            block = self.rpc.request("eth_getBlockByNumber", ["latest", False])
            self._gas_limit = int(block["gasLimit"], 16)
        return self._gas_limit

    def block_number(self) -> int:
        return int(self.rpc.request("eth_blockNumber"), 16)

    def call(self, to: str, data: str, block: int | str = "latest", *, action: str = "") -> str:
        """eth_call (as the signer, if any); a revert becomes the matching domain error."""
        block_id = hex(block) if isinstance(block, int) else block
        tx: dict[str, Any] = {"to": to, "data": data}
        if self.account is not None:
            tx["from"] = self.account.address
        result: str = self.rpc.request("eth_call", [tx, block_id], action=action or "the call")
        return result

    # ------------------------------------------------------------ transacting

    def _signer(self) -> LocalAccount:
        if self.account is None:
            raise ConfigurationError("this instance has no signing key: it can only read")
        return self.account

    def send(self, to: str | None, data: str, *, action: str, gas: int | None = None) -> TxResult:
        """Estimates (surfacing any refusal as a domain error), signs, sends and waits.

        ``to=None`` deploys ``data`` as contract creation code.
        """
        account = self._signer()
        if gas is None:
            gas = self.estimate(to, data, action=action)
        nonce, gas_price = self.rpc.batch(
            [("eth_getTransactionCount", [account.address, "pending"]), ("eth_gasPrice", [])]
        )
        signed = self.sign(to, data, gas=gas, nonce=int(nonce, 16), gas_price=int(gas_price, 16))
        self.broadcast(signed, action=action)
        return self.wait(signed.tx_hash, to=to, data=data, action=action)

    def estimate(self, to: str | None, data: str, *, action: str) -> int:
        """The gas to give ``data`` (the node's estimate with a margin, at most a block's);
        a refusal comes back as its domain error."""
        tx: dict[str, Any] = {"from": self._signer().address, "data": data}
        if to is not None:
            tx["to"] = to
        estimate = int(self.rpc.request("eth_estimateGas", [tx], action=action), 16)
        return min(estimate + estimate // 5 + 10_000, self.block_gas_limit())

    def next_nonce(self) -> int:
        """The signer's next nonce, counting its pending transactions."""
        address = self._signer().address
        return int(self.rpc.request("eth_getTransactionCount", [address, "pending"]), 16)

    def gas_price(self) -> int:
        return int(self.rpc.request("eth_gasPrice"), 16)

    def sign(self, to: str | None, data: str, *, gas: int, nonce: int, gas_price: int) -> SignedTx:
        """Signs without sending, for callers that keep their own nonces (several
        transactions in flight) and record the hash before the node sees the transaction."""
        tx: dict[str, Any] = {"from": self._signer().address, "data": data, "gas": gas,
                              "gasPrice": gas_price, "nonce": nonce, "chainId": self.chain_id,
                              "value": 0}  # fmt: skip
        if to is not None:
            tx["to"] = to
        signed = self._signer().sign_transaction(tx)
        raw = "0x" + bytes(signed.raw_transaction).hex()
        return SignedTx("0x" + bytes(signed.hash).hex(), raw, nonce, to, data)

    def broadcast(self, signed: SignedTx, *, action: str) -> None:
        """Sends signed bytes (sending them again is harmless: see the transport)."""
        try:
            self.rpc.send_raw_transaction(signed.raw, signed.tx_hash, action=action)
        except ChainUnavailable as exc:
            tx_hash = signed.tx_hash
            exc.message += f" (transaction {tx_hash} may have reached it: check before retrying)"
            exc.details["tx_hash"] = tx_hash
            raise

    def wait(self, tx_hash: str, *, to: str | None, data: str, action: str) -> TxResult:
        """Waits for the receipt; a failed transaction is replayed to name its reason."""
        deadline = time.monotonic() + self.receipt_timeout
        receipt: dict[str, Any] | None = None
        while receipt is None:
            receipt = self.rpc.request("eth_getTransactionReceipt", [tx_hash])
            if receipt is None:
                if time.monotonic() > deadline:
                    raise ChainUnavailable(
                        f"{action}: transaction {tx_hash} was sent but not mined within "
                        f"{self.receipt_timeout:.0f} s; check it later before retrying",
                        tx_hash=tx_hash,
                    )
                time.sleep(self.poll_interval)
        block = int(receipt["blockNumber"], 16)
        if receipt["status"] != "0x1":
            error: RegistryError
            try:
                if to is None:
                    raise TransactionFailed(f"{action}: contract creation failed", tx_hash=tx_hash)
                self.call(to, data, block - 1, action=action)
                error = TransactionFailed(
                    f"{action} failed on chain (out of gas?)", tx_hash=tx_hash
                )
            except RegistryError as exc:
                error = exc
            error.details["tx_hash"] = tx_hash
            raise error
        events = [ev for log in receipt["logs"] if (ev := self.decoder.decode(log)) is not None]
        return TxResult(
            tx_hash=tx_hash,
            block_number=block,
            block_hash=receipt["blockHash"],
            gas_used=int(receipt["gasUsed"], 16),
            events=events,
            contract_address=receipt.get("contractAddress"),
        )
