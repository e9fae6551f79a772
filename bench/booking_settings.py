"""Settings of the portal as bench/booking.py serves it under gunicorn: the portal's own settings,
plus a bare view beside the portal's pages (the floor of the throughput measure, served by the same
process), booking rate limits raised so that 500 bookings from one loopback address are not refused,
and emails dropped (the bench counts seats, not messages; they are still written and "sent")."""

from __future__ import annotations

from aipim.settings import *  # noqa: F403

ROOT_URLCONF = "bench.booking_urls"

# Every request of the bench comes from 127.0.0.1 and no email books twice: the limits only need to
# stay out of the way (the portal's defaults: aipim/settings.py).
BENCH_RATE_LIMIT = 1_000_000
ASSOCIATIONS_BOOKING_RATE_PER_IP = BENCH_RATE_LIMIT
ASSOCIATIONS_BOOKING_RATE_PER_EMAIL = BENCH_RATE_LIMIT
ASSOCIATIONS_API_RATE = f"{BENCH_RATE_LIMIT}/minute"
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": [], "DEFAULT_THROTTLE_RATES": {}}  # noqa: F405

EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
