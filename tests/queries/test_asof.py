"""As-of answers from the mirror's events, against the chain read at the same block.

The oracle is the contracts themselves: at every block around a lien registration, a brand,
a release and a transfer, the as-of title check must say what ``titleOf``/``activeLiensOf``
say at that block; the same answers from a SQLite and a PostgreSQL mirror; a certificate
taken as of a past block verifies against the chain, and fails once edited.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from registry.certificates import certificate_id, seal, verify_certificate
from registry.errors import NotFound, OutOfRange
from registry.queries import mirror_state, read_snapshot
from registry.queries.asof import liens_at, resolve, title_certificate_at
from registry.queries.vehicles import title_certificate
from tests.kit.chain import Registry
from tests.kit.cli import registry_env, run_registry
from tests.kit.mirror import Mirror


def _story(reg: Registry) -> tuple[str, dict[str, int]]:
    """A VIN's life: issued, two liens, a brand, the first lien released, a consented
    transfer; the block of each step."""
    c = reg.cast
    vin = reg.title()
    at = {"issued": _head(reg)}
    first = reg.lender.register_lien(vin)
    at["lien"] = first.block_number
    second = reg.lender2.register_lien(vin)
    at["second_lien"] = second.block_number
    at["brand"] = reg.registrar.apply_brand(vin, "flood").block_number
    at["release"] = reg.lender.release_lien(first.id).block_number
    consent = reg.consent(reg.lender2, vin, second.id, c.buyer, release=False)
    at["transfer"] = reg.owner.transfer_title_with_consent(
        vin, c.buyer.address, [consent]
    ).block_number
    return vin, at


def _head(reg: Registry) -> int:
    return int(reg.rpc.request("eth_blockNumber", []), 16)


def _answer(mirror: Mirror, vin: str, at: str) -> dict[str, Any]:
    with read_snapshot(mirror.engine) as reader:
        state = mirror_state(reader)
        assert state is not None
        asof = resolve(reader, state, at)
        return title_certificate_at(reader, vin, asof, mirror.registry.deployment)


@pytest.fixture(scope="module")
def story(registry: Registry, tmp_path_factory: pytest.TempPathFactory) -> Any:
    vin, at = _story(registry)
    lite = Mirror.create(registry, tmp_path_factory.mktemp("asof-sqlite"))
    lite.index()
    return vin, at, lite


def test_asof_equals_the_chain_at_every_block_around_each_change(
    registry: Registry, story: Any
) -> None:
    vin, at, lite = story
    blocks = sorted({b + d for b in at.values() for d in (-1, 0)})
    with pytest.raises(NotFound, match="had no title at block"):
        _answer(lite, vin, str(at["issued"] - 1))
    for block in blocks[1:]:
        cert = _answer(lite, vin, str(block))
        title = registry.reader.title(vin, cert["block"]["number"])
        assert cert["block"]["number"] <= block
        assert cert["title"]["owner"] == title.owner.lower(), block
        assert cert["title"]["status"] == title.status, block
        assert sorted(b["brand"] for b in cert["brands"]) == sorted(title.brands), block
        assert [lien["lien_id"] for lien in cert["liens"]] == registry.reader.active_liens(
            vin, block
        ), block
        assert [lien["priority"] for lien in cert["liens"]] == list(
            range(1, len(cert["liens"]) + 1)
        )
    before, after = _answer(lite, vin, str(at["lien"] - 1)), _answer(lite, vin, str(at["lien"]))
    assert before["liens"] == [] and len(after["liens"]) == 1
    assert after["liens"][0]["holder_name"] == "First Auto Bank"
    assert after["liens"][0]["log_index"] is not None
    two = _answer(lite, vin, str(at["release"] - 1))
    assert [lien["holder_name"] for lien in two["liens"]] == ["First Auto Bank",
                                                              "Second Credit Union"]  # fmt: skip
    one = _answer(lite, vin, str(at["release"]))
    assert [(lien["holder_name"], lien["priority"]) for lien in one["liens"]] == [
        ("Second Credit Union", 1)
    ]
    assert _answer(lite, vin, str(at["brand"] - 1))["brands"] == []
    assert [b["brand"] for b in _answer(lite, vin, str(at["brand"]))["brands"]] == ["FLOOD"]
    c = registry.cast
    assert _answer(lite, vin, str(at["transfer"] - 1))["title"]["owner"] == c.owner.address.lower()
    assert _answer(lite, vin, str(at["transfer"]))["title"]["owner"] == c.buyer.address.lower()


def test_asof_now_is_the_current_certificate(story: Any) -> None:
    vin, _, lite = story
    with read_snapshot(lite.engine) as reader:
        state = mirror_state(reader)
        assert state is not None
        now = title_certificate(reader, vin, state, lite.registry.deployment)
        asof = title_certificate_at(
            reader, vin, resolve(reader, state, str(state.indexed_block)), lite.registry.deployment
        )
    for part in ("title", "odometer", "brands", "liens", "total_loss", "summary"):
        assert now[part] == asof[part], part


def test_instants_and_out_of_range(registry: Registry, story: Any) -> None:
    vin, at, lite = story
    block = registry.rpc.request("eth_getBlockByNumber", [hex(at["brand"]), False])
    t = int(block["timestamp"], 16)
    from datetime import UTC, datetime

    iso = datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    by_time = _answer(lite, vin, iso)
    assert by_time["block"]["timestamp"] == t
    assert by_time["block"]["number"] >= at["brand"]  # the last block of that second
    assert by_time == _answer(lite, vin, str(by_time["block"]["number"]))
    with pytest.raises(OutOfRange, match="before the registry's first block"):
        _answer(lite, vin, "2001-01-01")
    with pytest.raises(OutOfRange, match="in the future"):
        _answer(lite, vin, "2999-01-01T00:00:00Z")
    with pytest.raises(OutOfRange, match="in the future"):
        _answer(lite, vin, str(10**9))
    with pytest.raises(OutOfRange, match="before the registry's first block"):
        _answer(lite, vin, "0")


def test_same_asof_answers_on_sqlite_and_postgres(
    registry: Registry, story: Any, pg_url: str, tmp_path: Path
) -> None:
    vin, at, lite = story
    pg = Mirror.create(registry, tmp_path / "pg", pg_url)
    pg.index()
    for block in sorted({b + d for b in at.values() for d in (-1, 0)})[1:]:
        a, b = _answer(lite, vin, str(block)), _answer(pg, vin, str(block))
        assert certificate_id(a) == certificate_id(b), block
        with read_snapshot(lite.engine) as r1, read_snapshot(pg.engine) as r2:
            s1, s2 = mirror_state(r1), mirror_state(r2)
            assert s1 is not None and s2 is not None
            assert liens_at(r1, vin, resolve(r1, s1, str(block))) == liens_at(
                r2, vin, resolve(r2, s2, str(block))
            )


def test_certificate_as_of_a_past_block_verifies_and_fails_when_edited(
    registry: Registry, story: Any, tmp_path: Path
) -> None:
    vin, at, lite = story
    past = _answer(lite, vin, str(at["release"] - 1))  # two liens stood then
    assert len(past["liens"]) == 2
    statements = verify_certificate(seal(past), registry.reader)
    assert all(s.held for s in statements), [s for s in statements if not s.held]
    env = registry_env(
        data_dir=lite.data_dir,
        database_url=lite.url,
        rpc_url=registry.node.rpc_url,
        deployments_file=lite.data_dir / "deployments.json",
    )
    out = tmp_path / "cert.json"
    saved = run_registry("certificate", "save", vin, "--at", str(at["release"] - 1),
                         "--out", str(out), env=env)  # fmt: skip
    assert saved.returncode == 0, saved.stderr
    doc = json.loads(out.read_text())
    assert doc["certificate"] == past and doc["as_of"]["block"] == past["block"]["number"]
    ok = run_registry("certificate", "verify", str(out), env=env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "lien" in ok.stdout and "FAILED" not in ok.stdout
    # the second lien, edited to rank first: the id no longer matches and the chain disagrees
    doc["certificate"]["liens"][1]["priority"] = 1
    out.write_text(json.dumps(doc))
    bad = run_registry("certificate", "verify", str(out), env=env)
    assert bad.returncode == 1
    assert "FAILED" in bad.stdout and "ranks 1" in bad.stdout
    # re-sealed after the edit (a consistent forgery): still refused by the chain
    forged = seal(doc["certificate"])
    assert not all(s.held for s in verify_certificate(forged, registry.reader))
    refused = run_registry("certificate", "save", vin, "--at", "2001-01-01", "--out",
                           str(tmp_path / "x.json"), env=env)  # fmt: skip
    assert refused.returncode == 1 and "before the registry's first block" in refused.stderr
