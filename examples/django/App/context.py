from django.conf import settings


def keycadence(request):
    """The recorder's script URL, for the templates that load it."""
    return {"recorder_script_url": settings.RECORDER_SCRIPT_URL}
