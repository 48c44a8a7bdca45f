"""The demo book holds, on chain, every case it claims to show; any size from the smallest."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from registry.chain import AnvilNode, ephemeral_anvil
from registry.cli import demo as demo_cli
from registry.contracts import write_deployment
from registry.demo import MIN_VEHICLES, DemoPlan, build_demo, demo_cast
from registry.demo_funders import PLEDGE_CASES
from registry.deploy import deploy
from registry.errors import InvalidInput
from registry.rpc import connect
from tests.kit.chain import Registry, private_registry
from tests.kit.cli import registry_env, run_registry


def test_demo_book_shows_each_case_on_chain(fresh_registry: Registry, tmp_path: Path) -> None:
    client = fresh_registry.registrar
    stages: list[str] = []
    book = build_demo(
        client,
        vehicles=60,
        seed=11,
        records_dir=tmp_path,
        progress=lambda stage, n: stages.append(stage),
    )
    cast = demo_cast()
    lenders = {a.address for a in cast.lenders}
    assert book.vehicles == 60 and book.loans > 20 and book.payments > book.loans
    assert "titles issued" in stages and "loans originated" in stages
    h = book.highlights

    pledged = [client.lien(i) for i in client.active_liens(h["double_pledge"])]
    assert len(pledged) == 2 and pledged[0].holder != pledged[1].holder
    assert [lien.priority for lien in pledged] == [1, 2]

    sot = client.title(h["sold_out_of_trust"])
    assert sot.owner in {a.address for a in cast.dealers}
    assert any(client.lien(i).floor_plan for i in client.active_liens(h["sold_out_of_trust"]))

    paid_at_sale = client.title(h["floor_plan_paid_at_sale"])
    assert paid_at_sale.owner == cast.owners[1].address and paid_at_sale.active_liens == 0

    total = client.title(h["total_loss"])
    assert total.status == "TOTAL_LOSS" and "SALVAGE" in total.brands

    assert client.title(h["repossessed"]).owner in lenders
    assert client.title(h["paid_off"]).active_liens == 0
    assert client.title(h["branded"]).brands == ("FLOOD", "ODOMETER_NOT_ACTUAL")
    clean = client.title(h["clean"])
    assert clean.active_liens == 0 and clean.brands == () and clean.status == "ACTIVE"

    records = list(tmp_path.rglob("loan-*.json"))
    assert len(records) == book.loans  # the lenders' private schedules, one per loan


def test_the_smallest_book_counts_its_progress_exactly(fresh_registry: Registry) -> None:
    client = fresh_registry.registrar
    done: list[int] = []
    book = build_demo(client, vehicles=MIN_VEHICLES, seed=5, progress=lambda _s, n: done.append(n))
    # 20 titles, 4 floor-plan liens (at least four dealer cars), 60% of the 12 consumer cars
    assert sum(done) == DemoPlan(MIN_VEHICLES).units == 20 + 4 + 7
    assert book.loans == 7 and len(set(book.highlights) - PLEDGE_CASES) == 10
    assigned = [client.lien(i) for i in client.liens_of(book.highlights["lien_assigned"])]
    assert any(lien.holder in {a.address for a in demo_cast().lenders} for lien in assigned)


def test_registry_demo_builds_the_smallest_book(tmp_path: Path) -> None:
    with ephemeral_anvil() as node:
        deployment = deploy(connect(node.rpc_url), demo_cast().registrar)
        write_deployment(tmp_path / "deployments.json", deployment)
        env = registry_env(rpc_url=node.rpc_url, data_dir=tmp_path)
        built = run_registry("demo", "--vehicles", "20", env=env, cwd=tmp_path)
    assert built.returncode == 0, built.stderr[-3000:]
    assert "Traceback" not in built.stderr
    counts = {(int(a), int(b)) for a, b in re.findall(r"(\d+)/(\d+)", built.stdout)}
    assert counts == {(31, 31)}, built.stdout  # never more done than the total, and all done
    assert "demo book: 20 vehicles" in built.stdout and "lien assigned" in built.stdout
    assert len(list((tmp_path / "loans").rglob("loan-*.json"))) == 7


def test_the_same_seed_builds_the_same_book() -> None:
    books = []
    for _ in range(2):
        with private_registry() as reg:
            book = build_demo(reg.registrar, vehicles=24, seed=3)
            seen = {}
            for case, vin in book.highlights.items():
                liens = [reg.registrar.lien(i) for i in reg.registrar.liens_of(vin)]
                seen[case] = (reg.registrar.title(vin), liens)
            books.append((book.highlights, book.liens, book.loans, seen))
    assert books[0] == books[1]


def test_the_demo_refuses_another_chain_with_its_own_message(tmp_path: Path) -> None:
    with AnvilNode(chain_id=1337) as node:
        deployment = deploy(connect(node.rpc_url), demo_cast().registrar)
        write_deployment(tmp_path / "deployments.json", deployment)
        env = registry_env(rpc_url=node.rpc_url, data_dir=tmp_path)
        refused = run_registry("demo", "--vehicles", "20", env=env, cwd=tmp_path)
    assert refused.returncode == 1
    assert "local chain only (chain id 31337), and this node is chain 1337" in refused.stderr
    assert "dev accounts only sign" not in refused.stderr  # the signer's error, before the fix


def test_too_small_a_book_is_refused(registry: Registry, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="at least 20 vehicles"):
        build_demo(registry.registrar, vehicles=MIN_VEHICLES - 1)
    vehicles = next(p for p in demo_cli.demo.params if p.name == "vehicles")
    assert isinstance(vehicles.type, click.IntRange) and vehicles.type.min == MIN_VEHICLES
    small = run_registry("demo", "--vehicles", "19", env=registry_env(), cwd=tmp_path)
    assert small.returncode == 2 and "20<=x<=200000" in small.stderr
