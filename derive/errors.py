"""The errors derive raises: each knows its exit status and formats its own message."""

from __future__ import annotations


class DeriveError(Exception):
    """Base of every error derive reports to the user (exit status 1)."""

    exit_code = 1


class SpecError(DeriveError):
    """The problem-set spec is wrong: names the file, problem, field, value and what is accepted."""

    exit_code = 2

    def __init__(self, message, *, file=None, problem=None, field=None, given=None, expected=None):
        self.file, self.problem, self.field = file, problem, field
        self.given, self.expected = given, expected
        self.reason = message
        super().__init__(self._format())

    def _format(self) -> str:
        where = [printable(str(self.file)) if self.file else "<spec>"]
        if self.problem:
            where.append(printable(self.problem))
        if self.field:
            where.append(f"field '{printable(self.field)}'")
        text = ", ".join(where) + ": " + printable(self.reason)
        if self.given is not None:
            text += f" (given: {shorten(repr(self.given))})"
        if self.expected:
            text += f"; expected {printable(self.expected)}"
        return text


class SpecErrors(SpecError):
    """Several mistakes in one spec, each with its own place, reported together (up to a limit)."""

    def __init__(self, errors: list[SpecError], limit: int = 20):
        self.errors = errors
        shown = "\n".join(f"  {e}" for e in errors[:limit])
        more = f"\n  ... and {len(errors) - limit} more" if len(errors) > limit else ""
        DeriveError.__init__(self, f"{len(errors)} mistakes in the spec:\n{shown}{more}")
        self.file, self.problem, self.field, self.given, self.expected = errors[0].file, None, None, None, None
        self.reason = str(self)


class Unanswered(DeriveError):
    """Questions over their time budget, refused by name; the other questions' files were written
    (``written``, the paths, as the command returns them)."""

    exit_code = 2

    def __init__(self, refused, written: list[str]):
        self.refused, self.written = tuple(refused), list(written)
        lines = [str(r) for r in self.refused]
        tail = "; the other questions are answered and written" if written else ""
        super().__init__("\n".join(lines) + tail)


# Characters that would act on a terminal or reorder text when echoed: C0/C1 controls, bidi and
# zero-width marks. They are shown escaped (\x1b, \u202e).
_INVISIBLE = {c for c in range(0x20)} | {0x7F} | set(range(0x80, 0xA0)) | {
    0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2028, 0x2029, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E,
    0x2060, 0x2066, 0x2067, 0x2068, 0x2069, 0xFEFF}


def printable(text: str) -> str:
    """Text safe to echo to a terminal: control, bidi and zero-width characters escaped."""
    return "".join(f"\\x{ord(c):02x}" if ord(c) < 0x100 and ord(c) in _INVISIBLE else
                   f"\\u{ord(c):04x}" if ord(c) in _INVISIBLE else c for c in text)


def shorten(text: str, limit: int = 200) -> str:
    """At most ``limit`` characters of an echoed value, printable."""
    text = printable(text)
    return text if len(text) <= limit else text[:limit - 20] + f"... ({len(text)} characters)"


class UsageError(DeriveError):
    """Bad command-line arguments (exit status 2)."""

    exit_code = 2


class CheckError(DeriveError):
    """A step of a derivation failed its CAS check: the key would be wrong, so nothing is written."""

    def __init__(self, question: str, step, detail: str):
        self.question, self.step, self.detail = question, step, detail
        where = step if isinstance(step, str) else f"step {step}"
        super().__init__(f"question {question}, {where}: check failed: {detail}")


class TexError(DeriveError):
    """The TeX engine is missing or failed; carries the relevant lines of the log."""


