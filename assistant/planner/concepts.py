"""Concepts a request touches, added to what the classifier reads as extra words ("cdryrun", "cquestion").

The synonym lexicon in `classifier.py` REPLACES words that mean the same thing ("clusters" ->
"segment"). A concept is looser: many wordings that point the same way ("rehearse", "pretend to",
"without actually sending" all say: not for real), kept beside the words themselves so nothing the
wording says is lost. They let a phrasing whose exact words appear in no example still land near the
examples that share its concept — the weak spot of word and character n-grams on ~2,000 examples.
Measured with `python -m bench.nlu` (held out by paraphrase family, and on the blind aside set).

Hand-written: the concepts are the domain's (sending for real or not, the shortlist, consent), and
the general word lists that exist (WordNet, embeddings) bring large data for a few hundred words and
put opposites close together ("send" and "cancel" are both things done to a campaign).
"""

from __future__ import annotations

import re

CONCEPTS = {
    "approve": r"approve|sign(?:ed|s)? (?:it |this |that )?off|green.?light|rubber.?stamp|thumbs up|good to go|lgtm"
    r"|ok to send|okay to send",
    "forgood": r"for good|permanently|entirely|completely|altogether|once and for all|terminate|scrap|kill|abort"
    r"|call (?:\w+ )?off",
    "discard": r"bin|trash|ditch|discard|throw (?:it |this |that )?(?:away|out)|toss|dump|start over|from scratch"
    r"|not right|no good|rubbish|reject",
    "dupes": r"dupes?|duplicates?|deduplicate|dedupe|double entries|twice|merge",
    "tryout": r"play (?:with|around)|experiment|try (?:it|things|this|stuff) out|test.?drive|kick the tyres"
    r"|kick the tires|explore|tinker|sandbox|example (?:shop|store|data|customers)|no data"
    r"|(?:don'?t|do not|haven'?t) (?:have|got) (?:any )?data|empty",
    "bringin": r"import|upload|attach|bring (?:in|over)|load|my own|our own|real (?:data|shop|customers)"
    r"|here(?:'s| is) (?:my|our|the)|get (?:my|our|the) \w+ (?:in|into)|from shopify|from mailchimp|export from"
    r"|csv|spreadsheet|excel|file",
    "summary": r"summary|summari[sz]e|overview|big picture|at a glance|headline|snapshot|rundown|lay of the land"
    r"|what'?s (?:in )?(?:here|there)|what (?:we|i) have|what do (?:we|i) have|what'?s loaded|how much data"
    r"|size of|in total|overall|totals?",
    "guide": r"tour|commands?|capabilit\w*|what can you|what'?s possible|how does (?:this|it) work"
    r"|get(?:ting)? started|where (?:do|should) i (?:start|begin)|walk me through|how do i use|features|examples?",
    "stockhigh": r"overstock\w*|too much stock|excess(?: stock)?|lots (?:of|in) stock|plenty (?:of|in) stock"
    r"|piling up|sitting (?:around|on the shelf)|not moving|slow.?moving|clear(?:ance)?|shift",
    "stocklow": r"running (?:low|out)|low (?:on )?stock|almost (?:gone|out)|sold out|nearly out|scarce|last few",
    "bestsell": r"best.?sell\w*|top.?sell\w*|selling|popular|most (?:bought|sold|ordered)|hot items|hits|trending",
    "promote": r"push|feature|promote|highlight|showcase|spotlight|put forward",
    "continue": r"keep going|go on|carry on|continue|what else|beyond|scroll|remaining|the rest"
    r"|more of (?:them|these|those)|after (?:these|that|those)|page",
    "mention": r"mention|say that|say the|talk about|add (?:a|the|something|that)|include|note that|tell them"
    r"|let them know|point out|remind them",
    "copy": r"paragraph|sentence|line|wording|words|copy|headline|subject|intro|opening|greeting|sign.?off|closing"
    r"|ending|tone|voice|text|body|phrasing|cta|call to action|emoji",
    "tone": r"stiff|formal|direct|energetic|punch\w*|zip\w*|zing|loosen|relaxed|chatty|conversational|fun|cheeky"
    r"|witty|serious|professional|corporate|gentle|subtle|cos[yz]|upbeat|enthusiastic|excit\w*|bland|boring|dull"
    r"|flat|wordy|long.?winded|waffl\w*|simpler|plain(?:er)?|clearer|catchier|warm\w*|friendl\w*|soft\w*|bold\w*"
    r"|calm\w*|salesy|pushy",
    "sentpast": r"delivered|went out|gone out|go out\?|was sent|were sent|been sent|did (?:it|we|they) (?:send|go)"
    r"|is it sent|have we sent|landed|arrived|reach(?:ed)? (?:them|people|inboxes)",
    "golive": r"go live|out the door|hit send|press send|push the (?:send )?button|unleash|dispatch|roll (?:it )?out"
    r"|kick off|release|let it (?:go|rip)|pull the trigger|send|launch|deliver it|mail (?:it|them|everyone)"
    r"|email (?:it|everyone|them)",
    "dryrun": r"dry.?run|simulat\w*|rehears\w*|practi[cs]e|pretend|trial run|mock|without (?:actually )?send\w*"
    r"|don'?t (?:actually )?send|not for real|test run|what if",
    "reach": r"reach|how many (?:people|recipients|messages|emails|customers)|audience size|number of recipients"
    r"|recipient count|who (?:would|will) get|who'?s on the list|headcount",
    "each": r"each|every|per|by segment|by group|across|breakdown|break down|split",
    "future": r"will|going to|gonna|likely|about to|expected|predict\w*|forecast\w*|future|upcoming"
    r"|next (?:month|quarter|year|few)|soon|come back|return",
    "value": r"valu\w*|worth|spend\w*|spent|revenue|money|lifetime|clv|ltv",
    "churn": r"churn\w*|lapsing|lapsed|slipping|drifting|gone quiet|going quiet|inactive|dormant|at.risk|win.?back"
    r"|losing|lost|stop(?:ped)? buying|drop(?:ping)? (?:off|out)|not come back",
    "kcount": r"how many (?:segments|groups|clusters|personas|audiences|kinds|types)|which k|what k|right number"
    r"|best number|ideal number|optimal|segment count|number of (?:segments|groups|clusters)|k|sweep|compare"
    r"|evaluate|versus|vs|enough",
    "split": r"^(?:(?:please|now|ok|okay|then|so|can you|could you|let'?s) )*(?:segment|cluster|group|split|divide"
    r"|bucket|carve|break up|sort)",
    "question": r"^(?:what|which|who|whom|whose|how|why|where|when|is|are|was|were|do (?:we|i|you|they|our|my)|does"
    r"|did|should|could|can|would|will|have|has|any)",
    "shortlist": r"shortlist\w*|picks?|picked|selected|selection|chosen|kept|bookmark\w*|saved|favourites?"
    r"|favorites?|basket|list of products",
    "remove": r"remove|delete|drop|clear|empty|unpick|unselect|deselect|get rid of|take (?:\w+ )?(?:off|out)"
    r"|without|exclude|forget",
    "consent": r"consent|opt.?in|opted|permission|gdpr|allowed to email|may we email|can we email|unsubscribed",
    "address": r"postal|address in|footer|sender|from address|reply.?to|company address",
    "history": r"previous|past|earlier|before|history|old|sent so far|so far|all (?:my|our|the) (?:campaigns|emails)"
    r"|drafts",
}
PATTERNS = [(f"c{name}", re.compile(r"\b(?:" + words + r")\b")) for name, words in CONCEPTS.items()]
QUESTION_MARK = re.compile(r"\?\s*$")


def concepts(text: str) -> list[str]:
    """The concept words of a request, e.g. ["cdryrun", "cquestion"] for "can we rehearse the send?"."""
    text = text.lower().strip()
    found = [word for word, pattern in PATTERNS if pattern.search(text)]
    if "cquestion" not in found and QUESTION_MARK.search(text):
        found.append("cquestion")
    return found


def topics(text: str) -> list[str]:
    """The concepts that say what a request is about: all but the question form, which any text can have."""
    return [word for word in concepts(text) if word != "cquestion"]
