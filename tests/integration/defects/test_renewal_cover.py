"""Defect: accepting a renewal early moved the old contract to ``renewed`` at
once, and the entitlement check did not count that state as covering, so
the item had no cover for the rest of the old period. Cover is continuous:
the old contract covers to its end date, the new one from its start."""

from __future__ import annotations

from datetime import date, timedelta

from backend.coverage import service as contracts
from backend.coverage.models import ContractState as S
from backend.intake import service as intake
from tests.factories import NOCOVER_SERIAL

TODAY = date.today()


def test_a_renewal_accepted_two_months_early_leaves_no_gap_in_cover(uow, world):
    ref = contracts.open_inquiry(uow, world.agent, type_code="AMC", serials=[NOCOVER_SERIAL],
                                 customer_id=world.alice.customer_id).number
    old_end = TODAY + timedelta(days=60)
    contracts.send_offer(uow, world.agent, contract_ref=ref, amount="6000", starts_on=old_end - timedelta(days=364),
                         ends_on=old_end, instalments=1, type_code="AMC")
    contracts.accept_offer(uow, world.alice, contract_ref=ref)

    new = contracts.renew_contract(uow, world.alice, contract_ref=ref).number
    contracts.send_offer(uow, world.agent, contract_ref=new, amount="6000", starts_on=old_end + timedelta(days=1),
                         ends_on=old_end + timedelta(days=365), instalments=1, type_code="AMC")
    contracts.accept_offer(uow, world.alice, contract_ref=new)
    assert contracts.get_contract(uow, world.agent, contract_ref=ref).state == S.RENEWED

    def cover_on(day: date) -> str | None:
        return intake.check_entitlement(uow, world.alice, serial=NOCOVER_SERIAL, on=day).contract_number

    assert cover_on(TODAY) == ref
    assert cover_on(TODAY + timedelta(days=30)) == ref
    assert cover_on(old_end) == ref  # the old contract's last day
    assert cover_on(old_end + timedelta(days=1)) == new  # the new one's first: no gap day
    assert cover_on(old_end + timedelta(days=365)) == new
    assert cover_on(old_end + timedelta(days=366)) is None


def test_the_old_contracts_last_visits_still_become_jobs_after_an_early_renewal(uow, world):
    from backend.processes.contract_visits import schedule_due_visits

    ref = contracts.open_inquiry(uow, world.agent, type_code="AMC", serials=[NOCOVER_SERIAL],
                                 customer_id=world.alice.customer_id).number
    old_end = TODAY + timedelta(days=60)
    contracts.send_offer(uow, world.agent, contract_ref=ref, amount="6000", starts_on=old_end - timedelta(days=364),
                         ends_on=old_end, visits_per_year=12, instalments=1, type_code="AMC")
    contracts.accept_offer(uow, world.alice, contract_ref=ref)
    new = contracts.renew_contract(uow, world.alice, contract_ref=ref).number
    contracts.send_offer(uow, world.agent, contract_ref=new, amount="6000", starts_on=old_end + timedelta(days=1),
                         ends_on=old_end + timedelta(days=365), visits_per_year=12, instalments=1, type_code="AMC")
    contracts.accept_offer(uow, world.alice, contract_ref=new)

    made = schedule_due_visits(uow, horizon_days=45)
    assert made.jobs_created, "the renewed contract's visits due before its end must still be scheduled"
    plan = contracts.get_contract(uow, world.agent, contract_ref=ref)
    assert plan.state == S.RENEWED
