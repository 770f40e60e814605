"""The filters an analytic question asks for: how recently or how often customers bought (applied as a WHERE
on the customers' recency or order count), one country, which the templates cannot apply as a WHERE, and a
period they cannot cut to (a period they can is read in periods.py and applied in analytics_periods.py).

Answering "the typical basket in the UK" or "how much did we sell last year" over every country and
every year would be silently wrong. A country is answered from the breakdown by country (its row is
looked up in the result, so nothing the user typed reaches the SQL); a period the planner does not know
("over Christmas") is refused with the reason and what to ask instead.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from assistant.planner import slots

if TYPE_CHECKING:
    from assistant.planner.memory import Request

# What people call a country, as the orders logs name it (the UCI log: "United Kingdom", "USA", "EIRE").
ALIASES = {
    "united kingdom": r"uk|u\.k\.|britain|great britain|england|the united kingdom|united kingdom",
    "usa": r"us|u\.s\.|usa|america|the states|united states",
    "eire": r"ireland|eire",
}
# A capitalised name ("France", "Saudi Arabia"), or a known alias in any case ("the uk"), but "US" only in capitals
# ("bought from us" is no country); then more joined on ("the UK vs France", "France, Spain and Germany").
NAMES = r"(?i:" + "|".join(ALIASES.values()).replace("us|", "", 1) + r")|US|[A-Z][a-z]+(?: [A-Z][a-z]+)?"
JOINED = r"\s*(?:,|\bvs\.?|\bversus|\band|\bor|\bcompared (?:to|with)|\bagainst)\s+(?:the )?"


# "the Irish", "Australians", "our German customers": the country its people are called after. A word that is also
# an adjective ("French", "Swiss") counts only said of people, so "French blue door sign" stays a product.
DEMONYMS = {
    "irish": "Ireland", "british": "United Kingdom", "brits": "United Kingdom", "americans": "USA",
    "american": "USA", "french": "France", "germans": "Germany", "german": "Germany", "spanish": "Spain",
    "spaniards": "Spain", "dutch": "Netherlands", "australians": "Australia", "australian": "Australia",
    "aussies": "Australia", "italians": "Italy", "italian": "Italy", "belgians": "Belgium", "belgian": "Belgium",
    "swiss": "Switzerland", "portuguese": "Portugal", "swedes": "Sweden", "swedish": "Sweden",
    "norwegians": "Norway", "norwegian": "Norway", "danes": "Denmark", "danish": "Denmark", "finns": "Finland",
    "finnish": "Finland", "poles": "Poland", "polish": "Poland", "austrians": "Austria", "austrian": "Austria",
    "canadians": "Canada", "canadian": "Canada", "japanese": "Japan", "greeks": "Greece", "greek": "Greece",
    "cypriots": "Cyprus", "cypriot": "Cyprus",
}  # fmt: skip
_PEOPLE = r"(?:customers?|shoppers?|buyers?|clients?|people|market|orders?|accounts?|sales|revenue|turnover)"
DEMONYM = re.compile(
    r"\b(?:(?P<people>"
    + "|".join(d for d in DEMONYMS if d.endswith("s") and d not in ("swiss", "portuguese"))
    + r")|(?P<said>"
    + "|".join(DEMONYMS)
    + r") "
    + _PEOPLE
    + r"|\bthe (?P<the>"
    + "|".join(DEMONYMS)
    + r")(?= (?:buy|bought|order|ordered|spend|spent|like|want|prefer|are|were"
    r"|do|did|love)\b|\s*[?.!,]|$))\b",
    re.I,
)


@cache
def place_patterns(countries: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The first place ("in …") and one more joined on; the orders log's own countries in any case ("in france")."""
    recorded = "|".join(re.escape(c) for c in sorted(countries, key=len, reverse=True))
    names = f"(?i:{recorded})|{NAMES}" if recorded else NAMES
    return re.compile(rf"\b(?:in|from|for) (?:the )?(?P<place>{names})\b"), re.compile(rf"{JOINED}(?P<place>{names})\b")


@cache
def bare_place(countries: tuple[str, ...]) -> re.Pattern[str]:
    """A country named with no "in" before it ("how much did germany spend", "uk customers", "UK vs Ireland"):
    only one the orders log records or a known alias, so a capitalised word ("Regency") is no country."""
    recorded = "|".join(re.escape(c) for c in sorted(countries, key=len, reverse=True))
    aliases = "|".join(ALIASES.values()).replace("us|", "", 1)
    return re.compile(rf"\b(?:the )?(?P<place>(?i:{recorded + '|' if recorded else ''}{aliases})|US)(?:'s)?\b")


