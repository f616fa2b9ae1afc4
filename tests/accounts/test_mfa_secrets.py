"""Second-factor secrets: stored as key-ring tokens, never in the clear; a token that does not
decrypt fails the sign-in; old plaintext rows are encrypted by a migration; rotation covers
them."""

from __future__ import annotations

import importlib
import json
from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, TOTP, generate_totp_secret
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test import Client

from tests import factories
from tests.factories import PASSWORD
from tests.testapp.models import Secret
from victimsupport.access import Role
from victimsupport.accounts import mfa_secrets
from victimsupport.crypto import DecryptionError, keyring
from victimsupport.crypto.rotation import key_census, rotate

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
AUTHENTICATE = "/accounts/2fa/authenticate/"
migration = importlib.import_module("victimsupport.accounts.migrations.0002_encrypt_mfa_secrets")


def raw_data(authenticator: Authenticator) -> dict:
    """The data column as the database holds it, without allauth or the ORM decoding it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM mfa_authenticator WHERE id = %s", [authenticator.pk])
        value = cursor.fetchone()[0]
    return json.loads(value) if isinstance(value, str) else value


def raw_table_text() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM mfa_authenticator")
        return "\n".join(str(row[0]) for row in cursor.fetchall())


def sign_in_with_code(client: Client, user, secret: str):
    assert client.post(LOGIN, {"login": user.email, "password": PASSWORD})["Location"] == (
        AUTHENTICATE
    )
    return client.post(AUTHENTICATE, {"code": factories.totp_code(secret)})


def totp_of(user) -> Authenticator:
    return Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)


@pytest.fixture
def sofia():
    return factories.make_user("Sofia", role=Role.SUPERVISOR)


def test_totp_secret_is_stored_as_a_token_not_the_secret(sofia):
    secret = factories.with_totp(sofia)
    stored = raw_data(totp_of(sofia))["secret"]
    assert stored.startswith("v1.k1.")
    assert secret not in raw_table_text()
    assert mfa_secrets.decrypt_secret(stored) == secret


def test_recovery_code_seed_is_stored_as_a_token_and_codes_still_work(sofia):
    codes = RecoveryCodes.activate(sofia)
    seed = mfa_secrets.decrypt_secret(raw_data(codes.instance)["seed"])
    assert raw_data(codes.instance)["seed"].startswith("v1.k1.")
    assert seed not in raw_table_text()
    first = codes.generate_codes()[0]
    assert first not in raw_table_text()
    assert RecoveryCodes(Authenticator.objects.get(pk=codes.instance.pk)).validate_code(first)
    fresh = Authenticator.objects.get(pk=codes.instance.pk)
    assert first not in RecoveryCodes(fresh).get_unused_codes()  # used once only


def test_set_up_and_sign_in_with_an_authenticator_end_to_end(client, sofia):
    """Through allauth's own pages: set up the authenticator app, sign out, sign in again."""
    assert client.post(LOGIN, {"login": sofia.email, "password": PASSWORD}).status_code == 302
    reauth = client.get("/accounts/2fa/totp/activate/")["Location"]
    client.post(reauth, {"password": PASSWORD})
    assert client.get("/accounts/2fa/totp/activate/").status_code == 200
    secret = client.session[SECRET_SESSION_KEY]  # what the QR code shows
    done = client.post("/accounts/2fa/totp/activate/", {"code": factories.totp_code(secret)})
    assert done.status_code == 302
    assert raw_data(totp_of(sofia))["secret"].startswith("v1.")
    assert secret not in raw_table_text()
    assert SECRET_SESSION_KEY not in client.session  # the pending secret is gone too
    client.post("/accounts/logout/")

    again = Client()
    wrong = again.post(LOGIN, {"login": sofia.email, "password": PASSWORD})
    assert wrong["Location"] == AUTHENTICATE
    assert again.post(AUTHENTICATE, {"code": "000000"}).status_code == 200
    assert again.get("/").status_code == 302  # not signed in on a wrong code
    assert again.post(AUTHENTICATE, {"code": factories.totp_code(secret)}).status_code == 302
    assert again.get("/").status_code == 200


