"""The number audit: every number of a monograph that carries a unit or a dosing word,
looked up in the monograph's own source documents.

`audit_monograph(text, path, content_dir)` reads the monograph's front matter for
its `source_documents` (SPL XML and ePI labels, read by reading.read_label, and
YAML fact sheets such as content/sources/baclofen/facts.yaml) and its
`accepted_numbers`, finds every quantity of the page (front matter and body: a
dose in mg, micrograms or g, a volume in ml, a concentration, mg/kg, a
percentage, a temperature, hours, days, weeks, months, years, ages, "three times
a day", "1 in 10" frequency bands, a number of doses) and looks each one up in
the numbers of the sources: the same value in the same kind of unit, with unit
conversions (1 g = 1,000 mg, micrograms to mg, °F to °C) and ranges ("30 to 80
mg", "30–80 mg") understood. It returns an AuditReport; nothing is written.

Where the text says what a number is, the sources must give it as that: a
frequency with a band's name ("Common: up to 1 in 10") must be that band's; an
amount called a maximum must be one the sources call a maximum; a starting or
usual dose one a fact sheet gives in that role; a storage temperature given for a
form one the sources give that form (each only where the sources give any such).
Otherwise the audit compares numbers, not sentences: a number is "found" when the
sources hold it anywhere, so a dose moved to a value that a label gives for
something else is not caught here; the reviewer still reads the text.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from .reading import Label, NotALabel, read_label

# --- quantities in text -----------------------------------------------------------

_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"
_SEP = r"\s*(?:–|—|-|‒|to|up to)\s*"

# (unit pattern, dimension, factor to the dimension's base unit). Longest first: the
# alternation takes the first that matches.
_PER_DAY = r"(?:\s*/\s*(?:day|d|24\s*h(?:ours?)?))?"
_MASS = r"(?:mg|milligrams?|micrograms?|mcg|µg|μg|g|grams?|kg|kilograms?|ng|nanograms?)"
_VOLUME = r"(?:ml|mL|millilit(?:re|er)s?|l|L|lit(?:re|er)s?|microlit(?:re|er)s?|µl|µL)"
# "2 Single-Use Prefilled Pens": the words a label puts between a count and its device.
_PRESENTATION = r"(?:(?:single[\s-]use|single[\s-]dose|pre-?filled|disposable|glass|dose)\s+){0,3}"
_UNITS: tuple[tuple[str, str, str], ...] = (
    (
        r"(?:mg|milligrams?)\s*(?:/|per|for each|a|each)\s*(?:kg|kilograms?)"
        r"(?:\s+of\s+body\s*weight)?(?:\s*(?:/|per|a|each)\s*day)?",
        "mg/kg",
        "mg",
    ),
    (r"(?:mg|milligrams?|micrograms?|mcg|µg|μg|g)\s*(?:/|per)\s*(?:ml|mL)", "mg/ml", "*"),
    (r"(?:mg|micrograms?|mcg|µg|μg)\s*(?:/|per)\s*(?:m2|m²)", "mg/m2", "*"),
    (_MASS + _PER_DAY, "mass", "*"),
    (_VOLUME, "volume", "*"),
    (r"mmol", "mmol", "1"),
    (r"%|per\s*cent|percent", "percent", "1"),
    (r"°\s*C|º\s*C|degrees?\s*(?:C|Celsius|centigrade)", "temperature", "C"),
    (r"°\s*F|º\s*F|degrees?\s*(?:F|Fahrenheit)", "temperature", "F"),
    (r"hours?|hrs?", "hours", "1"),
    (r"minutes?|mins?", "minutes", "1"),
    (r"days?", "days", "1"),
    (r"weeks?", "weeks", "1"),
    (r"months?", "months", "1"),
    (r"years?", "years", "1"),
    (r"doses?", "doses", "1"),
    (r"tablets?", "tablets", "1"),
    (r"capsules?", "capsules", "1"),
    (_PRESENTATION + r"pens?", "pens", "1"),
    (_PRESENTATION + r"syringes?", "syringes", "1"),
    (r"injections?", "injections", "1"),
    (r"sachets?", "sachets", "1"),
    (r"puffs?", "puffs", "1"),
    (r"drops?", "drops", "1"),
    (r"(?:times|x)\s*(?:a|per|each)\s*day|times\s+daily", "times a day", "1"),
    (r"(?:times|x)\s*(?:a|per|each)\s*week|times\s+weekly", "times a week", "1"),
)
_UNIT_RE = "|".join(f"(?:{pattern})" for pattern, _dimension, _factor in _UNITS)
_UNIT_TESTS = tuple(
    (re.compile(pattern, re.I), dimension, factor) for pattern, dimension, factor in _UNITS
)
_MASS_FACTORS = (
    (re.compile(r"^(?:mg|milligrams?)$", re.I), Decimal(1)),
    (re.compile(r"^(?:micrograms?|mcg|µg|μg)$", re.I), Decimal("0.001")),
    (re.compile(r"^(?:ng|nanograms?)$", re.I), Decimal("0.000001")),
    (re.compile(r"^(?:g|grams?)$", re.I), Decimal(1000)),
    (re.compile(r"^(?:kg|kilograms?)$", re.I), Decimal(1000000)),
)
_VOLUME_FACTORS = (
    (re.compile(r"^(?:ml|millilit(?:re|er)s?)$", re.I), Decimal(1)),
    (re.compile(r"^(?:microlit(?:re|er)s?|µl)$", re.I), Decimal("0.001")),
    (re.compile(r"^(?:l|lit(?:re|er)s?)$", re.I), Decimal(1000)),
)

QUANTITY_RE = re.compile(
    rf"(?<![\w.,/])(?P<a>{_NUMBER})°?(?:\s*(?P<ua>{_UNIT_RE})(?![A-Za-z]))?"
    rf"(?:{_SEP}(?P<b>{_NUMBER}))?[\s-]*(?P<unit>{_UNIT_RE})(?![A-Za-z0-9])",
    re.I,
)
_WORD_NUMBERS = {
    "once": 1,
    "twice": 2,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
# "one hour", "two weeks", "three tablets": number words before a unit of time or a count.
_WORD_UNIT_RE = re.compile(
    r"\b(?P<word>one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
    r"[\s-]+(?P<unit>hours?|days?|weeks?|months?|years?|doses?|tablets?|capsules?|"
    r"injections?|sachets?|puffs?|drops?)\b",
    re.I,
)
_WORD_TIMES_RE = re.compile(
    r"\b(?:(?P<once>once|twice)|(?P<word>one|two|three|four|five)\s+times)"
    r"(?:\s*(?:–|-|to|or)\s*(?P<word2>two|three|four|five)\s+times)?"
    r"\s*(?P<per>(?:a|per|each)\s+(?:day|week)|daily|weekly)\b",
    re.I,
)
# "1 in 10", the frequency bands of side effects; what stands before says which side.
# "a double dose" is two doses.
_DOUBLE_DOSE_RE = re.compile(r"\bdouble\s+doses?\b", re.I)
# "1 to 10 users in 100" (an EU band: common) counts as "up to 1 in 10".
BAND_RE = re.compile(
    rf"(?:(?P<side>more than|over|greater than|at least|up to|fewer than|less than|"
    rf"at most)\s+)?(?<![\w.,])(?P<a>{_NUMBER})(?:{_SEP}(?P<a2>{_NUMBER}))?"
    rf"\s+(?:(?:users?|people|persons?|patients?|adults?|children)\s+)?"
    rf"in\s+(?:every\s+)?(?P<b>{_NUMBER})"
    r"(?![\w,]|\.\d)",
    re.I,
)
# An amount (mg, mg/kg, ml ...) said to be a starting dose, a usual (maintenance) dose
# or a maximum by the words just before it in its sentence ("Starting dose: 5 mg",
# "no more than 40 mg"; "at most" after it) must be among the amounts the sources give
# in that role, where they give any of that kind.
_SENTENCE_END_RE = re.compile(r"[.;!?](?=\s|$)")
_AMOUNTS = frozenset({"mass", "mg/kg", "mg/ml", "mg/m2", "volume"})
DOSE_ROLE_RES = (
    (
        "maximum",
        re.compile(r"\bmaxim(?:um|a|al)\b|\bexceed|\b(?:no|not) more than\b|\bat most\b", re.I),
    ),
    (
        "starting",
        re.compile(
            r"\b(?:starting|initial|first) (?:daily )?dose\b|\bstart(?:s|ed|ing)? (?:with|at|on)\b|"
            r"\bdose (?:to )?start\b",
            re.I,
        ),
    ),
    ("usual", re.compile(r"\bmaintenance\b|\busual (?:daily )?dose\b", re.I)),
)
DOSE_ROLES = tuple(role for role, _pattern in DOSE_ROLE_RES)
# Labels word starting and usual doses too many ways ("160 mg initially", "300 mg is
# the preferred maintenance dose") for their words to be read: only their maxima are.
LABEL_DOSE_ROLES = ("maximum",)
MAXIMUM_AFTER_RE = re.compile(r"\bat (?:the )?most\b|\bat maximum\b", re.I)
# The forms a storage temperature can be given for, as one word each.
_FORM_WORDS = {
    **dict.fromkeys(("tablet", "tablets"), "tablet"),
    **dict.fromkeys(("capsule", "capsules"), "capsule"),
    **dict.fromkeys(("solution", "liquid", "infusion", "injection", "ampoule"), "solution"),
    **dict.fromkeys(("pen", "pens"), "pen"),
    **dict.fromkeys(("syringe", "syringes"), "syringe"),
    **dict.fromkeys(("vial", "vials"), "vial"),
    **dict.fromkeys(("cream", "ointment", "gel"), "cream"),
    **dict.fromkeys(("blister", "blisters"), "blister"),
    **dict.fromkeys(("bottle", "bottles"), "bottle"),
}
FORM_RE = re.compile(r"\b(" + "|".join(_FORM_WORDS) + r")\b", re.I)
# The frequency bands' names; "the most common side effects" names no band.
BAND_NAME_RE = re.compile(
    r"(?<!most )(?<!less )(?<!more )\b(very common|very rare|uncommon|common|rare|not known)\b",
    re.I,
)
# Ages written without a unit: "aged 1 to 10", "children over 10", "people over 65".
AGE_RE = re.compile(
    rf"\b(?:(?:aged?|ages)\s+(?:of\s+)?|(?:children|child|people|adults?|patients|"
    rf"adolescents|teenagers|those|anyone|babies|infants)\s+(?:aged\s+)?"
    rf"(?:over|under|older than|younger than|above|below|from)\s+(?:the age of\s+)?)"
    rf"(?:about\s+)?(?P<a>{_NUMBER})(?:{_SEP}(?P<b>{_NUMBER}))?(?![\w,]|\.\d)",
    re.I,
)


@dataclasses.dataclass(frozen=True)
class Quantity:
    """A number with its kind of unit, in the dimension's base unit (mg, ml, °C ...).

    A single value has low == high; `side` is "more" or "up to" for frequency bands.
    """

    dimension: str
    low: Decimal
    high: Decimal
    text: str
    side: str = ""
    # The frequency band a "1 in 10" is given for on its line ("Common: up to 1 in 10").
    band: str = ""
    # The role an amount is given in: "maximum" ("Maximum dose: 80–100 mg a day"),
    # "starting" or "usual"; "" for none.
    role: str = ""
    # The forms a temperature is given for in its sentence ("Keep tablets at ...").
    forms: frozenset[str] = frozenset()

    @property
    def is_range(self) -> bool:
        return self.low != self.high


def _decimal(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def _factor(unit: str, table) -> Decimal:
    for pattern, factor in table:
        if pattern.match(unit.strip()):
            return factor
    return Decimal(1)


def _convert(value: Decimal, unit_text: str, dimension: str, how: str) -> Decimal:
    if how == "F":
        return ((value - 32) * 5 / 9).quantize(Decimal("0.1")).normalize()
    if dimension == "mass":
        unit = re.split(r"\s*/", unit_text, maxsplit=1)[0]
        return (value * _factor(unit, _MASS_FACTORS)).normalize()
    if dimension == "volume":
        return (value * _factor(unit_text, _VOLUME_FACTORS)).normalize()
    if dimension in ("mg/ml", "mg/m2"):
        unit = re.split(r"\s*(?:/|per)", unit_text, maxsplit=1)[0]
        return (value * _factor(unit, _MASS_FACTORS)).normalize()
    return value.normalize()


def _unit_of(unit_text: str) -> tuple[str, str]:
    text = " ".join(unit_text.split())
    for pattern, dimension, how in _UNIT_TESTS:
        if pattern.fullmatch(text):
            return dimension, how
    raise ValueError(unit_text)  # pragma: no cover: the text matched _UNIT_RE


def find_quantities(text: str, roles: tuple[str, ...] = DOSE_ROLES) -> Iterator[Quantity]:
    """Every quantity in one line of text, in order of where it starts; an amount's
    role is looked for among `roles`."""
    found: list[tuple[int, int, Quantity]] = []
    for match in QUANTITY_RE.finditer(text):
        dimension, how = _unit_of(match["unit"])
        if match["ua"]:
            first_dimension, _how = _unit_of(match["ua"])
            if match["b"] is None or first_dimension != dimension:
                # "5 mg three times a day" matched as one: keep its first part only,
                # the rest is found again from where it starts.
                found.extend(
                    (match.start() + start, match.start() + end, quantity)
                    for start, end, quantity in _first_only(match)
                )
                continue
        try:
            low = _decimal(match["a"])
            high = _decimal(match["b"]) if match["b"] else low
        except InvalidOperation:  # pragma: no cover: the pattern allows digits only
            continue
        first_unit = match["ua"] or match["unit"]
        low = _convert(low, first_unit, dimension, how)
        high = _convert(high, match["unit"], dimension, how)
        found.append((match.start(), match.end(), Quantity(dimension, low, high, match[0])))
    for match in _WORD_TIMES_RE.finditer(text):
        dimension = "times a week" if "week" in match["per"].lower() else "times a day"
        low = Decimal(_WORD_NUMBERS[(match["once"] or match["word"]).lower()])
        high = Decimal(_WORD_NUMBERS[match["word2"].lower()]) if match["word2"] else low
        found.append((match.start(), match.end(), Quantity(dimension, low, high, match[0])))
    for match in BAND_RE.finditer(text):
        a, b = _decimal(match["a2"] or match["a"]), _decimal(match["b"])
        if a == 0:
            continue
        side = (match["side"] or "up to").lower()
        side = "more" if side in ("more than", "over", "greater than", "at least") else "up to"
        value = (b / a).normalize()
        names = list(BAND_NAME_RE.finditer(text, 0, match.start()))
        band = names[-1][1].lower() if names else ""
        quantity = Quantity("1 in", value, value, match[0], side, band)
        found.append((match.start(), match.end(), quantity))
    for match in _DOUBLE_DOSE_RE.finditer(text):
        found.append(
            (match.start(), match.end(), Quantity("doses", Decimal(2), Decimal(2), match[0]))
        )
    for match in _WORD_UNIT_RE.finditer(text):
        dimension, how = _unit_of(match["unit"])
        value = Decimal(_WORD_NUMBERS[match["word"].lower()])
        found.append((match.start(), match.end(), Quantity(dimension, value, value, match[0])))
    for match in AGE_RE.finditer(text):
        rest = text[match.end() :]
        if re.match(rf"\s*(?:{_UNIT_RE})(?![A-Za-z])|\s*in\s+\d", rest, re.I):
            continue  # "aged 4 years", "over 80 mg": the unit's own match counts it
        low = _decimal(match["a"])
        high = _decimal(match["b"]) if match["b"] else low
        found.append((match.start(), match.end(), Quantity("years", low, high, match[0])))
    # A quantity inside another's span (the "10" of "1 in 10" read as an age) is dropped.
    found.sort(key=lambda item: (item[0], -item[1]))
    kept: list[tuple[int, int, Quantity]] = []
    for start, end, quantity in found:
        if kept and start < kept[-1][1]:
            continue
        kept.append((start, end, quantity))
    ends = [match.end() for match in _SENTENCE_END_RE.finditer(text)]
    amounts = [(start, end) for start, end, q in kept if q.dimension in _AMOUNTS]
    for start, end, quantity in kept:
        if quantity.dimension in _AMOUNTS:
            # "Maximum dose: 80 mg", "no more than 20 mg", "80 mg ... at most": the words
            # stand next to this amount, in its sentence, with no other amount between.
            begin = max(
                [0] + [e for e in ends if e <= start] + [e for _s, e in amounts if e <= start]
            )
            stop = min(
                [e for e in ends if e > end] + [s for s, _e in amounts if s >= end] + [len(text)]
            )
            said = [
                (match.end(), role)
                for role, pattern in DOSE_ROLE_RES
                if role in roles
                for match in pattern.finditer(text, begin, start)
            ]
            if said:  # the nearest words say the role
                quantity = dataclasses.replace(quantity, role=max(said)[1])
            elif "maximum" in roles and MAXIMUM_AFTER_RE.search(text, end, stop):
                quantity = dataclasses.replace(quantity, role="maximum")
        elif quantity.dimension == "temperature":
            # "Keep tablets at or below 25°C": the forms named in the sentence.
            begin = max([0] + [e for e in ends if e <= start])
            stop = min([e for e in ends if e > end] + [len(text)])
            forms = frozenset(
                _FORM_WORDS[word.lower()] for word in FORM_RE.findall(text, begin, stop)
            )
            if forms:
                quantity = dataclasses.replace(quantity, forms=forms)
        yield quantity


def _first_only(match: re.Match) -> list[tuple[int, int, Quantity]]:
    """The first number-and-unit of a match that ran on into a second unit."""
    offset = match.start()
    span_end = match.end("ua") - offset
    part = match[0][:span_end]
    dimension, how = _unit_of(match["ua"])
    value = _convert(_decimal(match["a"]), match["ua"], dimension, how)
    return [(0, span_end, Quantity(dimension, value, value, part))]


# --- the sources' numbers ------------------------------------------------------------


class SourceError(Exception):
    """A source document that is missing or cannot be read; the message says why."""


@dataclasses.dataclass
class SourceNumbers:
    """What the sources hold: single values (and range ends) and whole ranges."""

    values: set[tuple[str, Decimal, str]] = dataclasses.field(default_factory=set)
    ranges: set[tuple[str, Decimal, Decimal]] = dataclasses.field(default_factory=set)
    # Frequencies given for a named band: (band, value, side); and the bands named.
    banded: set[tuple[str, Decimal, str]] = dataclasses.field(default_factory=set)
    # The amounts and ranges given in a role: (role, dimension, value ...).
    roles: set[tuple[str, str, Decimal]] = dataclasses.field(default_factory=set)
    role_ranges: set[tuple[str, str, Decimal, Decimal]] = dataclasses.field(default_factory=set)
    # The temperatures given for a form: (form, value).
    form_temperatures: set[tuple[str, Decimal]] = dataclasses.field(default_factory=set)
    count: int = 0

    def add_text(self, text: str, roles: tuple[str, ...] = DOSE_ROLES) -> None:
        for line in text.splitlines():
            for quantity in find_quantities(line, roles):
                self.add(quantity)

    def add(self, quantity: Quantity) -> None:
        self.count += 1
        self.values.add((quantity.dimension, quantity.low, quantity.side))
        self.values.add((quantity.dimension, quantity.high, quantity.side))
        if quantity.is_range:
            self.ranges.add((quantity.dimension, quantity.low, quantity.high))
        if quantity.band:
            self.banded.add((quantity.band, quantity.low, quantity.side))
        for form in quantity.forms:
            self.form_temperatures.update({(form, quantity.low), (form, quantity.high)})
        if quantity.role:
            role, dimension = quantity.role, quantity.dimension
            self.roles.update({(role, dimension, quantity.low), (role, dimension, quantity.high)})
            if quantity.is_range:
                self.role_ranges.add((role, dimension, quantity.low, quantity.high))

    def merge(self, other: SourceNumbers) -> None:
        """Add what `other` holds (left unchanged)."""
        self.values |= other.values
        self.ranges |= other.ranges
        self.banded |= other.banded
        self.roles |= other.roles
        self.role_ranges |= other.role_ranges
        self.form_temperatures |= other.form_temperatures
        self.count += other.count

    def holds(self, quantity: Quantity) -> bool:
        if quantity.band and any(band == quantity.band for band, _v, _s in self.banded):
            # A band the sources give a frequency for must have that frequency.
            return (quantity.band, quantity.low, quantity.side) in self.banded
        key = quantity.dimension
        given = {form for form, _value in self.form_temperatures} & quantity.forms
        if given:
            # A temperature for a form the sources give temperatures for must be one of
            # that form's ("tablets: 25°C" is not the pump liquid's 30°C).
            return any(
                all(
                    (form, value) in self.form_temperatures
                    for value in (quantity.low, quantity.high)
                )
                for form in given
            )
        role = quantity.role
        if role and any(r == role and d == key for r, d, _v in self.roles):
            # A starting dose, usual dose or maximum of a kind the sources give in that
            # role must be one of those ("Maximum: 30–80 mg" is the usual dose's range).
            if quantity.is_range and (role, key, quantity.low, quantity.high) in self.role_ranges:
                return True
            return all((role, key, value) in self.roles for value in (quantity.low, quantity.high))
        if quantity.is_range and (key, quantity.low, quantity.high) in self.ranges:
            return True
        return all(
            (key, value, quantity.side) in self.values for value in (quantity.low, quantity.high)
        )


def _numbers_of(path: Path) -> SourceNumbers:
    """The numbers of one source document; read once per version of the file (the
    review pages audit every time they are shown, and an SPL label takes 0.1 s)."""
    if not path.is_file():
        raise SourceError("the file does not exist")
    stat = path.stat()
    return _cached_numbers(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _cached_numbers(path: str, mtime_ns: int, size: int) -> SourceNumbers:
    numbers = SourceNumbers()
    is_fact_sheet = Path(path).suffix.lower() in (".yaml", ".yml")
    numbers.add_text(
        read_source_text(Path(path)), DOSE_ROLES if is_fact_sheet else LABEL_DOSE_ROLES
    )
    return numbers


def read_source_text(path: Path) -> str:
    """The text of one source document whose numbers the audit reads: a YAML fact sheet
    (every value of it), or an SPL or ePI label read by reading.read_label (its
    sections' text and its products' strengths). Raises SourceError."""
    if not path.is_file():
        raise SourceError("the file does not exist")
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError, ValueError) as error:
            raise SourceError(f"the fact sheet cannot be read ({_first_line(error)})") from None
        return "\n".join(_yaml_texts(data, with_keys=True))
    return _label_text(path)


def _yaml_texts(data, key: str = "", *, with_keys: bool = False) -> Iterator[str]:
    """Every scalar of `data`; with_keys, each after the keys that lead to it, their
    underscores as spaces ("storage tablets at or below: 25 °C", "side effect
    frequency bands common: up to 1 in 10 people"): they say what a fact sheet's
    number is about (a form, a band, a maximum)."""
    if isinstance(data, dict):
        for name, value in data.items():
            inner = f"{key} {name}".strip() if with_keys else str(name)
            yield from _yaml_texts(value, inner, with_keys=with_keys)
    elif isinstance(data, list):
        for value in data:
            yield from _yaml_texts(value, key, with_keys=with_keys)
    elif data is not None and not isinstance(data, bool):
        yield f"{key.replace('_', ' ')}: {data}" if with_keys and key else str(data)


def _label_text(path: Path) -> str:
    try:
        label = read_label(path)
    except NotALabel as error:
        raise SourceError(str(error)) from None
    return label_text(label)


def label_text(label: Label) -> str:
    """The text whose numbers a label gives: its title, its products' strengths and
    every section's heading and text."""
    parts = [label.title]
    for product in label.products:
        parts.extend(ingredient.strength for ingredient in product.ingredients)
    parts.extend(section.heading + "\n" + section.text for section in label.sections)
    return "\n".join(parts)


def _first_line(error: Exception) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0]


