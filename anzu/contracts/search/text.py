"""Text normalisation, index grams and highlighted snippets for contract search.

Every string — indexed document or query — goes through :func:`normalize` first: Unicode NFKC
(full-width letters, digits and punctuation become half-width; compatibility ideographs become
the unified ones), lower case, whitespace runs collapsed to one space.

Grams are what the PostgreSQL GIN indexes hold (``int4[]`` columns of :func:`gram_key` hashes):

- a run of CJK characters gives its bigrams (``南京西路`` → 南京, 京西, 西路), and in key fields
  also its single characters, so a one-character query can search names and addresses;
- a run of letters and digits gives its bigrams and trigrams (``l2026`` → l2, 20, …, l20, 202, …).

A query term needs every one of its own grams in the document (CJK: bigrams, or the character
itself when it is alone; Latin: trigrams, or the bigram when the term has two characters), then
the exact substring is checked. The grams only narrow the candidates; the substring decides.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

# CJK unified ideographs (+ extension A, compatibility), kana and hangul syllables.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af"
_RUNS = re.compile(rf"([{_CJK}]+)|([0-9a-z]+)")
_SPACES = re.compile(r"\s+")
_IS_CJK = re.compile(rf"[{_CJK}]")

# Separates the key fields inside the stored ``keys`` text; never part of a query.
FIELD_SEPARATOR = "\n"


def normalize(value: str | None) -> str:
    """NFKC, lower case, one space between words (full-width → half-width included)."""
    if not value:
        return ""
    text = unicodedata.normalize("NFKC", value).lower()
    return _SPACES.sub(" ", text).strip()


def has_cjk(value: str) -> bool:
    return bool(_IS_CJK.search(value))


def _ngrams(run: str, n: int) -> Iterable[str]:
    return (run[i : i + n] for i in range(len(run) - n + 1))


def document_grams(text: str, *, single_cjk: bool = False) -> set[str]:
    """The grams of an already normalised text (a set: each gram once)."""
    grams: set[str] = set()
    for match in _RUNS.finditer(text):
        cjk, latin = match.group(1), match.group(2)
        if cjk:
            grams.update(_ngrams(cjk, 2))
            if single_cjk:
                grams.update(cjk)
        else:
            grams.update(_ngrams(latin, 2))
            grams.update(_ngrams(latin, 3))
    return grams


def gram_key(gram: str) -> int:
    """The gram as stored in the PostgreSQL arrays: its CRC-32 as a signed 32-bit integer.

    Integers keep the GIN indexes small and fast to build (no collation-aware text compares); a
    rare collision only widens the candidates, which the substring check then removes.
    """
    value = zlib.crc32(gram.encode("utf-8"))
    return value - (1 << 32) if value >= (1 << 31) else value


def query_grams(term: str) -> set[str]:
    """The grams a document must hold to contain the (normalised) term (all of them: for
    Chinese the overlapping bigrams together are far more selective than any one)."""
    grams: set[str] = set()
    for match in _RUNS.finditer(term):
        cjk, latin = match.group(1), match.group(2)
        if cjk:
            grams.update(_ngrams(cjk, 2) if len(cjk) > 1 else [cjk])
        elif len(latin) >= 3:
            grams.update(_ngrams(latin, 3))
        elif len(latin) == 2:
            grams.add(latin)
    return grams


def needs_single_cjk(term: str) -> bool:
    """Whether a term's grams include a lone CJK character (only key grams hold those)."""
    return any(len(m.group(1) or "") == 1 for m in _RUNS.finditer(term))


def split_terms(query: str) -> list[str]:
    """Normalised query terms (split on spaces), duplicates dropped, order kept."""
    seen: list[str] = []
    for term in normalize(query).split(" "):
        if term and term not in seen:
            seen.append(term)
    return seen


def searchable(term: str) -> bool:
    """A term that can be looked up: at least one CJK character or two letters/digits."""
    return bool(query_grams(term))


# Latin typo tolerance -------------------------------------------------------------------------


def _padded_trigrams(word: str) -> set[str]:
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def trigram_set(text: str) -> set[str]:
    """pg_trgm's trigrams of a text: each alphanumeric word padded with two spaces in front and
    one behind."""
    grams: set[str] = set()
    for word in re.findall(r"[0-9a-z]+", text):
        grams |= _padded_trigrams(word)
    return grams


def word_similarity(term: str, text: str) -> float:
    """Similarity of ``term`` to the most similar word of ``text`` (pg_trgm's ``similarity``
    taken word by word: shared trigrams ÷ trigrams of either). 0 when nothing is shared."""
    query = trigram_set(term)
    if not query:
        return 0.0
    best = 0.0
    for word in set(re.findall(r"[0-9a-z]+", text)):
        grams = _padded_trigrams(word)
        shared = len(query & grams)
        if shared:
            best = max(best, shared / len(query | grams))
    return best


# Snippets -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fragment:
    text: str
    hit: bool


def highlight(text: str, terms: Iterable[str], *, width: int = 80) -> list[Fragment]:
    """A window of ``text`` around the first hit of any term, split into hit / plain fragments.

    Matching is on the normalised text; NFKC can change lengths, so the snippet is cut from the
    normalised text (what the user searched), not the original.
    """
    normal = normalize(text)
    terms = [t for t in terms if t]
    if not normal:
        return []
    spans: list[tuple[int, int]] = []
    for term in terms:
        start = normal.find(term)
        while start != -1:
            spans.append((start, start + len(term)))
            start = normal.find(term, start + len(term))
    spans.sort()
    first = spans[0][0] if spans else 0
    begin = max(0, first - width // 4)
    end = min(len(normal), begin + width)
    fragments: list[Fragment] = []
    if begin > 0:
        fragments.append(Fragment("…", False))
    cursor = begin
    for s, e in spans:
        if e <= cursor or s >= end:
            continue
        s = max(s, cursor)
        e = min(e, end)
        if s > cursor:
            fragments.append(Fragment(normal[cursor:s], False))
        fragments.append(Fragment(normal[s:e], True))
        cursor = e
    if cursor < end:
        fragments.append(Fragment(normal[cursor:end], False))
    if end < len(normal):
        fragments.append(Fragment("…", False))
    return fragments
