"""Password rules. Django's own validators do the work; this one only fixes a message.

Django 5.2's "too short" error is not in its Chinese catalogue (the message changed from
%(min_length)d to %d and the translation still has the old one), so a Chinese user would read it in
English. The other three validators' messages are translated.
"""

from django.contrib.auth import password_validation
from django.utils.translation import ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self) -> str:
        return ngettext(
            "This password is too short: it must have at least %(min_length)d character.",
            "This password is too short: it must have at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}