DEPTHWISE = " with groups = the input's channels (a depthwise convolution)"
ATTENTION = ("attention", "")
# What courses, Keras and PyTorch's class names call a thing derive names otherwise: derive's word, and what to
# say besides. Keys squashed (lower case, without spaces, '-' and '_'); used where the word is among the options.
ALIASES: dict[str, tuple[str, str]] = {
    "learningrate": ("lr", ""), "stepsize": ("lr", ""), "eta": ("lr", ""),
    "multiheadattention": ATTENTION, "multiheadselfattention": ATTENTION, "selfattention": ATTENTION,
    "mha": ATTENTION, "multiheadattn": ATTENTION, "scaleddotproductattention": ATTENTION, "sdpa": ATTENTION,
    "depthwiseconv": ("conv", DEPTHWISE), "depthwiseconv2d": ("conv", DEPTHWISE),
    "depthwiseconvolution": ("conv", DEPTHWISE), "dwconv": ("conv", DEPTHWISE),
    "conv2d": ("conv", ""), "convolution": ("conv", ""),
    "convtranspose2d": ("conv-transpose", ""), "conv2dtranspose": ("conv-transpose", ""),
    "deconv": ("conv-transpose", ""), "transposedconv": ("conv-transpose", ""),
    "linear": ("dense", ""), "fullyconnected": ("dense", ""), "fc": ("dense", ""),
    "maxpooling2d": ("maxpool", ""), "maxpool2d": ("maxpool", ""), "averagepooling2d": ("avgpool", ""),
    "avgpool2d": ("avgpool", ""), "globalaveragepooling2d": ("global-avgpool", ""),
    "adaptiveavgpool2d": ("global-avgpool", " (an adaptive average pool to 1 × 1)"),
    "batchnormalization": ("batchnorm", ""), "batchnorm1d": ("batchnorm", ""), "batchnorm2d": ("batchnorm", ""),
    "layernormalization": ("layernorm", ""),
    "epsilon": ("eps", ""), "l2": ("weight_decay", ""), "beta1": ("betas", " ([beta1, beta2])"),
    "beta2": ("betas", " ([beta1, beta2])"),
    "swish": ("silu", ""), "logsigmoid": ("log_sigmoid", ""), "crossentropy": ("cross_entropy", ""),
}


def squashed(word: str) -> str:
    return "".join(c for c in word.lower() if c not in " -_")


def did_you_mean(word: str, options, near: dict[str, str] | None = None) -> str:
    """' (did you mean 'x'?)' when an option is what word means (ALIASES: what courses, Keras or PyTorch call
    it, with what to say besides: 'conv' with groups for a depthwise convolution) or close to it, else ''.
    Close: the same but for case, a few edits away (one per three letters, at least one), the start of an
    option, or a known near miss (``near``, e.g. {'kind': 'type'}). 'attention' is not close to 'flatten', nor
    'learning_rate' to 'dampening'."""
    options = [str(o) for o in options]
    alias = ALIASES.get(squashed(str(word)))
    if alias is not None and alias[0] in options:
        return f" (did you mean '{alias[0]}'{alias[1]}?)"
    best = closest(str(word), options, near)
    return f" (did you mean '{best}'?)" if best is not None else ""


def closest(word: str, options: list[str], near: dict[str, str] | None = None) -> str | None:
    if near and word in near and near[word] in options:
        return near[word]
    low = word.lower()
    allowed = max(1, len(word) // 3) if len(word) >= 3 else 0        # 'x' is not a misspelt 'y'
    scored = [(edits(low, o.lower(), allowed), o) for o in options]
    scored = [(d, o) for d, o in scored if d <= allowed]
    if scored:
        return min(scored)[1]
    starts = [o for o in options if len(word) >= 3 and o.lower().startswith(low)]
    return starts[0] if len(starts) == 1 else None


def edits(a: str, b: str, most: int = 3) -> int:
    """Edit distance, a swap of neighbours counting as one edit (optimal string alignment); any number above
    ``most`` when it is more than that (two words whose lengths differ by more are not measured)."""
    if abs(len(a) - len(b)) > most:
        return most + 1 + abs(len(a) - len(b))
    prev2, prev = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (ca != cb))
            if prev2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], prev2[j - 2] + 1)
        prev2, prev = prev, row
    return prev[-1]