PERIOD = re.compile(
    r"\b(?:last|this|previous|past) (?:year|month|quarter|week|christmas|summer|winter|spring|autumn|season)\b"
    r"|\b(?:over|during|at|for|in|around|since|on) (?:the )?(?:christmas|xmas|easter|black friday|cyber monday"
    r"|(?:the )?holidays|holiday season|summer|winter|spring|autumn)\b"
    r"|\b(?:in|during|for|since) (?:19|20)\d\d\b|\byesterday\b|\btoday\b|\bytd\b|\byear to date\b"
    r"|\bsince (?:january|february|march|april|may|june|july|august|september|october|november|december)\b",
    re.I,
)
NOT_PLACES = ["the", "i", "we", "my", "our", "segment", "group", "total", "stock", "store", "shop", "email",
              *calendar.month_name[1:], *calendar.month_abbr[1:], "Sept", "Christmas", "Easter", "Summer", "Winter",
              "Spring", "Autumn", "Fall", "Halloween", "Valentine", "Valentines", "Mother", "Mothers", "Father",
              "Fathers", "Black Friday", "Cyber Monday", "New Year", "Q1", "Q2", "Q3", "Q4"]  # fmt: skip


def places(text: str, not_places: list[str], countries: Sequence[str] = ()) -> list[str]:
    """The countries a question names ("in the UK", "from France", "in the UK vs France"), as typed; `countries`
    (as the orders log spells them) are found in any case. `not_places`: the shop's own words that are no
    country (its categories and brands: "in Outerwear")."""
    known = {w.lower() for w in [*NOT_PLACES, *not_places]}
    first, more = place_patterns(tuple(countries))

    def country(name: str) -> bool:
        return name.lower() not in known and name.split()[0].lower() not in known  # "Mothers Day"

    found = next((m for m in first.finditer(text) if country(m["place"])), None)
    if found is None and (people := DEMONYM.search(text)):  # "what are Australians buying"
        return [DEMONYMS[next(g for g in people.groups() if g).lower()]]
    if found is None:
        found = next((m for m in bare_place(tuple(countries)).finditer(text) if country(m["place"])), None)
    named = [found["place"]] if found else []
    while found and (found := more.match(text, found.end())) and country(found["place"]):
        named.append(found["place"])
    return named


def place(text: str, not_places: list[str], countries: Sequence[str] = ()) -> str | None:
    """The first country a question names (see `places`); None when it names none."""
    return next(iter(places(text, not_places, countries)), None)


def same_country(asked: str, recorded: str) -> bool:
    """Whether a country as typed ("the UK") is the one an orders log records ("United Kingdom")."""
    asked, recorded = re.sub(r"^the ", "", asked.lower().strip()), recorded.lower().strip()
    if asked == recorded:
        return True
    return any(recorded == name and re.fullmatch(words, asked) for name, words in ALIASES.items()) or any(
        re.fullmatch(words, asked) and re.fullmatch(words, recorded) for words in ALIASES.values()
    )


def period(text: str) -> str | None:
    """The period a question limits itself to ("last year", "in 2011"), as typed; None when it names none."""
    match = PERIOD.search(text)
    return match.group(0) if match else None


def period_refused(span: str, label: str) -> str:
    return (
        f"I cannot limit {label.lower()} to a period (“{span}”) yet, and over all your orders it would be a "
        "different figure. I understand periods such as *last year*, *in March 2011*, *Q4*, *the last 90 days* "
        "or *since January*; or ask per month, e.g. *revenue per month*, and read the months you need."
    )


# "customers who haven't ordered in 6 months", "bought in the last 30 days": a filter on the customers' recency
# (or on how often they ordered: `Frequency`).
UNITS = {"day": 1, "week": 7, "month": 30, "year": 365}
_SINCE = r"(?:ordered|bought|purchased|shopped|been back)(?: anything)?"
_COUNT = r"\d+|a|an|one|two|three|four|five|six|nine|twelve"
# "in 6 months", "in the last 90 days", "in the last week" (one, unsaid)
_SPAN = rf"(?:the )?(?:(?:last|past) (?:(?P<n>{_COUNT}) )?|(?P<n2>{_COUNT}) )(?P<unit>day|week|month|year)s?"
_NOT = r"(?:haven'?t|have not|hasn'?t|has not|not|didn'?t|did not|no longer)"
LAPSED = re.compile(rf"\b{_NOT} {_SINCE} (?:in|for|since) (?:over |more than |longer than |at least )?{_SPAN}")
RECENT = re.compile(rf"\b{_SINCE} (?:in|within|during) {_SPAN}")


@dataclass(frozen=True)
class Recency:
    days: int
    lapsed: bool  # not bought in that time (else: bought in it)

    @property
    def sql(self) -> str:
        return f"b.days_since_last_purchase {'>' if self.lapsed else '<='} {self.days}"

    def words(self, span: str) -> str:
        return f"who {'have not bought' if self.lapsed else 'bought'} in the last {span}"


