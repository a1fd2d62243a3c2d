"""Code guessing on /vote/: a hall behind one address always gets in, a guesser gets a few dozen tries.

- A QR token (192 bits) is always looked up first: a valid one opens whatever its address has done,
  since no number of guesses could find one. An unknown token counts as a failed guess.
- A typed short code (≈ 49.5 bits) is looked up only within the address's allowance: the look-up
  first reserves one unit of it (shuzhi.throttle, one atomic statement), and a code that exists gives
  the unit back. So failures, and only failures, use the allowance, and parallel guesses cannot
  overshoot it. Whether the code exists never changes how the throttle answers or how long it takes:
  a refused request looks nothing up, an admitted one looks it up once.
- The allowance is GUESS_ALLOWANCE failed guesses per address in a sliding 10 minutes, plus one for
  each ballot submitted from that address in the window (a hall earns room, a guesser cannot).

docs/throttling.md gives the numbers: a hall of 300 with 10 % mistyping once uses 30; a client
sending 5,000 guesses a minute has 40 of them looked up in its first minute and 40 per 10 minutes after.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.http import HttpRequest

from scoring.codes import tokens as codes
from shuzhi import throttle as limits

T = TypeVar("T")

GUESS_ALLOWANCE = 40
CODE_GUESSES = limits.Limit("guess", GUESS_ALLOWANCE, credit="ballot")


@dataclass
class CodeAttempt:
    """One look-up of one code for one request:

    attempt = code_attempt(request, code)
    if attempt.refused: answer 429 (nothing was looked up)
    look the code up, then attempt.found(), or minutes = attempt.unknown() (429 if minutes else 404)
    """

    request: HttpRequest
    token: bool
    reservation: limits.Reservation | None

    @property
    def refused(self) -> int:
        return self.reservation.minutes if self.reservation else 0

    def found(self) -> None:
        if self.reservation:
            self.reservation.give_back()

    def unknown(self) -> int:
        if self.token:  # looked up without reserving: count the failure now
            return limits.record(CODE_GUESSES, self.request)
        return 0  # the reservation stays: this failure is counted, and it was within the allowance


def code_attempt(request: HttpRequest, code: str) -> CodeAttempt:
    if codes.looks_like_token((code or "").strip()):
        return CodeAttempt(request, token=True, reservation=None)
    return CodeAttempt(request, token=False, reservation=limits.reserve(CODE_GUESSES, request))


def code_lookup(request: HttpRequest, code: str, find: Callable[[str], T | None]) -> tuple[T | None, int]:
    """(what `find` found, 0), (None, 0) for an unknown code, or (None, minutes) when refused."""
    attempt = code_attempt(request, code)
    if attempt.refused:
        return None, attempt.refused
    found = find(code)
    if found is None:
        return None, attempt.unknown()
    attempt.found()
    return found, 0


def ballot_counted(request: HttpRequest) -> None:
    """A ballot was stored from this client: one more failed guess allowed in the window."""
    limits.count(CODE_GUESSES.credit, request)


def minutes_blocked(request: HttpRequest) -> int:
    """0 while a typed code from this client would be looked up; else the minutes until it would."""
    return limits.window(CODE_GUESSES, request, time.time()).minutes_left()
