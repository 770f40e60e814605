"""Thirty phrasings kept aside: written after the intents file, never added to it, scored as they are.

They cover what the classifier must generalise to: synonyms, references to what is on screen,
revisions that do not say "revise", a preview for someone, analytic questions and small talk.
The score is reported as measured; the floor below is that measurement, so a change that makes
understanding worse fails here. Misread phrasings are listed, not hidden: do NOT add these to
intents.toml to make them pass (write new aside phrasings if you do).
"""

from __future__ import annotations

from assistant.planner.intents import examples
from assistant.planner.model import understood

ASIDE = [
    ("can you load a pretend store for me", "generate_demo"),
    ("populate everything with test customers", "generate_demo"),
    ("what do we have in here", "overview"),
    ("anything dodgy in the customer records?", "validate"),
    ("sort the broken addresses out", "fix_data"),
    ("split the base into audiences", "segment"),
    ("what's inside cluster 3", "segment_show"),
    ("who exactly are the night owls", "segment_show"),
    ("call segment 5 Early birds", "segment_rename"),
    ("how many clusters would be ideal", "segment_compare"),
    ("go with 5 then", "segment"),
    ("give me the priciest jackets", "find_products"),
    ("stuff with a big markup and lots in stock", "find_products"),
    ("grab the two cheapest of those", "shortlist_add"),
    ("the second one please, add it", "shortlist_add"),
    ("which audience would love the first two", "match"),
    ("who is likely to want these coats", "rank"),
    ("put together an email for the bargain hunters", "draft"),
    ("a bit cosier in tone", "revise"),
    ("less hard sell", "revise"),
    ("mention that delivery is free", "revise"),
    ("how would it look for a random shopper", "preview"),
    ("show the version Anna gets", "preview"),
    ("fire away, send it", "send"),
    ("hang on, don't send yet", "not_now"),
    ("what was the click-through like", "report"),
    ("any opt-outs?", "report"),
    ("avg basket per cluster", "analytics"),
    ("customers by country please", "analytics"),
    ("cheers, that's great", "smalltalk"),
]
# Right out of 30: 26 when these were written (913 phrasings); 24 at 1,141 (it read "any opt-outs?" like
# "any sweaters?"); 26 at 1,231; 28 at 2,581 with concepts; 29 at 2,620. Still misread: those listed when
# this runs with -s.
MEASURED = 29


def test_the_aside_phrasings_are_not_in_the_training_data():
    trained = {e.text.lower() for e in examples()}
    assert [text for text, _ in ASIDE if text.lower() in trained] == []
    assert len(ASIDE) == 30


def test_unseen_phrasings_are_understood():
    read = {text: (understood(text) or [("help", 0.0)])[0][0] for text, _ in ASIDE}
    missed = [f"{text!r}: read as {read[text]}, meant {intent}" for text, intent in ASIDE if read[text] != intent]
    right = len(ASIDE) - len(missed)
    print(f"\nunseen phrasings: {right}/{len(ASIDE)} right\n" + "\n".join(missed))
    assert right >= MEASURED, "\n".join(missed)