def tamper(token: str) -> str:
    body = token.split(".", 2)[2]
    flipped = ("A" if body[10] != "A" else "B").join((body[:10], body[11:]))
    return token.rsplit(".", 1)[0] + "." + flipped


@pytest.mark.parametrize("kind", ["tampered", "plaintext", "from_another_column"])
def test_a_secret_that_does_not_decrypt_fails_the_sign_in_closed(sofia, kind):
    secret = factories.with_totp(sofia)
    totp = totp_of(sofia)
    stored = raw_data(totp)["secret"]
    bad = {
        "tampered": tamper(stored),
        "plaintext": secret,  # a row left over from before encryption, or written by hand
        "from_another_column": Secret._meta.get_field("text").encrypt_value(secret),
    }[kind]
    Authenticator.objects.filter(pk=totp.pk).update(data={"secret": bad})

    client = Client(raise_request_exception=False)
    assert client.post(LOGIN, {"login": sofia.email, "password": PASSWORD})["Location"] == (
        AUTHENTICATE
    )
    response = client.post(AUTHENTICATE, {"code": factories.totp_code(secret)})
    assert response.status_code == 500
    assert client.get("/").status_code == 302  # still not signed in
    with pytest.raises(DecryptionError):
        TOTP(totp_of(sofia)).validate_code(factories.totp_code(secret))


def test_migration_encrypts_old_plaintext_rows_once_and_can_be_reversed(sofia):
    secret = generate_totp_secret()
    # Rows as allauth wrote them before the adapter encrypted anything.
    totp = Authenticator.objects.create(user=sofia, type="totp", data={"secret": secret})
    codes = Authenticator.objects.create(
        user=sofia,
        type="recovery_codes",
        data={"seed": "ab" * 40, "used_mask": 1, "migrated_codes": ["12345678"]},
    )

    migration.encrypt_secrets(apps, None)
    after = raw_data(totp), raw_data(codes)
    assert after[0]["secret"].startswith("v1.k1.")
    assert after[1]["seed"].startswith("v1.k1.")
    assert after[1]["migrated_codes"][0].startswith("v1.k1.")
    assert after[1]["used_mask"] == 1  # only secrets change
    for plain in (secret, "ab" * 40, "12345678"):
        assert plain not in raw_table_text()
    assert TOTP(totp_of(sofia)).validate_code(factories.totp_code(secret))
    assert RecoveryCodes(Authenticator.objects.get(pk=codes.pk)).validate_code("12345678")

    migration.encrypt_secrets(apps, None)  # idempotent: tokens are not encrypted twice
    assert raw_data(totp) == after[0]

    migration.decrypt_secrets(apps, None)
    assert raw_data(totp) == {"secret": secret}


def test_rotation_reencrypts_second_factor_secrets(settings, sofia):
    k1, k2 = b"\x01" * 32, b"\x02" * 32
    settings.FIELD_ENCRYPTION_KEYS = {"k1": k1}
    settings.FIELD_ENCRYPTION_ACTIVE_KEY = "k1"
    secret = factories.with_totp(sofia)
    RecoveryCodes.activate(sofia)
    assert key_census() == {"k1": 2}  # the census that says when a key may go counts them

    settings.FIELD_ENCRYPTION_KEYS = {"k1": k1, "k2": k2}
    settings.FIELD_ENCRYPTION_ACTIVE_KEY = "k2"
    out = StringIO()
    call_command("rotate_keys", stdout=out)
    assert "mfa.Authenticator: 2/2 rows checked, 2 values re-encrypted" in out.getvalue()
    assert key_census() == {"k2": 2}
    assert rotate().rewritten == 0  # nothing left to do

    settings.FIELD_ENCRYPTION_KEYS = {"k2": k2}  # the old key removed
    keyring.clear_caches()
    assert TOTP(totp_of(sofia)).validate_code(factories.totp_code(secret))
