from django.apps import AppConfig


class ShuzhiConfig(AppConfig):
    """The project package as an app, so its signal receivers are connected at start-up."""

    name = "shuzhi"
    verbose_name = "Shuzhi"

    def ready(self) -> None:
        from shuzhi import idle, logins  # noqa: F401  (receivers: login starts the idle clock; lockouts audited)
