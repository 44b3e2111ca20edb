"""What search makes of text: the form a message is kept and indexed in, and what a query means.

Matching is case- and accent-insensitive in every script. SQLite's `unicode61` tokenizer
(`TOKENIZE`) folds case and Latin accents; `fold` does what it does not (Greek accents, ё,
Arabic and Hebrew vowel marks, ß, ı, đ, ł, ø, full-width and styled letters) on the copy FTS5
indexes, while the index keeps the text as written (`display_text`) for snippets. Chinese,
Japanese, Thai, Lao, Khmer and Burmese have no spaces between words: `display_text` puts a
zero-width space (U+200B) around each of their characters, and around each emoji, so each is a
token and a word of them is found as a phrase of consecutive characters (a substring search).

A query (`parse`) is words (all must match), "exact phrases", prefixes (`data*`), exclusions
(`-word`, `-"a phrase"`) and `OR` between two terms. Anything else is text: every term reaches
FTS5 as a quoted string, so no input is FTS5 syntax and none raises an error.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

FOLD_VERSION = 1
"""Bump when `fold`, `display_text` or `TOKENIZE` change: an index built otherwise is rebuilt."""

TOKENIZE = "unicode61 remove_diacritics 2 categories 'L* N* Co Mn Mc So' separators '\ufe0e\ufe0f'"
"""Letters, digits, private use, combining marks (Hindi, Thai and Arabic words stay whole) and
symbols (emoji) make tokens; the emoji variation selectors do not."""

MIN_PREFIX = 3
"""A prefix (`data*`) needs this many characters in its last word; a shorter one is a whole word
(a two-letter prefix merges hundreds of the index's lists: docs/search.md). A Hangul syllable
counts two: it is a consonant, a vowel and often a final consonant (`서울*` is a prefix)."""
MAX_TERMS = 32
ZWSP = "\u200b"

# Where `fold` has work: blocks of letters unicode61 does not fold (Greek, Arabic and Hebrew marks,
# letterlike and enclosed letters, ligatures, Arabic presentation forms, full-width, mathematical
# letters, skin tones) and single letters (ß, ı, đ, ł, ø, ё). Ranges, not a class of thousands of
# single characters: the regular expression runs on every message.
_FOLD_BLOCKS = [
    (0x00D8, 0x00D8), (0x00DF, 0x00DF), (0x00F8, 0x00F8), (0x0110, 0x0111), (0x0131, 0x0131),
    (0x0141, 0x0142), (0x0370, 0x03FF), (0x0401, 0x0401), (0x0451, 0x0451), (0x0591, 0x05C7),
    (0x0622, 0x0625), (0x0640, 0x0640), (0x0649, 0x0649), (0x064B, 0x065F), (0x0670, 0x0671),
    (0x06A9, 0x06A9), (0x06CC, 0x06CC), (0x1E9E, 0x1E9E), (0x1F00, 0x1FFF), (0x2100, 0x214F),
    (0x2460, 0x24FF), (0xFB00, 0xFDFF), (0xFE70, 0xFEFF), (0xFF01, 0xFF9F), (0x1D400, 0x1D7FF),
    (0x1F3FB, 0x1F3FF),
]  # fmt: skip


def is_token_char(char: str) -> bool:
    """Whether `char` is part of a token for `TOKENIZE` (by Python's Unicode tables)."""
    category = unicodedata.category(char)
    return category[0] in "LN" or category in ("Co", "Mn", "Mc", "So")


def _fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    # A compatibility form or accented letter becomes its base letters only when those are all
    # token characters, so a token never splits or vanishes and a snippet's marks stay on the
    # right words (snippet() tokenizes the text as written, the index holds it folded).
    for low, high in _FOLD_BLOCKS:
        for code in range(low, high + 1):
            char = chr(code)
            if not is_token_char(char):
                continue
            base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            base = unicodedata.normalize("NFC", base)
            if base and base != char and all(map(is_token_char, base)):
                table[code] = base
    marks = [
        *range(0x064B, 0x0660), 0x0670, 0x0640,  # Arabic vowel marks, superscript alef, tatweel
        *range(0x0591, 0x05BE), 0x05BF, 0x05C1, 0x05C2, 0x05C4, 0x05C5, 0x05C7,  # Hebrew points
        *range(0x1F3FB, 0x1F400),  # emoji skin tones: 👍🏽 is found by 👍
    ]  # fmt: skip
    table.update(dict.fromkeys(marks, ""))
    letters = {
        "ß": "ss", "ẞ": "ss", "ı": "i", "đ": "d", "Đ": "d", "ł": "l", "Ł": "l", "ø": "o", "Ø": "o",
        "ё": "е", "Ё": "е",  # Russian writes е for ё
        "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ی": "ي", "ک": "ك",  # Arabic and Persian letters
    }  # fmt: skip
    table.update({ord(k): v for k, v in letters.items()})
    return table


_FOLD = _fold_table()
_NEEDS_FOLD = re.compile("[" + "".join(f"{re.escape(chr(lo))}-{re.escape(chr(hi))}" for lo, hi in _FOLD_BLOCKS) + "]")
_SPACELESS = (
    "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
    "\U00020000-\U0003ffff"
)
_SYMBOLS = "\u00a9\u00ae\u00b0\u2100-\u2bff\u3000-\u303f\U0001f000-\U0001faff"
# One character of a spaceless script or a symbol, with the marks that belong to it (Thai and Lao
# vowel signs, kana voicing marks, variation selectors, the keycap, skin tones).
_UNIT = re.compile(
    f"[{_SPACELESS}{_SYMBOLS}][\u0e31\u0e34-\u0e3a\u0e47-\u0e4e\u0eb1\u0eb4-\u0ebc\u0ec8-\u0ecd"
    f"\u3099\u309a\ufe0e\ufe0f\u20e3\U0001f3fb-\U0001f3ff]*"
)
# Control characters (terminal escapes, the snippet marks) and the zero-width space itself.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f\u200b]")


def display_text(text: str) -> str:
    """Return `text` as the index keeps it: control characters (terminal escapes, the snippet
    marks) as spaces, and U+200B around each character of a script without spaces and each symbol."""
    if _CONTROLS.search(text):
        text = _CONTROLS.sub(" ", text)
    if text.isascii():
        return text
    return _UNIT.sub(lambda m: ZWSP + m.group() + ZWSP, text).replace(ZWSP + ZWSP, ZWSP)


def fold(text: str) -> str:
    """Return `text` as the index holds it: what unicode61 does not fold, folded, so that each
    token keeps its place (a snippet marks the words of the text as written)."""
    if text.isascii():  # constant time: the commonest case costs nothing
        return text
    return text.translate(_FOLD) if _NEEDS_FOLD.search(text) else text


def _token_chars(text: str) -> int:
    return sum(1 for c in text if is_token_char(c) and not unicodedata.combining(c))


def _prefix_length(word: str) -> int:
    return _token_chars(word) + sum(1 for c in word if "\uac00" <= c <= "\ud7a3")


# ---- queries ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """A word or a phrase of a query, in the form the index holds (`fold(display_text(...))`)."""

    text: str
    prefix: bool = False
    """The last word is a prefix (`data*`)."""

    def match(self) -> str:
        """The term as an FTS5 string (quotes doubled: FTS5 strings have no other escape)."""
        return '"' + self.text.replace('"', '""') + '"' + ("*" if self.prefix else "")

    def tokens(self) -> list[str]:
        """The term's tokens (by Python's Unicode tables, which may differ from SQLite's at the edges)."""
        return "".join(c if is_token_char(c) else " " for c in self.text).split()


@dataclass(frozen=True)
class Query:
    """A parsed query: every group must match (a group is terms joined by OR), no excluded term may."""

    groups: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...] = ()

    def match(self) -> str:
        """The FTS5 expression, for the indexed column: `a b OR c -d` is `("a" AND ("b" OR "c")) NOT ("d")`."""
        expression = " AND ".join(
            group[0].match() if len(group) == 1 else "(" + " OR ".join(t.match() for t in group) + ")"
            for group in self.groups
        )
        if self.excluded:
            expression = f"({expression}) NOT ({' OR '.join(t.match() for t in self.excluded)})"
        return expression


def parse(query: str) -> Query | None:
    """Read what a person types; None when it has nothing to look for (only exclusions, only
    punctuation, nothing at all).

        words          all must match               bom dia        "bom" AND "dia"
        "a phrase"     consecutive words            "bom dia"      "bom dia"
        word*          prefix (MIN_PREFIX chars)    data*          "data"*
        -word, -"..."  must not match               bom -dia       ("bom") NOT ("dia")
        a OR b         either (binds before AND)    a b OR c       "a" AND ("b" OR "c")

    A `"` opens a phrase that runs to the next `"` or to the end; only a bare upper-case `OR`
    between two terms is an operator. A term with no letter, digit or symbol is dropped. At most
    MAX_TERMS terms and MAX_TERMS exclusions count.
    """
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    pending_or = False
    for negated, raw, is_phrase, prefix in _split(query)[: MAX_TERMS * 4]:
        if raw == "OR" and not (is_phrase or negated or prefix):
            pending_or = bool(groups)
            continue
        text = fold(display_text(raw))
        if _token_chars(text) == 0:
            continue
        last_word = re.split(r"[\s\u200b]+", text.strip(" \u200b"))[-1]
        term = Term(text, prefix and _prefix_length(last_word) >= MIN_PREFIX)
        if negated:
            if len(excluded) < MAX_TERMS:
                excluded.append(term)
        elif pending_or:
            groups[-1].append(term)
        elif len(groups) < MAX_TERMS:
            groups.append([term])
        pending_or = False
    if not groups:
        return None
    return Query(tuple(map(tuple, groups)), tuple(excluded))


def _split(query: str) -> list[tuple[bool, str, bool, bool]]:
    """Split `query` into (negated, text, is_phrase, prefix) terms."""
    terms = []
    # FTS5 reads its expression as a C string (NUL ends it), and a command line may bring lone
    # surrogates (bytes that are not UTF-8), which SQLite's binding refuses.
    query = query.replace("\x00", " ").encode("utf-8", "replace").decode()
    i, n = 0, len(query)
    while i < n:
        if query[i].isspace():
            i += 1
            continue
        negated = query[i] == "-" and i + 1 < n and not query[i + 1].isspace()
        i += negated
        if query[i] == '"':
            end = query.find('"', i + 1)
            end = n if end < 0 else end
            text, i = query[i + 1 : end], end + 1
            prefix = i < n and query[i] == "*"
            i += prefix
            terms.append((negated, text, True, prefix))
        else:
            end = i
            while end < n and not query[end].isspace():
                end += 1
            text, i = query[i:end], end
            terms.append((negated, text.rstrip("*"), False, text.endswith("*")))
    return terms
