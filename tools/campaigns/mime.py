"""MIME pieces the renderer fills per recipient: text with named holes, a quoted-printable text part
encoded once where it has no holes, and the header helpers (folded subjects, dates, line lengths)."""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass
from email import policy
from email.utils import formatdate
from functools import lru_cache

MAX_LINE = 900  # SMTP allows 998 octets per line; leave room for the per-recipient values


@dataclass(frozen=True)
class Holes:
    """Static text with named holes. Filling is a list copy and one join: `str.format` would rescan
    kilobytes of static HTML per recipient, this only copies it."""

    parts: tuple[str, ...]  # static text at even positions, hole names at odd ones

    @classmethod
    def parse(cls, text: str, placeholder: re.Pattern[str]) -> Holes:
        return cls(tuple(placeholder.split(text)))  # the pattern's one group keeps the names

    @property
    def names(self) -> set[str]:
        return set(self.parts[1::2])

    def fill(self, values: dict[str, str]) -> str:
        parts = list(self.parts)
        parts[1::2] = [values[name] for name in self.parts[1::2]]
        return "".join(parts)


class TextPart:
    """The text/plain body: lines without holes are quoted-printable-encoded once, the others per recipient."""

    def __init__(self, text: str, placeholder: re.Pattern[str]) -> None:
        self.lines = [Holes.parse(line, placeholder) for line in text.split("\r\n")]
        self.encoded = [None if len(h.parts) > 1 else qp(h.parts[0]) for h in self.lines]
        self.names = set().union(*(h.names for h in self.lines))

    def fill(self, values: dict[str, str]) -> str:
        return "\n".join(h.fill(values) for h in self.lines)

    def quoted_printable(self, values: dict[str, str]) -> bytes:
        pairs = zip(self.lines, self.encoded, strict=True)
        return b"\r\n".join([e if e is not None else qp(h.fill(values)) for h, e in pairs])


def tidy_subject(subject: str) -> str:
    """A subject whose name field was empty: no leading or orphaned punctuation, capital first letter."""
    subject = re.sub(r"\s+([,.!?;:…])", r"\1", subject)
    subject = re.sub(r"[,;:]+(?=[,.!?;:…]|$)", "", subject)
    subject = re.sub(r"^[\s,.;:!?-]+", "", subject).strip()
    return subject[:1].upper() + subject[1:]


def qp(line: str) -> bytes:
    """One line (no line break) as quoted-printable UTF-8, soft-wrapped at 76 characters."""
    return binascii.b2a_qp(line.encode(), istext=True).replace(b"\n", b"\r\n")  # its soft breaks are bare LF


def crlf(text: str) -> str:
    return "\r\n".join(text.splitlines())


def wrap(page: str) -> str:
    """Break any overlong line at a space, so no line can exceed SMTP's limit once filled."""
    out = []
    for line in page.splitlines():
        while len(line) > MAX_LINE and " " in line[1:MAX_LINE]:
            cut = line.rindex(" ", 1, MAX_LINE)
            out.append(line[:cut])
            line = line[cut + 1 :]
        out.append(line)
    return "\n".join(out)


@lru_cache(maxsize=4)
def date_header(second: int) -> str:
    return formatdate(second, usegmt=True)


@lru_cache(maxsize=4096)
def fold_subject(subject: str, prefix: str = "") -> str:
    """An RFC 2047-encoded, folded Subject line (cached: first names repeat); `prefix` ("[TEST] ") goes
    before the tidied subject, so tidying never eats into it."""
    return policy.SMTP.header_factory("Subject", prefix + tidy_subject(subject)).fold(policy=policy.SMTP)
