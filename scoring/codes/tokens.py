"""测评码: a long secret for the QR URL and a short typeable form derived from it.

The token carries 192 random bits. The short code (10 characters of an alphabet without 0/O/1/I/L)
is derived from the token with the server's key, so either form finds the same credential. Only keyed
hashes of both are stored: a copy of the database alone gives away no code.
"""

import base64
import hashlib
import hmac
import secrets

from django.conf import settings

TOKEN_BYTES = 24  # 192 bits
SHORT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # 31 symbols, none easily misread
SHORT_LENGTH = 10  # ≈ 49.5 bits; guessing is rate-limited
RECEIPT_ALPHABET = SHORT_ALPHABET
RECEIPT_LENGTH = 10


def _key(purpose: str) -> bytes:
    return hashlib.sha256(f"shuzhi:{purpose}:{settings.SECRET_KEY}".encode()).digest()


def _keyed(purpose: str, text: str) -> bytes:
    return hmac.new(_key(purpose), text.encode(), hashlib.sha256).digest()


def _encode(digest: bytes, alphabet: str, length: int) -> str:
    number = int.from_bytes(digest, "big")
    chars = []
    for _ in range(length):
        number, index = divmod(number, len(alphabet))
        chars.append(alphabet[index])
    return "".join(chars)


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def short_code_for(token: str) -> str:
    return _encode(_keyed("short", token), SHORT_ALPHABET, SHORT_LENGTH)


def token_hash(token: str) -> str:
    return _keyed("token", token).hex()


def short_hash(short_code: str) -> str:
    return _keyed("short-hash", short_code).hex()


def normalise_short(text: str) -> str:
    """What a delegate types → the canonical short code: case, spaces and dashes ignored."""
    return "".join(ch for ch in text.upper() if ch.isascii() and ch.isalnum())


def format_short(short_code: str) -> str:
    """Shown on slips in two groups of five: 'ABCDE-FGHJK'."""
    half = len(short_code) // 2
    return f"{short_code[:half]}-{short_code[half:]}"


def looks_like_token(text: str) -> bool:
    return len(text) >= 30


def receipt_for(short_code: str, submission_key: str, canonical_marks: str) -> str:
    """The receipt a delegate notes: the same code, submission and marks always give the same receipt.

    Keyed by the code itself, which is not stored, so the receipt cannot be traced back to a code.
    """
    message = f"{submission_key}\n{canonical_marks}"
    digest = hmac.new(_key("receipt") + short_code.encode(), message.encode(), hashlib.sha256).digest()
    return _encode(digest, RECEIPT_ALPHABET, RECEIPT_LENGTH)


def new_issue_key() -> str:
    """The key an issuing form carries: one form, one batch of codes (128 random bits)."""
    return secrets.token_urlsafe(16)


def issue_key_hash(issue_key: str) -> str:
    return _keyed("issue-key", issue_key).hex()


def batch_token(issue_key: str, serial: int) -> str:
    """The token of slip ``serial`` issued by the form with ``issue_key``: 192 bits derived with the
    server's key, so a retry of the same form prints the same slips without the secrets being stored."""
    digest = _keyed("batch-token", f"{issue_key}:{serial}")[:TOKEN_BYTES]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")
