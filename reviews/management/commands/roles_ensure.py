"""Create or refresh the role groups (系统管理员, 业务人员, 审计员); also run after every migrate."""

from django.core.management.base import BaseCommand

from reviews.orgs.permissions import roles_ensure


class Command(BaseCommand):
    help = "Create or refresh the role groups: accounts, operators, auditors."

    def handle(self, *args, **options):
        for name, group in roles_ensure().items():
            self.stdout.write(f"{name}: {group.permissions.count()}")
