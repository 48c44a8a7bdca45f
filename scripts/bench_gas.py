"""Gas used by each participant action, on a fresh anvil with realistic data (a benchmark).

Prints a table and, as its last line, one JSON object with the gas of: issue_title,
transfer_title, register_lien, release_lien, record_payment, register_liens_batch_per_lien.

    python scripts/bench_gas.py
"""

from __future__ import annotations

import json
import random
from datetime import date
from decimal import Decimal

from registry.accounts import dev_account
from registry.chain import ephemeral_anvil
from registry.client import RegistryClient
from registry.deploy import deploy
from registry.rpc import connect
from registry.schedules import LoanTerms, ScheduleKind, build_schedule, commitment_hashes
from registry.vin import generate_vin

TARGETS = {
    "issue_title": 110_000,
    "transfer_title": 45_000,
    "register_lien": 100_000,
    "release_lien": 40_000,
    "record_payment": 35_000,
    "register_liens_batch_per_lien": 60_000,
}
BATCH = 100


def measure() -> dict[str, int]:
    """Deploys, performs each action once (the batch once with 100 liens), returns gas used."""
    rng = random.Random(7)
    registrar, lender, dealer, owner, buyer = (dev_account(i) for i in (0, 1, 3, 5, 6))
    with ephemeral_anvil() as node:
        rpc = connect(node.rpc_url)
        reg = RegistryClient(rpc, deploy(rpc, registrar), registrar)
        reg.admit_participant(lender.address, "lender", "First Auto Bank")
        reg.admit_participant(dealer.address, "dealer", "Main Street Motors")
        bank = reg.as_(lender)

        # warm-up: a first title and lien so counters and roles are in their steady state
        warm = generate_vin(rng)
        reg.issue_title(warm, owner.address, 1_000)
        bank.release_lien(bank.register_lien(warm).id)

        vin = generate_vin(rng)
        gas = {"issue_title": reg.issue_title(vin, owner.address, 18_250).gas_used}
        gas["transfer_title"] = reg.as_(owner).transfer_title(vin, buyer.address).gas_used
        lien_tx = bank.register_lien(vin)
        gas["register_lien"] = lien_tx.gas_used
        lien_id = lien_tx.id

        terms = LoanTerms(Decimal("24000.00"), Decimal("0.0649"), 60, date(2027, 1, 15),
                          ScheduleKind.ANNUITY)  # fmt: skip
        schedule = build_schedule(terms)
        salt = rng.randbytes(32)
        loan_id = bank.originate_loan(
            lien_id, rng.randbytes(32), *commitment_hashes(schedule, salt)
        ).id
        bank.record_disbursement(loan_id, 2_400_000)
        instalment = int(schedule.instalments[0].total * 100)
        gas["record_payment"] = bank.record_payment(loan_id, instalment, rng.randbytes(32)).gas_used
        gas["release_lien"] = bank.release_lien(lien_id).gas_used

        vins = [generate_vin(rng) for _ in range(BATCH)]
        reg.issue_titles_batch(vins, [owner.address] * BATCH, [rng.randrange(10**5)] * BATCH)
        batch = bank.register_liens_batch(vins, [i % 10 == 0 for i in range(BATCH)])
        gas["register_liens_batch_per_lien"] = batch.gas_used // BATCH
    return gas


def main() -> None:
    measured = measure()
    gas = {name: measured[name] for name in TARGETS}  # the issue's order
    print(f"{'action':<32}{'gas':>10}{'target':>10}  ok")
    for name, used in gas.items():
        ok = "yes" if used <= TARGETS[name] else "NO"
        print(f"{name:<32}{used:>10,}{TARGETS[name]:>10,}  {ok}")
    print(json.dumps(gas))


if __name__ == "__main__":
    main()
