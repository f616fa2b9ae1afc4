"""Models that exist only in tests: one of each encrypted field type and a blind index."""

from django.db import models

from victimsupport.crypto.fields import (
    BlindIndexField,
    EncryptedBinaryField,
    EncryptedCharField,
    EncryptedDateField,
    EncryptedJSONField,
    EncryptedTextField,
)


class Secret(models.Model):
    label = models.CharField(max_length=20, default="plain")
    text = EncryptedTextField(null=True, blank=True)
    name = EncryptedCharField(max_length=50, null=True, blank=True)
    born = EncryptedDateField(null=True, blank=True)
    answers = EncryptedJSONField(null=True, blank=True)
    blob = EncryptedBinaryField(null=True, blank=True)
    email = EncryptedCharField(max_length=200, null=True, blank=True)
    email_index = BlindIndexField(source="email", normaliser="email")
    name_index = BlindIndexField(source="name", normaliser="name")

    def __str__(self) -> str:
        # Deliberately leaky: the audit log must not use __str__ for encrypted models.
        return f"Secret {self.name}"
