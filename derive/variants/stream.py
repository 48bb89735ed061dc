"""The variants' random numbers: derive's own generator, so that a seed gives the same draws on every Python
and every platform, forever (Python promises only ``random.random()``'s sequence across versions, not
``randint``'s or ``choice``'s).

The seed of a student's (or a pool entry's) problem is

    SHA-256( field("derive-variants-1") ‖ field(salt) ‖ field(student id) ‖ field(problem number) )

where ``field(text)`` is the UTF-8 bytes of the text preceded by their length as 8 bytes, big-endian (so no
choice of salt or id can run into the next field), and the problem number is written in decimal (1 for the
first problem of the spec). The stream of bytes drawn from a seed is SHA-256 in counter mode:

    block j = SHA-256( seed ‖ j as 8 bytes, big-endian ),   j = 0, 1, 2, ...

read in order, block after block. A whole number below n (``below``) takes the ⌈b/8⌉ next bytes, b the bit
length of n − 1, as a big-endian integer, keeps its low b bits, and is that number if it is below n; otherwise
it draws again (rejection: every number below n is equally likely). ``below(1)`` is 0 and reads no byte.
"""

from __future__ import annotations

import hashlib

VERSION = "derive-variants-1"


def _field(text: str) -> bytes:
    data = text.encode("utf-8")
    return len(data).to_bytes(8, "big") + data


def seed(salt: str, student: str, problem: int) -> bytes:
    """The seed of one student's (or pool entry's) problem: 32 bytes."""
    return hashlib.sha256(_field(VERSION) + _field(salt) + _field(student) + _field(str(problem))).digest()


class Stream:
    """The bytes of a seed, SHA-256 in counter mode, and whole numbers drawn from them."""

    def __init__(self, seed_bytes: bytes):
        self.seed = seed_bytes
        self.block = 0
        self.buffer = b""
        self.read = 0                   # bytes read so far

    def bytes(self, n: int) -> bytes:
        while len(self.buffer) < n:
            self.buffer += hashlib.sha256(self.seed + self.block.to_bytes(8, "big")).digest()
            self.block += 1
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        self.read += n
        return out

    def below(self, n: int) -> int:
        """A whole number from 0 to n − 1, each equally likely."""
        if n < 1:
            raise ValueError("below(n) needs n >= 1")
        if n == 1:
            return 0
        bits = (n - 1).bit_length()
        size, mask = (bits + 7) // 8, (1 << bits) - 1
        while True:
            k = int.from_bytes(self.bytes(size), "big") & mask
            if k < n:
                return k
