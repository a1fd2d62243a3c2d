"""The table behind the throttles' counters (shuzhi/throttle.py does the counting).

It lives in the scoring app because code guessing is what it mainly guards; the public topic form
(reviews) counts in it too, through shuzhi.throttle, without importing scoring.
"""

from django.db import models

__all__ = ["ThrottleCounter"]  # what scoring.models re-exports


class ThrottleCounter(models.Model):
    """One count of one client in one time bucket, e.g. `guess:<address hash>:<minute>`."""

    key = models.CharField(max_length=100, primary_key=True)
    n = models.IntegerField(default=0)
    expires = models.BigIntegerField()  # Unix seconds; past it the row is in no window and is pruned

    class Meta:
        app_label = "scoring"
        db_table = "scoring_throttle_counter"

    def __str__(self) -> str:
        return f"{self.key}={self.n}"