# "customers who bought more than 3 times", "ordered at least twice": a filter on the customers' order count.
TIMES = re.compile(
    r"\b(?:ordered|bought|purchased|shopped|placed (?:an order|orders))(?: from us| with us)? "
    r"(?P<op>more than|over|at least|fewer than|less than|under) (?P<n>\d+|one|two|three|four|five|six|ten) times\b"
    r"|\b(?:ordered|bought|purchased|shopped)(?: from us| with us)? (?P<op2>at least) (?P<n2>twice)\b"
)
OPERATORS = {"more than": ">", "over": ">", "at least": ">=", "fewer than": "<", "less than": "<", "under": "<"}


@dataclass(frozen=True)
class Frequency:
    operator: str  # one of OPERATORS' values: never the user's text
    times: int

    @property
    def sql(self) -> str:
        return f"b.order_count {self.operator} {int(self.times)}"

    def words(self, said: str) -> str:
        return f"who ordered {said} times"


def recency(text: str) -> tuple[Recency | Frequency, str] | None:
    """The filter on customers a question asks for: how recently they bought, with its span in words ("6
    months"), or how often ("more than 3"), if any."""
    if often := TIMES.search(text):
        said, n = (often["op"], often["n"]) if often["op"] else (often["op2"], "2")
        times = int(n) if n.isdigit() else slots.NUMBER_WORDS.get(n, 1)
        return Frequency(OPERATORS[said], times), f"{said} {times}"
    match = LAPSED.search(text) or RECENT.search(text)
    if match is None:
        return None
    n = match["n"] or match["n2"] or "1"
    count = int(n) if n.isdigit() else slots.NUMBER_WORDS.get(n, 1)
    unit = match["unit"]
    return Recency(count * UNITS[unit], match.re is LAPSED), (f"{count} {unit}s" if count != 1 else unit)


# What a question may ask about that no table records: answering without it would be silently wrong
# ("the average age of our customers" is not their number; "average spend of women" is not everyone's).
UNKNOWN = re.compile(
    r"\b(?P<what>(?<!\bin )(?<!\bfor )ages?"  # "in ages", "for ages": a long time, not an age
    r"|aged|how old|gender|sex|women|woman|men|man|female|male|ladies|city|cities|town|postcodes?"
    r"|zip ?codes?|regions?|birthdays?|born|income|salary|jobs?|occupation|london|paris|new york"
    r"|berlin)\b",
    re.I,
)


def unknown_attribute(text: str, own_words: list[str]) -> str | None:
    """The customer attribute a question names that the data does not hold ("age", "women", "London");
    not one of the shop's own words (`own_words`: a category called "Women" is a category)."""
    known = {w.lower() for w in own_words}
    for match in UNKNOWN.finditer(text):
        if match["what"].lower() not in known:
            return match["what"].lower()
    return None


def shop_words(req: Any) -> list[str]:
    """The shop's own category, brand and segment names, which are never an attribute or a place."""
    vocabulary = req.vocabulary()
    names = [str(n) for n in ((getattr(req, "segment_names", None) or {}) | vocabulary.segments).values()]
    starts = [" ".join(n.split()[:k]) for n in names for k in (1, 2)]  # "in Recent big spenders" is no place
    return [*vocabulary.categories, *vocabulary.brands, *names, *starts]


def unknown_refused(attribute: str) -> str:
    return (
        f"Your data does not record customers' {ATTRIBUTE_WORDS.get(attribute, attribute)}, so I cannot answer "
        "that without it being a different figure. I can break figures down by segment, style, customer type, "
        "category, brand, month, or country (from the orders log)."
    )


ATTRIBUTE_WORDS = {
    **dict.fromkeys(["ages", "aged", "how old", "age"], "age"),
    **dict.fromkeys(["women", "woman", "men", "man", "female", "male", "ladies", "sex"], "gender"),
    **dict.fromkeys(["cities", "town", "london", "paris", "new york", "berlin"], "city"),
    **dict.fromkeys(["postcodes", "zip code", "zip codes", "zipcode", "zipcodes"], "postcode"),
    **dict.fromkeys(["regions"], "region"),
    **dict.fromkeys(["birthdays", "born"], "birthday"),
    **dict.fromkeys(["salary"], "income"),
    **dict.fromkeys(["jobs", "occupation"], "job"),
}


def no_such_country(country: str, countries: list[str]) -> str:
    """A country the orders log never names, and the ones it does (a few, and how many more)."""
    named = ", ".join(sorted(countries)[:8]) or "none"
    more = f" and {len(countries) - 8:,} more" if len(countries) > 8 else ""
    return f"Your orders log has no orders from {country}. The countries it has: {named}{more}."


