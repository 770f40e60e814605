"""Which country or period an analytic question names (assistant/planner/analytics_filters.py)."""

import pytest

from assistant.planner.analytics_filters import period, place, same_country, unknown_attribute


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("what's the typical basket in the UK", "UK"),
        ("average order value in the uk", "uk"),
        ("revenue from Germany", "Germany"),
        ("orders from Saudi Arabia", "Saudi Arabia"),
        ("total revenue in Outerwear", None),  # one of the shop's categories
        ("average order value per segment", None),
        ("how many customers in segment 2", None),
        ("how many orders in March", None),  # a month (a period), not a place
        ("revenue for December", None),
    ],
)
def test_a_country_is_found_and_the_shops_own_words_are_not_one(text, found):
    assert place(text, ["Outerwear", "Northlane"]) == found


@pytest.mark.parametrize(
    ("asked", "recorded", "same"),
    [
        ("UK", "United Kingdom", True),
        ("the uk", "United Kingdom", True),
        ("Britain", "United Kingdom", True),
        ("Ireland", "EIRE", True),
        ("USA", "United States", True),
        ("France", "france", True),
        ("UK", "Ukraine", False),
        ("France", "Germany", False),
    ],
)
def test_a_country_as_typed_is_the_one_the_orders_log_records(asked, recorded, same):
    assert same_country(asked, recorded) is same


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("how much did we sell last year", "last year"),
        ("revenue in 2011", "in 2011"),
        ("orders since March", "since March"),
        ("how much did we sell over Christmas", "over Christmas"),  # a span the periods do not know: refused
        ("average order value per segment", None),
        ("how many customers have not bought in 6 months", None),  # a recency filter, which is applied
    ],
)
def test_a_period_is_found(text, span):
    assert period(text) == span


@pytest.mark.parametrize(
    ("text", "attribute"),
    [
        ("what's the average age of our customers", "age"),
        ("average spend of women", "women"),
        ("how many customers do we have in London", "london"),
        ("revenue from the United States", None),  # a country, answered from the orders
        ("how many customers bought more than once", None),
    ],
)
def test_an_attribute_the_data_does_not_hold_is_found(text, attribute):
    assert unknown_attribute(text, ["Outerwear"]) == attribute


def test_the_shops_own_words_are_no_attribute():
    assert unknown_attribute("revenue of our Women category", ["Women", "Outerwear"]) is None


def test_no_example_phrasing_of_an_answering_intent_is_refused_for_an_attribute():
    """ "what's the current state of the data" once read "state" as a customer attribute."""
    from assistant.planner.intents import examples

    answering = ("analytics", "overview", "best_customers")
    assert [e.text for e in examples() if e.intent in answering and unknown_attribute(e.text, [])] == []
