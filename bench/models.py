"""Twin models for the encryption ratio: the same person record, encrypted and in plain.

They are not an installed app: the benchmark creates their tables, measures, and drops them.
"""

from django.db import models

from victimsupport.crypto.fields import (
    BlindIndexField,
    EncryptedCharField,
    EncryptedDateField,
    EncryptedTextField,
)


class EncryptedPerson(models.Model):
    """Shaped like cases.Victim: encrypted fields and blind indexes for exact search."""

    given_name = EncryptedCharField(max_length=100)
    family_name = EncryptedCharField(max_length=100, blank=True)
    date_of_birth = EncryptedDateField(null=True, blank=True)
    phone = EncryptedCharField(max_length=40, blank=True)
    email = EncryptedCharField(max_length=200, blank=True)
    address = EncryptedTextField(blank=True)
    language = EncryptedCharField(max_length=60, blank=True)
    dependants = EncryptedTextField(blank=True)
    code_word = EncryptedCharField(max_length=60, blank=True)
    name_index = BlindIndexField(source=("given_name", "family_name"), normaliser="name")
    phone_index = BlindIndexField(source="phone", normaliser="phone")
    email_index = BlindIndexField(source="email", normaliser="email")

    class Meta:
        app_label = "bench"
        db_table = "bench_encrypted_person"


class PlainPerson(models.Model):
    """The same record as a system without encryption would keep it, searchable columns
    indexed as they would be."""

    given_name = models.CharField(max_length=100, db_index=True)
    family_name = models.CharField(max_length=100, blank=True, db_index=True)
    date_of_birth = models.DateField(null=True, blank=True)
    phone = models.CharField(max_length=40, blank=True, db_index=True)
    email = models.CharField(max_length=200, blank=True, db_index=True)
    address = models.TextField(blank=True)
    language = models.CharField(max_length=60, blank=True)
    dependants = models.TextField(blank=True)
    code_word = models.CharField(max_length=60, blank=True)

    class Meta:
        app_label = "bench"
        db_table = "bench_plain_person"