def recorded_country(text: str, countries: list[str], not_places: list[str]) -> tuple[str | None, str | None]:
    """The country a question names, as the orders log spells it ("the US" -> "USA"), or why it cannot be
    used: (country, None), (None, refusal), or (None, None) when the question names no country."""
    named = places(text, not_places, countries)
    if not named:
        return None, None
    if len(named) > 1:
        return (
            None,
            f"I can answer that for one country at a time, not for {' and '.join(named)} together: ask for each.",
        )
    asked = named[0]
    if not countries:
        return None, no_countries(asked)
    found = next((c for c in countries if same_country(asked, c)), None)
    return (found, None) if found else (None, no_such_country(asked, countries))


def no_countries(asked: str) -> str:
    return (
        f"Your data has no countries (an orders log with a country column gives them), so I cannot tell who is in "
        f"{asked}."
    )


def sql_text(value: str) -> str:
    """A value read from the data (never the user's text) as a SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


# "which of them haven't ordered since January", "how many of those haven't been back in 6 months", right after a
# list of customers: those listed, not the whole shop
OF_THEM = re.compile(
    r"\b(?:of|among(?:st)?)\s+(?:them|those|these)\b|\b(?:those|these)\s+(?:customers|people|ones)\b"
    r"|\b(?:of|among(?:st)?)\s+the\s+(?:openers|clickers|recipients|non[- ]?openers)\b",  # a campaign's, listed
    re.I,
)


# "how much did they spend", "how many orders have those placed": a figure of the customers just listed
THEY = re.compile(
    r"\b(?:did|do|does|have|had|are|were|will|would) (?:they|those|these)\b"
    r"|\b(?:they|those|these) (?:spend|spent|buy|bought|order|ordered|place|placed)\b|\btheir\b",
    re.I,
)


def of_those_listed(req: Request, pronoun: bool = False) -> list[str]:
    """The customers the last answer listed, when the request asks about them ("which of them ...", or with
    `pronoun` "how much did they spend"); else none."""
    shown = req.before.shown in ("customers", "predicted customers")
    asked = OF_THEM.search(req.text) or (pronoun and THEY.search(req.text))
    return req.before.customers if shown and asked else []


def listed_ids(req: Request, pronoun: bool = False) -> tuple[str, dict[str, Any]]:
    """The customers the last answer listed, as SQL to put after IN, and its parameters ("", {} when the request is
    not about them). A list that was the first rows of more ("35 customers; the top 10 listed") is all of them: the
    query that found them again, without its LIMIT, its parameters renamed apart (a query this planner wrote, run
    again in the read-only sandbox). Else the ids in its table (the data's, never the user's text)."""
    listed = of_those_listed(req, pronoun)
    if not listed:
        return "", {}
    query = req.before.customers_query
    if query and req.before.customers_of > len(listed):
        sql = re.sub(r"\$(\w+)", r"$listed_\1", LIMIT.sub("", str(query["sql"])))
        params = {f"listed_{name}": value for name, value in (query.get("params") or {}).items()}
        return f"(SELECT customer_id FROM ({sql}))", params  # noqa: S608 - run in the sandbox
    return f"({', '.join(sql_text(str(c)) for c in listed)})", {}


def among(req: Request, column: str = "c.customer_id") -> tuple[str, dict[str, Any]]:
    """The SQL that keeps to the customers the last answer listed (`listed_ids`), and its parameters."""
    ids, params = listed_ids(req)
    return (f" AND {column} IN {ids}", params) if ids else ("", {})


LIMIT = re.compile(r"\s+LIMIT\s+\d+\s*$", re.I)
# A hidden column of a list that is the first rows of a set asked for ("35 customers have not bought this year; the 10
# who spent most are listed"), not a ranking ("my top 10 customers"): "which of them" is then about the whole set
A_SET = ", TRUE AS _a_set"


def how_many_listed(req: Request) -> int:
    """How many customers the list just shown was of (35, when its first 10 rows were listed)."""
    listed = req.before.customers
    return max(req.before.customers_of, len(listed)) if req.before.customers_query else len(listed)


def who_of(req: Request, n: int, everyone: str) -> str:
    """ "**2 of the 5 customers just listed**", "**9 of those 35 customers**", or `everyone` when the request is about
    the whole shop."""
    listed = of_those_listed(req)
    if not listed:
        return everyone
    of = how_many_listed(req)
    if n == of > 1:
        return f"**All {n:,} of those customers**"
    return (
        f"**{n:,} of the {of:,} customers just listed**"
        if of == len(listed)
        else f"**{n:,} of those {of:,} customers**"
    )
