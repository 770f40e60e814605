"""What sells together, from the orders log: "what do people usually buy together", "what goes with the jumbo bag".

Expected figures are counted with pandas from the fixture: pairs of products in the same invoice, returns left out."""

from __future__ import annotations

from itertools import combinations

from tests.test_new_shop_chat import Chat, load
from tests.uci import uci_lines


def baskets():
    lines = uci_lines()
    placed = lines[~lines["returned"] & (lines["StockCode"] != "")]
    return placed.groupby("InvoiceNo")["StockCode"].apply(lambda codes: sorted(set(codes)))


def test_the_pair_bought_together_most_often_is_counted_over_the_orders(ctx):
    """It searched the catalogue for a product called "together"."""
    load(ctx, "orders", "online_retail.csv")
    pairs = {}
    for codes in baskets():
        for pair in combinations(codes, 2):
            pairs[pair] = pairs.get(pair, 0) + 1
    repeated = {pair: n for pair, n in pairs.items() if n > 1}
    answer, ended = Chat(ctx).say("what do people usually buy together")
    assert [e.name for e in ended] == ["query_data", "query_data"]
    assert f"in {max(repeated.values())} orders; {len(repeated):,} pairs were bought together" in answer
    top = ended[-1].result.tables[0].to_df()["Orders with both"].tolist()
    assert top == sorted(repeated.values(), reverse=True)[: len(top)]


def test_what_goes_with_one_product_is_what_its_orders_also_held(ctx):
    load(ctx, "orders", "online_retail.csv")
    lines = uci_lines()
    named = set(lines[lines["Description"].str.lower().str.contains("jumbo bag red retrospot")]["StockCode"])
    with_it = [codes for codes in baskets() if named & set(codes)]
    also = {}
    for codes in with_it:
        for code in set(codes) - named:
            also[code] = also.get(code, 0) + 1
    answer, _ = Chat(ctx).say("what goes with the jumbo bag red retrospot")
    most = max(also.values())
    assert answer.startswith(f"Orders with “jumbo bag red retrospot” ({len(with_it)} of them) most often also held **")
    assert answer.endswith(f"({most} orders, {most / len(with_it):.0%}).")


def test_a_log_without_products_per_order_cannot_tell(demo_ctx):
    answer, _ = Chat(demo_ctx).say("which products are frequently bought together")
    assert answer.startswith("Your orders log does not record which products each order held")


def test_going_with_a_choice_is_not_a_basket_question():
    """ "Go with 4" (segments) was read as "what goes with ...", and the recipe failed on another tool's step."""
    from assistant.planner import together

    assert not together.asked("go with 4") and not together.asked("I want to go with the playful one")
    assert together.asked("what sells well with candles")
