"""``{% render_form %}``: an empty form that names no one is rendered once per language; a
bound one (what was typed, its errors) and any other form every time."""

from django import forms
from django.template import engines
from django.utils import translation

from cases.forms import CloseForm, NoteForm
from victimsupport.templatetags import form_render

PAGE = engines["django"].from_string("{% load form_render %}{% render_form form %}")


def render(form) -> str:
    return PAGE.render({"form": form})


def test_an_empty_form_is_the_same_as_its_include_and_kept():
    form_render._rendered.clear()
    include = engines["django"].from_string('{% include "_form.html" %}')
    assert render(NoteForm()) == include.render({"form": NoteForm()})
    assert len(form_render._rendered) == 1
    render(NoteForm())
    assert len(form_render._rendered) == 1


def test_a_bound_form_shows_what_was_typed_and_its_errors():
    render(CloseForm())
    typed = render(CloseForm({"reason": "Moved <away>"}))
    assert "Moved &lt;away&gt;" in typed
    refused = render(CloseForm({"reason": ""}))
    assert 'class="error"' in refused
    assert 'class="error"' not in render(CloseForm())


def test_each_language_has_its_own_rendering():
    form_render._rendered.clear()
    with translation.override("en"):
        render(NoteForm())
    with translation.override("fr"):
        render(NoteForm())
    assert len(form_render._rendered) == 2


def test_a_form_that_does_not_say_so_or_has_initial_values_is_never_kept():
    class Other(forms.Form):
        name = forms.CharField()

    form_render._rendered.clear()
    render(Other())
    render(NoteForm(initial={"body": "Hello"}))
    assert "Hello" in render(NoteForm(initial={"body": "Hello"}))
    assert form_render._rendered == {}
