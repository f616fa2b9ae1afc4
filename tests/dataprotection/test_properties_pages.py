"""Bad input posted to the data-protection officer's pages: logging an access request and
its steps, the copy, its delivery, breaches and records (tests/property_pages.py)."""

from __future__ import annotations

from hypothesis import strategies as st

from dataprotection.forms import copy, delivery, records, requests, retention
from tests.properties import numbers, small_text
from tests.property_pages import Page, page_tests, scene, url  # noqa: F401

REQUEST = {"pk": lambda s: s.access_request.pk}
REQUESTS = ("dataprotection.AccessRequest", "dataprotection.RequestCase")

PAGES = [
    Page(
        "dataprotection:request_new",
        "dana",
        url("dataprotection:request_new"),
        lambda s: [requests.RequestLogForm()],
        REQUESTS,
    ),
    *[
        Page(
            f"dataprotection:request_{step}",
            "dana",
            url(f"dataprotection:request_{step}", **REQUEST),
            lambda s, form=form, step=step: [form(prefix=step)],
            REQUESTS,
        )
        for step, form in [
            ("identity", requests.IdentityCheckForm),
            ("feared", requests.FearedDecisionForm),
            ("extend", requests.ExtensionForm),
            ("close", requests.CloseForm),
        ]
    ],
    Page(
        "dataprotection:copy_redaction_add",
        "dana",
        url("dataprotection:copy_redaction_add", **REQUEST),
        lambda s: [copy.RedactionAddForm()],
        ("dataprotection.Redaction",),
    ),
    Page(
        "dataprotection:copy_withhold",
        "dana",
        url("dataprotection:copy_withhold", **REQUEST),
        lambda s: [copy.WithholdForm()],
        ("dataprotection.Withholding",),
    ),
    Page(
        "dataprotection:delivery_passphrase_sent",
        "dana",
        url("dataprotection:delivery_passphrase_sent", **REQUEST),
        lambda s: [delivery.PassphraseSentForm()],
        ("dataprotection.Delivery", *REQUESTS),
    ),
    Page(
        "dataprotection:delivery_hand_over",
        "dana",
        url("dataprotection:delivery_hand_over", **REQUEST),
        lambda s: [delivery.HandOverForm()],
        ("dataprotection.Delivery", *REQUESTS),
    ),
    Page(
        "dataprotection:breach_log",
        "dana",
        url("dataprotection:breach_log"),
        lambda s: [records.BreachLogForm()],
        ("dataprotection.Breach",),
    ),
    Page(
        "dataprotection:processing_add",
        "dana",
        url("dataprotection:processing_add"),
        lambda s: [records.ProcessingActivityForm(adding=True)],
        ("dataprotection.ProcessingActivity",),
    ),
    # The ids of the records listed come as hidden inputs, outside the form's fields.
    Page(
        "dataprotection:records_delete",
        "dana",
        url("dataprotection:records_delete"),
        lambda s: [retention.RecordsDeleteForm(prefix="access_request")],
        REQUESTS,
        extra={
            "kind": st.sampled_from(["access_request", "breach", "", "x"]),
            "access_request-ids": st.lists(st.one_of(numbers, small_text), max_size=4),
        },
        reach={"kind": "access_request"},
    ),
    Page(
        "dataprotection:legal_holds",
        "dana",
        url("dataprotection:legal_holds"),
        lambda s: [retention.LegalHoldForm()],
        ("dataprotection.LegalHold",),
    ),
]

(
    test_the_page_is_reached,
    test_the_page_given_tricky_queries_never_fails,
    test_bad_input_is_refused_and_nothing_is_stored,
    test_the_page_given_any_query_never_fails,
) = page_tests(PAGES)
