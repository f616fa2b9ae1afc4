"""The translations check (make test): every string in the code has a French translation, no
entry is fuzzy, and the catalogue holds nothing the code no longer has."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    "translations_check", ROOT / "scripts" / "translations_check.py"
)
check = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("translations_check", check)
_spec.loader.exec_module(check)

pytestmark = pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs gettext")


def tree(tmp_path: Path, code: str, po: str) -> tuple[Path, Path]:
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "strings.py").write_text(
        "from django.utils.translation import gettext as _\n" + code, encoding="utf-8"
    )
    catalogue = tmp_path / "django.po"
    catalogue.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n' + po,
        encoding="utf-8",
    )
    return tmp_path, catalogue


def test_the_shipped_catalogue_is_complete():
    assert check.problems(ROOT, "fr", check.catalogue_path(ROOT, "fr")) == []


def test_it_fails_naming_an_untranslated_string(tmp_path):
    root, po = tree(
        tmp_path,
        'A = _("Keep safe")\nB = _("A brand new string")\nC = _("Left empty")\n',
        'msgid "Keep safe"\nmsgstr "Restez en sécurité"\n\nmsgid "Left empty"\nmsgstr ""\n',
    )
    assert check.problems(root, "fr", po) == [
        "untranslated (not in django.po): 'A brand new string'",
        "untranslated (empty): 'Left empty'",
    ]


def test_it_fails_on_a_fuzzy_entry(tmp_path):
    root, po = tree(
        tmp_path,
        'A = _("Keep safe")\n',
        '#, fuzzy\nmsgid "Keep safe"\nmsgstr "Gardez la sécurité"\n',
    )
    assert check.problems(root, "fr", po) == ["fuzzy: 'Keep safe'"]


def test_it_fails_on_a_stale_catalogue(tmp_path):
    root, po = tree(
        tmp_path,
        'A = _("Keep safe")\n',
        'msgid "Keep safe"\nmsgstr "Restez en sécurité"\n\n'
        'msgid "Gone from the code"\nmsgstr "Plus dans le code"\n\n'
        '#~ msgid "Long gone"\n#~ msgstr "Parti depuis longtemps"\n',
    )
    assert check.problems(root, "fr", po) == [
        "stale (no longer in the code): 'Gone from the code'",
        "stale (obsolete entry): 'Long gone'",
    ]


def test_plurals_need_every_form(tmp_path):
    root, po = tree(
        tmp_path,
        'from django.utils.translation import ngettext\nA = ngettext("%d step", "%d steps", 2)\n',
        'msgid "%d step"\nmsgid_plural "%d steps"\nmsgstr[0] "%d étape"\nmsgstr[1] ""\n',
    )
    assert check.problems(root, "fr", po) == ["untranslated (empty): '%d step'"]


def test_the_script_exits_non_zero_and_names_the_string(tmp_path, monkeypatch, capsys):
    root, po = tree(tmp_path, 'A = _("A brand new string")\n', "")
    monkeypatch.setattr(check, "ROOT", root)
    monkeypatch.setattr(check, "catalogue_path", lambda r, lang: po)
    monkeypatch.setattr(check, "compile_catalogue", lambda p: None)
    assert check.main([]) == 1
    assert "'A brand new string'" in capsys.readouterr().err