# --- the audit ---------------------------------------------------------------------

# Front-matter fields whose numbers are not the page's claims about the medicine.
_SKIPPED_FIELDS = frozenset(
    {"accepted_numbers", "source", "source_documents", "change_summary", "slug", "version"}
)
_FIELD_RE = re.compile(r"^([A-Za-z_][\w-]*)\s*:")


@dataclasses.dataclass(frozen=True)
class Finding:
    """One number of the page: found in the sources, accepted (with the reason), or not."""

    path: str
    line: int
    text: str  # the number as the page writes it
    context: str  # the whole line
    found: bool
    accepted_reason: str = ""

    @property
    def explained(self) -> bool:
        return self.found or bool(self.accepted_reason)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text!r} not found in the sources: {self.context}"


@dataclasses.dataclass(frozen=True)
class Acceptance:
    """An accepted number of the front matter, and whether the page still needs it."""

    number: str
    reason: str
    state: str  # "used", "found" (the sources hold it after all) or "absent" (not on the page)

    @property
    def note(self) -> str:
        return {
            "used": "",
            "found": "not needed: the sources hold this number",
            "absent": "the text no longer has this number",
        }[self.state]


@dataclasses.dataclass
class AuditReport:
    slug: str
    path: str
    sources: list[str]
    findings: list[Finding]
    acceptances: list[Acceptance]
    problems: list[str]  # sources that are missing or cannot be read
    source_count: int = 0  # the numbers the sources hold

    @property
    def total(self) -> int:
        return len(self.findings)

    @property
    def unexplained(self) -> list[Finding]:
        return [finding for finding in self.findings if not finding.explained]

    @property
    def accepted(self) -> list[Finding]:
        return [f for f in self.findings if not f.found and f.accepted_reason]

    @property
    def found(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.found]

    @property
    def ok(self) -> bool:
        return not self.unexplained and not self.problems

    def summary(self) -> str:
        """One line: "baclofen: all 57 numbers found in the sources" or "3 of 60 not found"."""
        if not self.sources:
            return f"{self.slug}: no source documents; {self.total} numbers cannot be checked"
        missing = len(self.unexplained)
        accepted = len(self.accepted)
        found = self.total - missing - accepted
        if missing:
            text = f"{self.slug}: {missing} of {self.total} numbers not found in the sources"
        elif accepted:
            text = (
                f"{self.slug}: all {self.total} numbers explained: {found} found in the "
                f"sources, {accepted} accepted"
            )
        else:
            text = f"{self.slug}: all {self.total} numbers found in the sources"
        if self.problems:
            text += f"; {len(self.problems)} source documents cannot be read"
        return text


