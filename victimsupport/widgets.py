"""Form widgets every app shares."""

from __future__ import annotations

from django import forms


class DateInput(forms.DateInput):
    """A browser date picker. Its value must be ISO 8601 (1992-11-02) whatever the language:
    a browser drops any other form ("02/11/1992" in British English) and shows an empty box,
    so saving the form would erase the date without anyone touching it."""

    input_type = "date"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")
