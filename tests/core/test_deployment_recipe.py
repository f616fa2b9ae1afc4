"""The deployment recipe (deploy/, docs/deployment.md) stays true to the code."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import pytest
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
MANAGE = re.compile(r"manage\.py (\w+)")


def _units(suffix: str) -> list[Path]:
    return sorted(UNITS.glob(f"*{suffix}"))


def _parse(path: Path) -> configparser.ConfigParser:
    # systemd allows a key several times (ExecStart= in a oneshot): keep every line.
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text(encoding="utf-8"))
    return parser


def _commands_in(path: Path) -> list[str]:
    return MANAGE.findall(path.read_text(encoding="utf-8"))


def test_every_command_a_unit_runs_exists():
    commands = get_commands()
    used = {name for unit in _units(".service") for name in _commands_in(unit)}
    assert used, "no unit runs a management command"
    assert used <= set(commands), f"unknown commands: {sorted(used - set(commands))}"


def test_every_timer_starts_a_unit_that_exists_and_every_oneshot_has_a_timer_or_a_caller():
    services = {p.stem for p in _units(".service")}
    for timer in _units(".timer"):
        assert timer.stem in services, f"{timer.name} has no {timer.stem}.service"
        assert _parse(timer).has_option("Timer", "OnCalendar") or _parse(timer).has_option(
            "Timer", "OnUnitActiveSec"
        )
    timers = {p.stem for p in _units(".timer")}
    for service in _units(".service"):
        text = service.read_text(encoding="utf-8")
        if "Type=oneshot" in text and not service.stem.endswith("@"):
            assert service.stem in timers, f"{service.name} is a oneshot that nothing starts"


def test_every_command_the_readme_says_to_run_on_a_schedule_is_on_a_timer():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    scheduled = set()
    for line in readme.splitlines():
        if re.search(r"run it (hourly|daily)|daily from cron|runs daily", line, re.IGNORECASE):
            scheduled.update(MANAGE.findall(line))
    assert scheduled, "the README names no scheduled command"
    on_timer = {
        name
        for unit in _units(".service")
        if unit.stem in {p.stem for p in _units(".timer")}
        for name in _commands_in(unit)
    }
    assert scheduled <= on_timer, f"not on any timer: {sorted(scheduled - on_timer)}"


@pytest.mark.parametrize("unit", _units(".service"), ids=lambda p: p.name)
def test_the_app_units_run_as_the_service_user_with_the_environment_outside_the_code(unit):
    if not _commands_in(unit) and "gunicorn" not in unit.read_text(encoding="utf-8"):
        return  # the alert and health units run no app code
    service = _parse(unit)["Service"]
    assert service["User"] == "casework"
    assert service["EnvironmentFile"] == "/etc/casework/env"
    assert service["UMask"] == "0077"
    assert service["NoNewPrivileges"] == "true"
    assert service["Environment"]  # DJANGO_ENV=production, ENV_FILE= (last one read)
    text = unit.read_text(encoding="utf-8")
    assert "Environment=DJANGO_ENV=production" in text
    assert "/srv/casework/app/" not in service.get("EnvironmentFile", "")


def test_the_proxy_logs_no_query_string_referrer_or_agent():
    conf = (ROOT / "deploy" / "nginx" / "casework.conf").read_text(encoding="utf-8")
    log_format = re.search(r"log_format casework '([^']*)'", conf)
    assert log_format
    for leak in ("$request ", '$request"', "$request_uri", "$args", "$query_string"):
        assert leak not in log_format.group(1)
    for leak in ("$http_referer", "$http_user_agent", "$http_cookie"):
        assert leak not in log_format.group(1)
    assert "access_log /var/log/nginx/casework.access.log casework;" in conf
    assert "return 301 https://$host$uri;" in conf  # the redirect drops the query too


def test_logs_are_kept_a_bounded_time():
    journald = (ROOT / "deploy" / "journald" / "casework.conf").read_text(encoding="utf-8")
    assert re.search(r"^MaxRetentionSec=\d+day$", journald, re.MULTILINE)
    rotate = (ROOT / "deploy" / "logrotate" / "casework").read_text(encoding="utf-8")
    assert re.search(r"^\s+rotate \d+$", rotate, re.MULTILINE)


def test_the_recipe_names_every_unit_it_ships():
    recipe = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    for unit in [*_units(".service"), *_units(".timer")]:
        if unit.suffix == ".service" and unit.stem in {p.stem for p in _units(".timer")}:
            continue  # named by its timer
        assert unit.name in recipe, f"docs/deployment.md does not mention {unit.name}"
