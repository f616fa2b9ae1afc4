"""Key rotation: data written under three keys ends under the active one, and old keys go."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.testapp.models import Secret
from victimsupport.crypto import DecryptionError, keyring
from victimsupport.crypto.rotation import key_census, rotate

pytestmark = pytest.mark.django_db

K1, K2, K3 = b"\x01" * 32, b"\x02" * 32, b"\x03" * 32


def use_keys(settings, active: str, **ring: bytes) -> None:
    settings.FIELD_ENCRYPTION_KEYS = ring
    settings.FIELD_ENCRYPTION_ACTIVE_KEY = active


def write_under_three_keys(settings) -> list[tuple[int, str, dict, bytes]]:
    rows = []
    for active in ("k1", "k2", "k3"):
        use_keys(settings, active, k1=K1, k2=K2, k3=K3)
        for i in range(4):
            text = f"note {active} {i} — ünïcode"
            answers, blob = {"i": i, "k": active}, bytes([i]) * 9
            s = Secret.objects.create(text=text, answers=answers, blob=blob, name=None)
            rows.append((s.pk, text, answers, blob))
    return rows


def test_rotation_moves_everything_to_the_active_key(settings):
    rows = write_under_three_keys(settings)
    assert key_census() == {"k1": 12, "k2": 12, "k3": 12}

    use_keys(settings, "k3", k1=K1, k2=K2, k3=K3)
    report = rotate(batch_size=5)
    assert report.rewritten == 24
    assert key_census() == {"k3": 36}

    # The old keys can now be removed and everything still reads.
    use_keys(settings, "k3", k3=K3)
    for pk, text, answers, blob in rows:
        secret = Secret.objects.get(pk=pk)
        assert (secret.text, secret.answers, secret.blob) == (text, answers, blob)


def test_rotation_resumes_after_an_interruption(settings, monkeypatch):
    write_under_three_keys(settings)
    use_keys(settings, "k3", k1=K1, k2=K2, k3=K3)
    calls = {"n": 0}

    def interrupt(progress):
        if progress.label != "testapp.Secret":
            return
        calls["n"] += 1
        if calls["n"] == 2:  # after two committed batches of this table
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rotate(batch_size=3, progress=interrupt)
    partial = key_census()
    assert partial["k3"] > 12  # the first batches were committed
    assert partial["k3"] < 36

    report = rotate(batch_size=3)
    assert report.rewritten == 36 - partial["k3"]
    assert key_census() == {"k3": 36}


def test_rotation_does_not_overwrite_a_concurrent_edit(settings, monkeypatch):
    use_keys(settings, "k1", k1=K1, k2=K2)
    secret = Secret.objects.create(text="old")
    use_keys(settings, "k2", k1=K1, k2=K2)
    field = Secret._meta.get_field("text")
    real_decrypt = type(field).decrypt_column

    def decrypt_while_someone_edits(self, value):
        plain = real_decrypt(self, value)
        if self is field and plain == "old":
            # A caseworker saves between the rotation's read and its write.
            Secret.objects.filter(pk=secret.pk).update(text="edited meanwhile")
        return plain

    monkeypatch.setattr(type(field), "decrypt_column", decrypt_while_someone_edits)
    report = rotate()
    monkeypatch.undo()
    assert Secret.objects.get(pk=secret.pk).text == "edited meanwhile"
    assert report.rewritten == 0  # the stale token no longer matched: nothing overwritten


def test_command_reports_progress_and_what_it_did(settings):
    write_under_three_keys(settings)
    use_keys(settings, "k3", k1=K1, k2=K2, k3=K3)
    out = StringIO()
    call_command("rotate_keys", "--batch-size", "4", stdout=out)
    text = out.getvalue()
    assert "testapp.Secret: 12/12 rows checked, 24 values re-encrypted" in text
    assert "Done: 24 values re-encrypted under 'k3'" in text
    assert "Keys no longer needed: k1, k2" in text


def test_command_report_mode_changes_nothing(settings):
    write_under_three_keys(settings)
    use_keys(settings, "k3", k1=K1, k2=K2, k3=K3)
    out = StringIO()
    call_command("rotate_keys", "--report", stdout=out)
    assert "key k1: 12 values" in out.getvalue()
    assert "keep those keys" in out.getvalue()
    assert key_census() == {"k1": 12, "k2": 12, "k3": 12}


def test_command_stops_clearly_when_a_key_is_missing(settings):
    write_under_three_keys(settings)
    use_keys(settings, "k3", k2=K2, k3=K3)  # k1 removed too early
    with pytest.raises(CommandError, match="Is a key missing"):
        call_command("rotate_keys", stdout=StringIO())


def test_rotated_values_cannot_be_read_with_the_old_key_alone(settings):
    use_keys(settings, "k1", k1=K1, k2=K2)
    secret = Secret.objects.create(text="x")
    use_keys(settings, "k2", k1=K1, k2=K2)
    rotate()
    use_keys(settings, "k1", k1=K1)
    keyring.clear_caches()
    with pytest.raises(DecryptionError):
        Secret.objects.get(pk=secret.pk)
