"""Every string in the code has a French translation, none is fuzzy, the catalogue is current.

Usage: python scripts/translations_check.py [--compile-only]

The strings are extracted afresh (Django's makemessages, into a temporary directory, so the
committed catalogue is never touched) and compared with locale/<lang>/LC_MESSAGES/django.po
for every shipped language but the source one. The check fails, naming the strings, when

- a string in the code has no entry in the catalogue, or an empty translation (untranslated);
- an entry is marked fuzzy (a guess by msgmerge that nobody has checked);
- an entry is no longer in the code, or kept as an obsolete "#~" entry (the file is stale:
  run `make messages` and translate what it adds).

Then the catalogues are compiled to .mo files (msgfmt, from the gettext package), which are
built, not committed. ``--compile-only`` compiles without checking (make run).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ["fr"]  # every shipped language but English, the language of the code
# Where user-facing strings live; tests, scripts, docs and the benchmark are not shipped pages.
SOURCES = [
    "victimsupport",
    "cases",
    "risk",
    "referrals",
    "premises",
    "dataprotection",
    "demo",
    "templates",
]
IGNORE = ["*/migrations/*", "*/__pycache__/*"]


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str = ""
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self) -> tuple[str | None, str, str]:
        return (self.msgctxt, self.msgid, self.msgid_plural)

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr.values())


def _unquote(text: str) -> str:
    text = text.strip()
    if not (text.startswith('"') and text.endswith('"')):
        raise ValueError(f"not a quoted PO string: {text!r}")
    body = text[1:-1]
    out, i = [], 0
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            out.append(escapes.get(body[i + 1], body[i + 1]))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def parse_po(text: str) -> list[Entry]:
    """The entries of a PO file (the header, msgid "", included)."""
    entries: list[Entry] = []
    current = Entry()
    started = False
    last: tuple[str, int | None] | None = None

    def finish() -> None:
        nonlocal current, started, last
        if started:
            entries.append(current)
        current, started, last = Entry(), False, None

    for raw in text.splitlines():
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
        if not line:
            finish()
            continue
        if line.startswith("#,"):
            if started and last and last[0] == "msgstr":
                finish()
            current.flags |= {f.strip() for f in line[2:].split(",")}
            continue
        if line.startswith("#"):
            if started and last and last[0] == "msgstr":
                finish()
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            if last is None:
                raise ValueError(f"continuation without a keyword: {raw!r}")
            name, index = last
            value = _unquote(line)
            if name == "msgstr":
                current.msgstr[index or 0] += value
            else:
                setattr(current, name, (getattr(current, name) or "") + value)
            continue
        if keyword in ("msgctxt", "msgid") and started and last and last[0] == "msgstr":
            finish()
        started = True
        current.obsolete = current.obsolete or obsolete
        if keyword.startswith("msgstr["):
            index = int(keyword[7:-1])
            current.msgstr[index] = _unquote(rest)
            last = ("msgstr", index)
        elif keyword == "msgstr":
            current.msgstr[0] = _unquote(rest)
            last = ("msgstr", 0)
        elif keyword in ("msgid", "msgid_plural", "msgctxt"):
            setattr(current, keyword, _unquote(rest))
            last = (keyword, None)
        else:
            raise ValueError(f"unknown PO line: {raw!r}")
    finish()
    return [e for e in entries if e.msgid or e.msgctxt]


def _describe(entry: Entry) -> str:
    context = f" (context {entry.msgctxt!r})" if entry.msgctxt else ""
    return f"{entry.msgid!r}{context}"


def extract(root: Path, language: str, workdir: Path) -> list[Entry]:
    """The strings the code at ``root`` marks for translation, as makemessages finds them."""
    copy = workdir / "src"
    for name in SOURCES:
        if (root / name).is_dir():
            shutil.copytree(
                root / name,
                copy / name,
                ignore=shutil.ignore_patterns("__pycache__", "migrations", "*.pyc", "locale"),
            )
    (copy / "locale").mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    command = [sys.executable, "-m", "django", "makemessages", "--locale", language]
    command += ["--no-obsolete", "--no-location", "--verbosity", "0"]
    for pattern in IGNORE:
        command += ["--ignore", pattern]
    result = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True)  # noqa: S603
    if result.returncode:
        raise RuntimeError(f"makemessages failed:\n{result.stdout}{result.stderr}")
    po = copy / "locale" / language / "LC_MESSAGES" / "django.po"
    return parse_po(po.read_text(encoding="utf-8")) if po.exists() else []


def problems(root: Path, language: str, catalogue: Path) -> list[str]:
    """What is wrong with ``catalogue`` for the code at ``root``, one line per string."""
    with tempfile.TemporaryDirectory() as tmp:
        wanted = {e.key: e for e in extract(root, language, Path(tmp))}
    have_entries = parse_po(catalogue.read_text(encoding="utf-8")) if catalogue.exists() else []
    have = {e.key: e for e in have_entries if not e.obsolete}
    found: list[str] = []
    for key, entry in wanted.items():
        got = have.get(key)
        if got is None:
            found.append(f"untranslated (not in {catalogue.name}): {_describe(entry)}")
        elif not got.translated:
            found.append(f"untranslated (empty): {_describe(entry)}")
    for entry in have_entries:
        if "fuzzy" in entry.flags:
            found.append(f"fuzzy: {_describe(entry)}")
        if entry.obsolete:
            found.append(f"stale (obsolete entry): {_describe(entry)}")
        elif entry.key not in wanted:
            found.append(f"stale (no longer in the code): {_describe(entry)}")
    return found


def catalogue_path(root: Path, language: str) -> Path:
    return root / "locale" / language / "LC_MESSAGES" / "django.po"


def compile_catalogue(po: Path) -> None:
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        raise SystemExit(
            "msgfmt is missing: install gettext (make system-deps, or "
            "sudo apt-get install gettext)."
        )
    subprocess.run(  # noqa: S603
        [msgfmt, "--check", "--output-file", str(po.with_suffix(".mo")), str(po)], check=True
    )


def main(argv: list[str]) -> int:
    failed = False
    for language in LANGUAGES:
        po = catalogue_path(ROOT, language)
        if "--compile-only" not in argv:
            found = problems(ROOT, language, po)
            if found:
                failed = True
                print(f"{po.relative_to(ROOT)}: {len(found)} problem(s)", file=sys.stderr)
                for line in found:
                    print(f"  {line}", file=sys.stderr)
        if po.exists():
            compile_catalogue(po)
    if failed:
        print(
            "Run `make messages`, translate every empty or fuzzy entry (and remove the fuzzy "
            "flag), then run the check again.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