def audit_monograph(
    text: str, path: str, content_dir: Path, elsewhere: Callable[[str], str | None] | None = None
) -> AuditReport:
    """Audit the monograph `text` (the file's whole text, named `path` in the report)
    against its source documents under `content_dir`. Reads files, writes nothing.

    The front matter is read leniently (a draft that does not parse yet is still
    audited): its `slug`, `source_documents` and `accepted_numbers`. A document not
    in the content folder is asked of `elsewhere` (its path -> the text of the label,
    or None), if given.
    """
    front, body_start = _front_matter(text)
    slug = str(front.get("slug") or Path(path).stem)
    documents = [str(item) for item in _as_list(front.get("source_documents"))]
    accepted = [
        (str(item.get("number", "")).strip(), str(item.get("reason", "")).strip())
        for item in _as_list(front.get("accepted_numbers"))
        if isinstance(item, dict)
    ]
    sources = SourceNumbers()
    problems = []
    root = Path(content_dir).resolve()
    for document in documents:
        target = (root / document).resolve()
        if root not in target.parents or not document.startswith("sources/"):
            problems.append(f"{document}: not a file under the content folder's sources/")
            continue
        if not target.is_file() and elsewhere is not None:
            # A label uploaded in the admin, kept in the media store.
            kept_text = elsewhere(document)
            if kept_text is not None:
                sources.add_text(kept_text, LABEL_DOSE_ROLES)
                continue
        try:
            sources.merge(_numbers_of(target))
        except SourceError as error:
            problems.append(f"{document}: {error}")
    accepted_quantities = [
        (number, reason, list(find_quantities(number))) for number, reason in accepted
    ]
    states: dict[int, str] = {}
    findings = []
    for line_number, line in _audited_lines(text, body_start):
        for quantity in find_quantities(line):
            found = sources.holds(quantity)
            reason = ""
            for index, (number, why, quantities) in enumerate(accepted_quantities):
                if _same_written(number, quantity.text) or (
                    len(quantities) == 1 and _same_quantity(quantities[0], quantity)
                ):
                    if found:
                        states.setdefault(index, "found")
                    else:
                        reason = why
                        states[index] = "used"
                    break
            findings.append(Finding(path, line_number, quantity.text, line.strip(), found, reason))
    acceptances = [
        Acceptance(number, reason, states.get(index, "absent"))
        for index, (number, reason, _quantities) in enumerate(accepted_quantities)
    ]
    return AuditReport(slug, path, documents, findings, acceptances, problems, sources.count)


