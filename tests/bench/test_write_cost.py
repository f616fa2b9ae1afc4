"""The cost of an audited write (bench/write_cost.py): CPU and queries per note, in one process."""

from __future__ import annotations

import pytest
from django.db import connection

from bench import write_cost
from demo.bulk import seed_cases
from demo.seed import seed_demo
from victimsupport.audit.chain import verify_chain

pytestmark = pytest.mark.django_db


def test_a_note_is_five_statements_and_the_chain_holds():
    seed_demo()
    seed_cases(10, batch_size=10)
    measured = write_cost.measure(10)
    assert measured["app_cpu_ms"] > 0
    kinds = measured["kinds"]
    # No second read of the case or its author.
    assert not [k for k in kinds if k.startswith("SELECT") and "audit_chainhead" not in k]
    if connection.vendor == "postgresql":
        # No separate move of the chain head: BEGIN, INSERT note, lock, INSERT entry (moving
        # the head), COMMIT; here SAVEPOINT and RELEASE, inside the test's own transaction.
        assert not [k for k in kinds if k.startswith("UPDATE")]
        assert measured["queries"] == 5
    assert verify_chain().ok


def test_queries_are_counted_by_kind():
    assert write_cost._kind('SELECT "x" FROM "audit_chainhead" WHERE id = 1 FOR UPDATE') == (
        "SELECT audit_chainhead FOR UPDATE"
    )
    assert write_cost._kind('2 times: UPDATE "audit_auditentry" SET seal = %s') == (
        "UPDATE audit_auditentry"
    )
    assert write_cost._kind("SAVEPOINT s1") == "SAVEPOINT"
