from django.apps import AppConfig


class VideoAppConfig(AppConfig):
    name = "App"
    default_auto_field = "django.db.models.BigAutoField"