def audit_file(path: Path, content_dir: Path) -> AuditReport:
    return audit_monograph(path.read_text(encoding="utf-8"), str(path), content_dir)


def _same_written(a: str, b: str) -> bool:
    def norm(text: str) -> str:
        return re.sub(r"\s+", "", text.replace("–", "-").replace("—", "-")).lower()

    return norm(a) == norm(b)


def _same_quantity(a: Quantity, b: Quantity) -> bool:
    return (a.dimension, a.low, a.high, a.side) == (b.dimension, b.low, b.high, b.side)


def _as_list(value) -> list:
    return value if isinstance(value, list) else []


def _front_matter(text: str) -> tuple[dict, int]:
    """The front matter as a dict ({} when it cannot be read) and the index of the
    first body line (0-based)."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return {}, 0
    for index, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            try:
                # Every value as text (no dates or numbers to go wrong): the audit needs
                # only the slug, source_documents and accepted_numbers.
                data = yaml.load("\n".join(lines[1:index]), Loader=yaml.BaseLoader)  # noqa: S506 -- BaseLoader builds only strings, lists and dicts
            except (yaml.YAMLError, RecursionError, ValueError):
                data = None
            return (data if isinstance(data, dict) else {}), index + 1
    return {}, 0


def _audited_lines(text: str, body_start: int) -> Iterator[tuple[int, str]]:
    """(line number, line) of every line whose numbers the page claims: the front
    matter's fields but those in _SKIPPED_FIELDS, and the whole body."""
    field = ""
    for index, line in enumerate(text.splitlines()):
        if 0 < index < body_start - 1:
            match = _FIELD_RE.match(line)
            if match:
                field = match[1]
            if field in _SKIPPED_FIELDS:
                continue
            yield index + 1, line
        elif index >= body_start:
            yield index + 1, line


def audit_version(version) -> AuditReport:
    """The audit of a stored version's text (a draft, or any other) against the source
    documents under settings.CONTENT_DIR: what the review and publish pages show."""
    from django.conf import settings

    from .uploads import open_source_document

    def in_media_store(document: str) -> str | None:
        label = open_source_document(document)
        return label_text(label) if label is not None else None

    name = f"{version.medicine.slug} version {version.number}"
    return audit_monograph(version.source_text, name, settings.CONTENT_DIR, in_media_store)
