"""The period an analytic question limits itself to, as dates: "last year", "in March 2011", "Q4", "last 90 days".

Relative periods count from today, the marketer's calendar (`today`, which the planner is given), not from
the last order in the log: "last year" said in 2026 is 2025, even in a shop whose orders stopped in 2011
(the answer then says where the orders run). A period is a start day and the day after its last
(`stop`); the SQL compares the order date with them as bound parameters ($period_start, $period_stop),
so nothing the user typed reaches the SQL text.

Recognised by hand, with the calendar arithmetic from dateutil's `relativedelta` (installed with
pandas). dateutil's parser reads one absolute date, and its fuzzy mode takes any number in a sentence
for a day ("top 10 customers" is the 10th); it has no relative phrases ("last quarter", "since
January"). The phrases marketers type for a period are few, so a small grammar here is clearer, and
anything it does not know ("over Christmas") is left for the refusal in analytics_filters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from assistant.planner import slots

MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10,
    "nov": 11, "dec": 12,
}  # fmt: skip
MONTH = r"(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")"
YEAR = r"(?:19|20)\d\d"
UNIT = {"day": "day", "week": "week", "month": "month", "quarter": "quarter", "year": "year"}
QUARTERS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}
IN = r"(?:in|during|for|of|over|throughout|across)\s+(?:the\s+(?:month|year)\s+of\s+)?"
NOT_YEAR = r"(?:customers|orders|products|people|items|units|skus|shoppers|buyers|clients|emails|rows|\.\d|,\d)"
N = r"(?P<n>\d+|" + "|".join(slots.NUMBER_WORDS) + r"|a|an)"
PATTERNS = [  # (kind, pattern), tried in order; the first that matches at a place wins
    ("date", rf"\b(?:on\s+)?(?:the\s+)?(?P<d>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?(?:\s+of)?\s+(?P<m>{MONTH})"
             rf"(?:,?\s+(?P<y>{YEAR}))?\b"
             rf"|\bon\s+(?:the\s+)?(?P<m2>{MONTH})\s+(?P<d2>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?(?:,?\s+(?P<y2>{YEAR}))?\b"),
    ("between", rf"\b(?:between|from)\s+(?P<m1>{MONTH})(?:\s+(?P<y1>{YEAR}))?\s+(?:and|to|till|until|through|-)\s+"
                rf"(?P<m2>{MONTH})(?:\s+(?P<y2>{YEAR}))?\b"),
    ("years", rf"\b(?:between|from)\s+(?P<y1>{YEAR})\s+(?:and|to|till|until|through|-)\s+(?P<y2>{YEAR})\b"),
    ("rolling", rf"\b(?:in\s+|over\s+|during\s+|for\s+|within\s+)?(?:the\s+)?(?:last|past|previous)\s+{N}\s+"
                r"(?P<unit>day|week|month|year)s?\b"),
    ("rolling1", r"\b(?:in|over|during|within|for)\s+the\s+(?:last|past)\s+(?P<unit>week|month|year)\b"
                 r"|\b(?:the\s+)?past\s+(?P<unit2>week|month|year)\b"),
    ("last", r"\b(?:last|previous|prior)\s+(?P<unit>week|month|quarter|year)(?:'s)?\b"),  # calendar
    ("this", r"\b(?:this|current|the\s+current)\s+(?P<unit>week|month|quarter|year)(?:'s)?"
             r"(?:\s+(?:so\s+far|to\s+date))?\b|\b(?P<todate>year|month|quarter)[\s-]to[\s-]date\b|\b(?P<abbr>ytd|mtd|qtd)\b"),
    ("quarter", rf"\b(?:q(?P<q>[1-4])|(?:the\s+)?(?P<qw>first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter)"
                rf"(?:\s+(?:of\s+)?(?P<y>{YEAR}))?\b"),
    ("since", rf"\bsince\s+(?:(?P<m>{MONTH})(?:\s+(?P<my>{YEAR}))?|(?P<y>{YEAR}))\b"),
    ("month", rf"\b{IN}(?P<m>{MONTH})(?:\s+(?P<y>{YEAR}))?\b|\b(?P<m2>{MONTH})\s+(?P<y2>{YEAR})\b"
              rf"|\b(?P<m3>{MONTH})'s\b|\b(?:compare|vs\.?|versus|against|than|and|with|to)\s+(?P<m4>{MONTH})\b(?!\s*\d)"),
    ("year", rf"\b(?:in|during|for|throughout)\s+(?:the\s+year\s+)?(?P<y>{YEAR})\b(?!\s*{NOT_YEAR})"
             rf"|^\W*(?P<y2>{YEAR})(?:'s)?\s+(?!{NOT_YEAR})(?=[a-z])|\b(?P<y3>{YEAR})'s\b"
             rf"|\b(?:vs\.?|versus|against|than|compared\s+(?:to|with))\s+(?P<y4>{YEAR})\b(?!\s*{NOT_YEAR})"
             rf"|(?<=[a-z] )(?<!over )(?<!above )(?<!than )(?<!under )(?<!below )(?<!least )(?<!most )(?<!top )"
             rf"(?<!first )(?<!last )(?P<y5>{YEAR})\W*$"
             rf"|\b(?:how (?:did|was|were|is|does)|was|were)\s+(?P<y6>{YEAR})\b(?!\s*{NOT_YEAR})"  # how did 2004 go
             rf"|\bcompare\s+(?P<y7>{YEAR})\b(?!\s*{NOT_YEAR})"
             rf"|(?<=\d\d\d\d )(?:and|with|to)\s+(?P<y8>{YEAR})\b(?!\s*{NOT_YEAR})"
             rf"|\b(?P<y9>{YEAR})(?=\s+(?:and|with|vs\.?|versus|against)\s+{YEAR}\b(?!\s*{NOT_YEAR}))"),
    ("day", r"\b(?P<day>yesterday|today)\b"),
]  # fmt: skip
COMPILED = [(kind, re.compile(pattern, re.I)) for kind, pattern in PATTERNS]
# "this year vs last year", "compared to last month", "2011 against 2010", "better than last year": two periods.
LEAD = re.compile(
    r"^(?:vs\.?|versus|against|than|compared?\s+(?:to|with)|compare|and|with|to|how (?:did|was|were|is|does)|was|were)"
    r"\s+",
    re.I,
)
COMPARE = re.compile(  # "than" before an amount ("spent more than 500 last month") compares no periods
    r"\b(?:vs\.?|versus|compared?\s+(?:to|with)|comparison|against|(?:up|down)\s+(?:on|from))\b"
    r"|\bthan\b(?!\s*(?:[€$£]|(?!(?:19|20)\d\d\b)\d))",
    re.I,
)
# "did sales go up last month", "has revenue grown this quarter": the period against the one before it.
GROWTH = re.compile(
    r"\b(?:go|went|gone|going|goes|trending|trend) (?:up|down)\b|\bup or down\b|\bgr[oe]w(?:n|ing|th|s)?\b"
    r"|\b(?:increas|decreas|declin)\w*|\b(?:drop|dropped|fell|fall|rose|rise|improv\w*|better or worse)\b",
    re.I,
)
# "year on year", "month over month": this period against the one before, when no period is named.
ON_PREVIOUS = re.compile(r"\b(?P<unit>year|month|quarter|week)\s+(?:on|over)\s+(?P=unit)\b|\b(?P<abbr>yoy|mom)\b", re.I)


@dataclass(frozen=True)
class Period:
    start: date
    stop: date  # the day after the last
    typed: str  # as the user wrote it ("last year")

    @property
    def last(self) -> date:
        return self.stop - timedelta(days=1)

    def span(self) -> str:
        """The dates in words: "1 Jan–31 Dec 2011", "1–31 Mar 2011", "1 Dec 2010–9 Dec 2011", "9 Dec 2011"."""
        a, b = self.start, self.last
        if a == b:
            return day(a)
        if a.year != b.year:
            return f"{day(a)}–{day(b)}"
        if a.month != b.month:
            return f"{a.day} {a:%b}–{day(b)}"
        return f"{a.day}–{day(b)}"

    def params(self, prefix: str = "period") -> dict[str, str]:
        return {f"{prefix}_start": self.start.isoformat(), f"{prefix}_stop": self.stop.isoformat()}

    def to_date(self, today: date) -> bool:
        """Whether the period runs up to today (so far), rather than being over."""
        return self.start <= today < self.stop


def day(d: date) -> str:
    return f"{d.day} {d:%b %Y}"


def where(prefix: str = "period") -> str:
    """The WHERE on the order date, over bound parameters: `prefix` names them ($period_start, $period_stop)."""
    return f"o.ordered_at >= CAST(${prefix}_start AS DATE) AND o.ordered_at < CAST(${prefix}_stop AS DATE)"


@dataclass(frozen=True)
class Within:
    """The one period a question limits order lines to, as a condition to append and its parameters (none: "")."""

    sql: str  # " AND <the order date in the period>", or "" for all time
    params: dict[str, str]
    period: Period | None


def within(text: str, today: date) -> Within | None:
    """The period a question about order lines names, if any; None when it names two or more (asked apart)."""
    named = found(text, today)
    if len(named) > 1:
        return None
    return Within(f" AND {where()}", named[0].params(), named[0]) if named else Within("", {}, None)


def found(text: str, today: date) -> list[Period]:
    """Every period the text names, in the order written; overlapping readings give way to the first pattern."""
    taken: list[tuple[int, int, Period]] = []
    for kind, pattern in COMPILED:
        for match in pattern.finditer(text):
            if any(match.start() < end and start < match.end() for start, end, _ in taken):
                continue
            period = _read(kind, match, today)
            if period is not None:  # a period still under way ("Q4" in November) runs to today, not beyond
                stop = min(period.stop, today + timedelta(days=1)) if period.start <= today else period.stop
                typed = LEAD.sub("", period.typed)  # "vs 2010": 2010
                taken.append((match.start(), match.end(), Period(period.start, stop, typed)))
    return [p for _, _, p in sorted(taken, key=lambda t: t[0])]


def periods(text: str, today: date) -> list[Period]:
    """The one period a question asks about, or two it compares ("this year vs last year", "compared to
    last month": this month against last month); empty when it names none this grammar knows."""
    named = found(text, today)
    if len(named) == 1 and COMPARE.search(text) and (other := _month_said_alone(text, named[0], today)):
        return [other, named[0]]  # "how did february do compared to december": February against December
    if len(named) == 1 and COMPARE.search(text) and (partner := _current_for(named[0], today)):
        return [partner, before(partner, today) or named[0]]  # so far, against the same days of the last one
    if len(named) == 1 and GROWTH.search(text) and (earlier := before(named[0], today)):
        return [named[0], earlier]
    if not named and (on := ON_PREVIOUS.search(text)):
        unit = (on["unit"] or {"yoy": "year", "mom": "month"}[on["abbr"].lower()]).lower()
        now = Period(_start_of(unit, today), today + timedelta(days=1), f"this {unit}")
        return [now, _same_part_before(now, unit)]
    return named[:2]


def _month_said_alone(text: str, named: Period, today: date) -> Period | None:
    """Another month a comparison names without "in" ("february" in "how did february do compared to december")."""
    for month in re.finditer(rf"\b{MONTH}\b", text, re.I):
        if month[0].lower() in ("may", "march", "mar"):  # also words: "sales may drop compared to last month"
            continue
        if month[0].lower() not in named.typed.lower() and (said := found(f"in {month[0]}", today)):
            return said[0]
    return None


def _current_for(period: Period, today: date) -> Period | None:
    """For "compared to last month" alone: the current month (the period the comparison is with)."""
    match = re.search(r"\b(?:last|previous|prior)\s+(week|month|quarter|year)\b", period.typed, re.I)
    if match is None:
        return None
    unit = match.group(1).lower()
    start = _start_of(unit, today)
    return Period(start, today + timedelta(days=1), f"this {unit}")


def before(period: Period, today: date) -> Period | None:
    """The period just before a whole one, as long ("last month": the month before it). For one still running,
    the same part of the one before ("has revenue grown this year", on 5 March: 1 Jan-5 Mar of last year), since
    a year so far against a whole year would always look like a fall; None for "since March"."""
    running = re.search(r"\b(?:this|current|(?:year|month|quarter).to.date|so far|ytd|mtd|qtd)\b", period.typed, re.I)
    if running or re.search(r"\bsince\b", period.typed, re.I):
        unit = next((u for u in STEP if re.search(rf"\b{u}|\b{u[0]}td\b", period.typed, re.I)), None)
        return _same_part_before(period, unit) if running and unit in ("week", "month", "quarter", "year") else None
    length = relativedelta(period.stop, period.start)
    whole_months = period.start.day == 1 and period.stop.day == 1
    start = period.start - length if whole_months else period.start - (period.stop - period.start)
    if whole_months and length == relativedelta(months=1):
        typed = f"{start:%B %Y}"
    elif whole_months and length == relativedelta(years=1) and start.month == 1:
        typed = f"{start.year}"
    elif whole_months and length == relativedelta(months=3):
        typed = f"the quarter before ({start:%b}–{period.start - relativedelta(months=1):%b %Y})"
    else:
        typed = f"the {(period.start - start).days} days before"
    return Period(start, period.start, typed)


def _same_part_before(period: Period, unit: str) -> Period:
    """The same days one `unit` earlier: this year so far (1 Jan-5 Mar) against 1 Jan-5 Mar of last year."""
    return Period(period.start - STEP[unit], period.stop - STEP[unit], f"{SAME_DAYS} last {unit}")


def _start_of(unit: str, d: date) -> date:
    if unit == "week":
        return d - timedelta(days=d.weekday())
    if unit == "month":
        return d.replace(day=1)
    if unit == "quarter":
        return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)
    return date(d.year, 1, 1)


