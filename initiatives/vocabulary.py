"""Vocabulary mismatch: do the two owners of an initiative describe it in the same words?

The measure is deliberately one a person can check by hand, and the ExCo page explains it:
take the meaningful words of each description (lower-cased, common words such as "the" or
"will" dropped, plural and verb endings trimmed so "claims" and "claim" count once), and
divide the number of words both descriptions use by the number of words either uses (the
Jaccard index). 0 means no word in common, 1 the same vocabulary.

Each initiative stores its own score (`Initiative.description_overlap`, measured on save),
so the ExCo page reads one number per initiative instead of two texts. Changing the rules
below changes no stored score: recompute them in the same change, with a data migration.
"""

from __future__ import annotations

import re

# Below this share of shared words, the two owners are flagged as describing different things.
MISMATCH_BELOW = 0.15

_WORD = re.compile(r"[a-z][a-z0-9]+")
_STOP_WORDS = frozenset(
    """
    a about above after again all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers him his how i if in into is it its itself
    just me more most my no nor not now of off on once only or other our ours out over own
    same she should so some such than that the their theirs them then there these they this
    those through to too under until up very was we were what when where which while who
    whom why will with would you your yours per via use used uses using new make makes made
    get gets one two three every across within without less much many way ways lets let
    """.split()  # noqa: SIM905 - a block of words reads better than a 200-item list
)
_ENDINGS = ("ations", "ation", "ings", "ing", "ies", "ied", "es", "ed", "s")


def _stem(word: str) -> str:
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


def vocabulary(text: str) -> frozenset[str]:
    """The description's meaningful words, trimmed of common endings."""
    return frozenset(_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOP_WORDS and len(w) > 2)


def shared_vocabulary(first: str, second: str) -> float | None:
    """The share of words both texts use among the words either uses; None when either
    text has no meaningful word (nothing to compare)."""
    a, b = vocabulary(first), vocabulary(second)
    if not a or not b:
        return None
    return len(a & b) / len(a | b)
