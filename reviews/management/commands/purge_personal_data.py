"""Clear personal data past its retention: proposers' phone numbers. Run daily (cron, systemd timer)."""

from django.core.management.base import BaseCommand

from reviews.topics.services import suggestion_phones_purge


class Command(BaseCommand):
    help = "Clear topic proposers' phone numbers past TOPIC_PHONE_RETENTION_DAYS or after their meeting."

    def handle(self, *args, **options):
        cleared = suggestion_phones_purge()
        self.stdout.write(f"phone numbers cleared: {cleared}")
