"""`registry watch`: add (VINs, a file, addresses), list, notices, remove; bad input refused
with the line or value named and nothing added."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from registry.cli.main import cli
from tests.kit.chain import CAST, Registry
from tests.kit.mirror import Mirror

DEALER = CAST.dealer.address


def run(mirror: Mirror, *args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--database-url", mirror.url])


def test_watch_commands(registry: Registry, tmp_path: Path) -> None:
    mirror = Mirror.create(registry, tmp_path, risk=True)
    vin, listed = registry.title(), registry.title()
    stock = tmp_path / "stock.csv"
    stock.write_text(f"vin,stock no\n{listed},A-1\n", encoding="utf-8")
    added = run(mirror, "watch", "add", vin, "--file", str(stock), "--address", DEALER,
                "--participant", DEALER, "--label", "lot")  # fmt: skip
    assert added.exit_code == 0, added.output
    assert f"3 watches for {DEALER.lower()}" in added.output
    out = json.loads(run(mirror, "watch", "list", "--participant", DEALER, "--json").output)
    assert [(w["kind"], w["target"], w["label"]) for w in out] == [
        ("vin", vin, "lot"), ("vin", listed, "lot"), ("address", DEALER.lower(), "lot"),
    ]  # fmt: skip

    registry.lien(listed)
    mirror.index()
    notices = run(mirror, "watch", "notices", "--participant", DEALER, "--vin", listed)
    assert notices.exit_code == 0 and f"{listed}: Lien " in notices.output
    assert (
        "no notices" in run(mirror, "watch", "notices", "--participant", CAST.owner.address).output
    )

    stock.write_text(f"{vin}\nWBAO0000000000000\n", encoding="utf-8")
    bad = run(mirror, "watch", "add", "--file", str(stock), "--participant", DEALER)
    assert bad.exit_code == 1 and "line 2" in bad.output
    assert run(mirror, "watch", "add", "--participant", DEALER).exit_code == 1  # nothing named
    removed = run(mirror, "watch", "remove", str(out[0]["id"]), "--participant", DEALER)
    assert removed.exit_code == 0 and "removed" in removed.output
    again = run(mirror, "watch", "remove", str(out[0]["id"]), "--participant", DEALER)
    assert again.exit_code == 1 and f"no watch {out[0]['id']}" in again.output
    assert (
        len(json.loads(run(mirror, "watch", "list", "--participant", DEALER, "--json").output)) == 2
    )
