from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "victimsupport.accounts"
    label = "accounts"
    verbose_name = "Accounts and teams"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from victimsupport.access import sync_roles
        from victimsupport.accounts.mfa_secrets import AuthenticatorStore
        from victimsupport.accounts.models import Team, User
        from victimsupport.audit.services import register
        from victimsupport.crypto.rotation import register_store

        # Role changes and team membership are security-relevant: audit them. The password
        # hash and the login timestamp are never logged.
        register(User, exclude_fields=["password", "last_login"], m2m_fields={"groups", "teams"})
        register(Team)
        # Roles are groups with model permissions; they are (re)synchronised after every
        # migrate, once the permissions they refer to exist.
        post_migrate.connect(sync_roles, dispatch_uid="victimsupport.sync_roles")
        # Second-factor secrets are key-ring tokens inside allauth's JSON: rotate_keys
        # re-encrypts them and counts them before an old key is declared unused.
        register_store(AuthenticatorStore())
