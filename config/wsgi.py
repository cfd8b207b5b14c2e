"""WSGI entry point for gunicorn: ``gunicorn config.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

from config.startup import refuse_to_start_on_errors

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
# Refuse to serve while a restored key store has brought back keys the erasure ledger marks erased
# (encryption.E010), or a restored main database an erased girl as not erased (dataprotection.E001): run
# reapply_erasures first. runserver and `manage.py check` run the same check.
refuse_to_start_on_errors(tags=["keystore"])
