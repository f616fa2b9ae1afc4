"""Bad input posted to the case pages and the intake steps (tests/property_pages.py)."""

from __future__ import annotations

from hypothesis import strategies as st

from cases import forms as f
from tests.property_pages import Page, page_tests, scene, url  # noqa: F401

CASE = {"pk": lambda s: s.case.pk}
DRAFT = {"pk": lambda s: s.draft.pk}
DRAFT_MODELS = ("cases.IntakeDraft", "cases.Case", "cases.Victim", "cases.NoticeAcknowledgement")

PAGES = [
    *[
        Page(
            f"cases:intake_step[{step}]",
            "cara",
            url("cases:intake_step", **DRAFT, step=lambda s, step=step: step),
            lambda s, form=form: [form()],
            DRAFT_MODELS,
            # The person step's answer to "this may be someone already known".
            extra={"confirm_new": st.sampled_from(["yes", "no", ""])} if step == "person" else {},
        )
        for step, form in [*f.STEP_FORMS.items(), ("notice", f.NoticeForm)]
    ],
    Page(
        "cases:note_add",
        "cara",
        url("cases:note_add", **CASE),
        lambda s: [f.NoteForm()],
        ("cases.Note",),
    ),
    Page(
        "cases:contact_add",
        "cara",
        url("cases:contact_add", **CASE),
        lambda s: [f.ContactForm()],
        ("cases.ContactLog",),
    ),
    Page(
        "cases:consent_add",
        "cara",
        url("cases:consent_add", **CASE),
        lambda s: [f.ConsentGiveForm()],
        ("cases.Consent",),
    ),
    Page(
        "cases:victim_edit",
        "cara",
        url("cases:victim_edit", **CASE),
        lambda s: [f.VictimForm(instance=s.case.victim)],
        ("cases.Victim",),
    ),
    Page(
        "cases:document_add",
        "cara",
        url("cases:document_add", **CASE),
        lambda s: [f.DocumentForm()],
        ("cases.Document",),
    ),
    Page(
        "cases:close",
        "cara",
        url("cases:close", **CASE),
        lambda s: [f.CloseForm()],
        ("cases.Case", "cases.StatusChange"),
    ),
    Page(
        "cases:break_glass",
        "sofia",
        url("cases:break_glass"),
        lambda s: [f.BreakGlassForm()],
        ("cases.BreakGlassAccess",),
    ),
]
(
    test_the_page_is_reached,
    test_the_page_given_tricky_queries_never_fails,
    test_bad_input_is_refused_and_nothing_is_stored,
    test_the_page_given_any_query_never_fails,
) = page_tests(PAGES)
