"""Settings of the example. Everything that differs between machines comes from the
environment (see run.sh): the keycadence API's base URL and key, the SMTP server for the
e-mailed sign-in link, the database file."""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-not-a-secret")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "App",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "videoplayer.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "App.context.keycadence",
            ],
        },
    },
]

WSGI_APPLICATION = "videoplayer.wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("EXAMPLE_DB", str(BASE_DIR / "db.sqlite3")),
    }
}

STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "App:login"

# The two things the tutorial's app changes to run on keycadence instead of TypingDNA:
# where the recorder's classic script comes from, and the Authentication API's base URL.
KEYCADENCE_URL = os.environ.get("KEYCADENCE_URL", "http://127.0.0.1:8080")
RECORDER_SCRIPT_URL = os.environ.get("RECORDER_SCRIPT_URL", KEYCADENCE_URL + "/scripts/keycadence.js")
TYPINGDNA_API_KEY = os.environ.get("TYPINGDNA_API_KEY", "")
TYPINGDNA_API_SECRET = os.environ.get("TYPINGDNA_API_SECRET", "")

# The fall-back link goes out by e-mail, over SMTP.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "1025"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "videos@example.test")

# The typing visualiser (keycadence/visualizer) comes from the npm package's directory; an
# application that installs the package points here at node_modules/keycadence instead.
STATICFILES_DIRS = [os.environ.get("KEYCADENCE_PKG", str(BASE_DIR.parent.parent / "pkg"))]
