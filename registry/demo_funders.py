"""The demo's funders: a warehouse lender and a securitisation trust, the pools the lenders
pledge to them, and the pledge cases the registry exists to show (a second pledge refused on
chain, a pool sale, a remittance, a pledged car branded, a pledged loan paid off with its
pledge still standing, a pledged loan's lien sold with the funder's consent).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from registry.accounts import dev_account
from registry.chunks import chunks
from registry.client import RegistryClient
from registry.errors import RejectedConflict

if TYPE_CHECKING:
    from registry.demo import DemoBook

FUNDERS = ("Harbor Warehouse Funding", "Keystone Auto Trust 2026-1")
#: The funders' dev accounts (the local chain funds 12; the demo's others use 0-9).
FUNDER_ACCOUNTS = (10, 11)
POOL_SHARE = 0.8  # of each lender's live loans
PLEDGE_BATCH = 200
#: The highlights the funders add to the demo book (as many as its pool has loans for).
PLEDGE_CASES = frozenset({"pledged_pool", "second_pledge_refused", "pledge_sold",
                          "pledge_remitted", "pledged_branded", "pledged_paid_off",
                          "pledged_lien_assigned"})  # fmt: skip


def build_pledges(
    client: RegistryClient,
    book: DemoBook,
    lenders: Sequence[RegistryClient],
    loans: dict[int, tuple[int, int, int]],
    vins: Sequence[str],
) -> None:
    """Admits the funders, pledges most live loans (``loans``: vehicle -> (lender index, lien,
    loan)) and plays the pledge cases, recording them in ``book.highlights``."""
    funders = [client.as_(dev_account(i)) for i in FUNDER_ACCOUNTS]
    for funder, name in zip(funders, FUNDERS, strict=True):
        client.admit_participant(funder.address, "funder", name)
    taken = set(book.highlights.values()) - {book.highlights.get("double_pledge")}
    live = [v for v in sorted(loans) if vins[v] not in taken]
    pool = live[: int(len(live) * POOL_SHARE)]
    by_lender: dict[int, list[int]] = {}
    for v in pool:
        by_lender.setdefault(loans[v][0], []).append(v)
    for li, vehicles in sorted(by_lender.items()):
        funder = funders[li % 2]  # lender 0 and 2 fund with the warehouse, 1 with the trust
        for chunk in chunks([loans[v][2] for v in vehicles], PLEDGE_BATCH):
            lenders[li].pledge_loans_batch(chunk, funder.address)
    if pool:
        book.highlights["pledged_pool"] = vins[pool[0]]
    _cases(client, book, lenders, funders, loans, vins, pool)


def _cases(
    client: RegistryClient,
    book: DemoBook,
    lenders: Sequence[RegistryClient],
    funders: Sequence[RegistryClient],
    loans: dict[int, tuple[int, int, int]],
    vins: Sequence[str],
    pool: Sequence[int],
) -> None:
    """One pledged loan per case, as far as the pool goes (the smallest book plays a few)."""
    cases = iter(pool)

    def take() -> tuple[int, RegistryClient, RegistryClient, RegistryClient] | None:
        """The next pledged vehicle, its lender, its funder and the other funder."""
        v = next(cases, None)
        if v is None:
            return None
        li = loans[v][0]
        return v, lenders[li], funders[li % 2], funders[(li + 1) % 2]

    # A second pledge of a pledged loan is refused on chain, naming the funder holding it.
    if (case := take()) is not None:
        v, bank, _, other = case
        try:
            bank.pledge_loan(loans[v][2], other.address)
        except RejectedConflict:
            book.highlights["second_pledge_refused"] = vins[v]

    # A sale: a funder sells its pledge to the other (release and pledge in one transaction).
    if (case := take()) is not None:
        v, _, holder, other = case
        holder.transfer_pledge(loans[v][2], other.address)
        book.highlights["pledge_sold"] = vins[v]

    # A remittance: the funder, repaid, releases its pledge.
    if (case := take()) is not None:
        v, _, holder, _ = case
        holder.release_pledge(loans[v][2], "remittance")
        book.highlights["pledge_remitted"] = vins[v]

    # A pledged car branded (its funder is alerted).
    if (case := take()) is not None:
        client.apply_brand(vins[case[0]], "hail")
        book.highlights["pledged_branded"] = vins[case[0]]

    # A pledged loan paid off while its pledge stands: the money has yet to reach the funder.
    if (case := take()) is not None:
        v, bank, _, _ = case
        bank.pay_off(loans[v][2])
        book.highlights["pledged_paid_off"] = vins[v]

    # A pledged loan's lien sold to another lender, with the funder's consent.
    if (case := take()) is not None:
        v, bank, holder, _ = case
        buyer = next(x for x in lenders if x.address != bank.address)
        deadline = int(time.time()) + 3600
        consent = holder.sign_pledge_consent(loans[v][2], buyer.address, deadline=deadline)
        bank.assign_lien(loans[v][1], buyer.address, consent)
        book.highlights["pledged_lien_assigned"] = vins[v]
