from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "anzu.risk.identity"
    label = "identity"
    verbose_name = "Account lifecycle"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from anzu.risk.identity.sessions import remember_session

        # Plumbing, not a business effect: remember which session keys belong to whom, so a
        # freeze can delete them whatever the session engine.
        user_logged_in.connect(remember_session, dispatch_uid="identity-remember-session")