SAME_DAYS = "the same days of"  # how a period set against this one so far is called
STEP = {"week": relativedelta(weeks=1), "month": relativedelta(months=1), "quarter": relativedelta(months=3),
        "year": relativedelta(years=1), "day": relativedelta(days=1)}  # fmt: skip


def _latest_month(month: int, today: date) -> date:
    """The latest month of that name that has begun: "in March" said in November is this year's."""
    return date(today.year if month <= today.month else today.year - 1, month, 1)


def _read(kind: str, m: re.Match[str], today: date) -> Period | None:
    typed, tomorrow = m.group(0).strip(), today + timedelta(days=1)
    if kind == "between":
        first = MONTHS[m["m1"].lower()]
        last = MONTHS[m["m2"].lower()]
        if m["y1"] or m["y2"]:
            y2 = int(m["y2"] or m["y1"])
            y1 = int(m["y1"]) if m["y1"] else (y2 if first <= last else y2 - 1)
            start = date(y1, first, 1)
        else:
            start = _latest_month(first, today)
            if last < first and start.year == today.year:
                start = start.replace(year=start.year - 1)
        end = date(start.year if last >= first else start.year + 1, last, 1) if not m["y2"] else date(y2, last, 1)
        stop = end + relativedelta(months=1)
        return Period(start, stop, typed) if start < stop else None
    if kind == "years":
        start, stop = date(int(m["y1"]), 1, 1), date(int(m["y2"]) + 1, 1, 1)
        return Period(start, stop, typed) if start < stop else None
    if kind in ("rolling", "rolling1"):
        unit = (m["unit"] or m.groupdict().get("unit2") or "").lower()
        n = m.groupdict().get("n")
        count = 1 if n is None or n.lower() in ("a", "an") else int(n) if n.isdigit() else slots.NUMBER_WORDS[n.lower()]
        if count < 1:
            return None
        start = tomorrow - count * STEP[unit] if unit != "day" else tomorrow - timedelta(days=count)
        return Period(start, tomorrow, typed)
    if kind == "last":
        unit = m["unit"].lower()
        current = _start_of(unit, today)
        return Period(current - STEP[unit], current, typed)
    if kind == "this":
        unit = (
            m["unit"]
            or m["todate"]
            or {"ytd": "year", "mtd": "month", "qtd": "quarter"}.get((m["abbr"] or "").lower(), "year")
        ).lower()
        return Period(_start_of(unit, today), tomorrow, typed)
    if kind == "quarter":
        q = int(m["q"]) if m["q"] else QUARTERS[m["qw"].lower()]
        year = int(m["y"]) if m["y"] else (today.year if date(today.year, 3 * q - 2, 1) <= today else today.year - 1)
        start = date(year, 3 * q - 2, 1)
        return Period(start, start + STEP["quarter"], typed)
    if kind == "since":
        if m["m"]:
            month = MONTHS[m["m"].lower()]
            start = date(int(m["my"]), month, 1) if m["my"] else _latest_month(month, today)
        else:
            start = date(int(m["y"]), 1, 1)
        return Period(start, tomorrow, typed) if start < tomorrow else None
    if kind == "month":
        name, year = (m["m"] or m["m2"] or m["m3"] or m["m4"]).lower(), m["y"] or m["y2"]
        if name == "may" and not year and not re.match(r"(?:in|during|for|of|over|throughout|across)\b", typed, re.I):
            return None  # "may" the verb
        month = MONTHS[name]
        start = date(int(year), month, 1) if year else _latest_month(month, today)
        return Period(start, start + STEP["month"], typed)
    if kind == "year":
        start = date(int(next(m[g] for g in ("y", "y2", "y3", "y4", "y5", "y6", "y7", "y8", "y9") if m[g])), 1, 1)
        if typed.lower().startswith("since"):
            return Period(start, tomorrow, typed) if start < tomorrow else None
        return Period(start, start + STEP["year"], typed.rstrip())
    if kind == "day":
        start = today - timedelta(days=1) if m["day"].lower() == "yesterday" else today
        return Period(start, start + timedelta(days=1), typed)
    if kind == "date":  # "on 14th feb": that day (its latest one up to today, when no year is said)
        month, day_of_month = MONTHS[(m["m"] or m["m2"]).lower()], int(m["d"] or m["d2"])
        year = m["y"] or m["y2"]
        try:
            start = date(int(year) if year else today.year, month, day_of_month)
            if not year and start > today:
                start = start.replace(year=today.year - 1)
        except ValueError:  # "31 feb": no such day
            return None
        return Period(start, start + timedelta(days=1), typed)
    return None
