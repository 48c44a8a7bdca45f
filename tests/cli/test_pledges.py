"""`registry loan pledge`, `registry pledge …` and a pledged loan's `registry lien assign`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from tests.kit.chain import Registry

LENDER, LENDER2, FUNDER, FUNDER2 = "1", "2", "10", "11"  # the cast's dev accounts


def test_pledge_sell_release_through_the_cli(
    run: Callable[..., Result], registry: Registry
) -> None:
    loans = [registry.active_loan()[2] for _ in range(3)]
    f1, f2 = registry.cast.funder.address, registry.cast.funder2.address
    one = run("loan", "pledge", str(loans[0]), "--funder", f1, "--dev-account", LENDER)
    assert one.exit_code == 0, one.output
    assert "1 loan(s) pledged" in one.output and "LoanPledged" in one.output
    pool = run("loan", "pledge", *map(str, loans[1:]), "--funder", f1, "--dev-account", LENDER)
    assert pool.exit_code == 0 and "2 loan(s) pledged" in pool.output
    shown = run("pledge", "show", str(loans[0]))
    assert f"pledged to Harbor Warehouse Funding ({f1})" in shown.output

    twice = run("loan", "pledge", str(loans[0]), "--funder", f2, "--dev-account", LENDER)
    assert twice.exit_code == 1
    assert f"already pledged to funder {f1}" in twice.output and "Traceback" not in twice.output

    sold = run("pledge", "transfer", *map(str, loans[:2]), "--to", f2, "--dev-account", FUNDER)
    assert sold.exit_code == 0, sold.output
    assert "2 pledge(s) transferred" in sold.output
    stranger = run("pledge", "release", str(loans[0]), "--reason", "remittance",
                   "--dev-account", FUNDER)  # fmt: skip
    assert stranger.exit_code == 1 and "only the funder releases" in stranger.output
    done = run("pledge", "release", str(loans[0]), "--reason", "remittance",
               "--dev-account", FUNDER2)  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "is not pledged" in run("pledge", "show", str(loans[0])).output
    bad = run("pledge", "release", str(loans[1]), "--reason", "sale", "--dev-account", FUNDER2)
    assert bad.exit_code == 2  # a sale is `pledge transfer`: not a release reason


def test_a_pledged_loan_s_lien_is_assigned_with_the_funder_s_consent_file(
    run: Callable[..., Result], registry: Registry, tmp_path: Path
) -> None:
    _, lien_id, loan_id, _ = registry.pledged_loan()
    to = registry.cast.lender2.address
    refused = run("lien", "assign", str(lien_id), "--to", to, "--dev-account", LENDER)
    assert refused.exit_code == 1
    assert "needs the funder's signed consent" in refused.output
    out = tmp_path / "consent.json"
    signed = run("pledge", "consent", str(loan_id), "--to", to, "--out", str(out),
                 "--dev-account", FUNDER)  # fmt: skip
    assert signed.exit_code == 0, signed.output
    assigned = run("lien", "assign", str(lien_id), "--to", to, "--funder-consent", str(out),
                   "--dev-account", LENDER)  # fmt: skip
    assert assigned.exit_code == 0, assigned.output
    assert registry.reader.loan(loan_id).lender == to
    out.write_text("{}")
    garbled = run("lien", "assign", str(lien_id), "--to", registry.cast.lender.address,
                  "--funder-consent", str(out), "--dev-account", LENDER2)  # fmt: skip
    assert garbled.exit_code == 1 and "is not a consent file" in garbled.output


def test_the_registrar_admits_and_removes_a_funder(
    run: Callable[..., Result], registry: Registry
) -> None:
    newcomer = registry.cast.outsider.address
    admitted = run("participant", "admit", newcomer, "--role", "funder", "--name", "Pier Trust",
                   "--dev-account", "0")  # fmt: skip
    assert admitted.exit_code == 0, admitted.output
    assert run("participant", "check", newcomer, "--role", "funder").exit_code == 0
    refused = run("participant", "remove", newcomer, "--role", "funder", "--dev-account", FUNDER)
    assert refused.exit_code == 1 and "registrar role" in refused.output
    removed = run("participant", "remove", newcomer, "--role", "funder", "--dev-account", "0")
    assert removed.exit_code == 0, removed.output
    assert run("participant", "check", newcomer, "--role", "funder").exit_code == 1
