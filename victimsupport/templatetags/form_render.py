"""``{% render_form form %}``: a form through ``_form.html``, its empty rendering made once.

An empty form that names no one (no data, no initial values, fixed choices) renders the same
for every person and case: its labels change only with the language. A form class that says so
(``renders_alike_when_empty = True``) is rendered once per language and kept; a bound form
(showing what was typed and its errors) or any other form is rendered each time, as the
``{% include "_form.html" %}`` it replaces. The CSRF token is outside the form's fields and so
never kept.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()

FORM_TEMPLATE = "_form.html"

# (the template object, form class, prefix, auto_id, language) -> the rendered fields. The
# template object is in the key so that a template reloaded in development is used at once.
_rendered: dict[tuple[Any, ...], SafeString] = {}


def renders_alike(form: Any) -> bool:
    return (
        getattr(form, "renders_alike_when_empty", False)
        and not form.is_bound
        and not form.initial
        and not any(field.initial is not None for field in form.fields.values())
    )


@register.simple_tag(takes_context=True)
def render_form(context: template.Context, form: Any) -> SafeString:
    fields = context.template.engine.get_template(FORM_TEMPLATE)
    if not renders_alike(form):
        with context.push(form=form):
            return mark_safe(fields.render(context))
    key = (fields, type(form), form.prefix, form.auto_id, get_language())
    html = _rendered.get(key)
    if html is None:
        with context.push(form=form):
            html = _rendered[key] = mark_safe(fields.render(context))
    return html
