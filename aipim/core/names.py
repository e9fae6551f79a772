"""Name matching that survives spelling: accents, case, word order and the common Latin
transliterations of the same Arabic, Urdu, Bengali or Tigrinya name (Mohamed / Muhammad /
Mohammed, Abdel / Abd al, Aly / Ali).

`name_key` turns a name into a key of normalised words; Person stores it (`name_key`) with a
trigram index, and searches compare keys, not raw spellings."""

from __future__ import annotations

import re
import unicodedata

# Whole-word variants mapped to one spelling (after accents and case are gone).
_WORD_VARIANTS = {
    "mohamed": "muhammad",
    "mohammed": "muhammad",
    "mohammad": "muhammad",
    "muhammed": "muhammad",
    "mohamad": "muhammad",
    "muhamed": "muhammad",
    "mohamud": "muhammad",
    "mehmet": "muhammad",
    "abdel": "abd al",
    "abdul": "abd al",
    "abdoul": "abd al",
    "abdal": "abd al",
    "abd-al": "abd al",
    "aly": "ali",
    "alee": "ali",
    "ahmad": "ahmed",
    "ahmet": "ahmed",
    "youssef": "yusuf",
    "yousef": "yusuf",
    "youssouf": "yusuf",
    "yousuf": "yusuf",
    "mustapha": "mustafa",
    "moustafa": "mustafa",
    "hussein": "husayn",
    "hussain": "husayn",
    "hossain": "husayn",
    "hosain": "husayn",
    "fatma": "fatima",
    "fatimah": "fatima",
    "fatoumata": "fatima",
    "ibrahima": "ibrahim",
    "ebrahim": "ibrahim",
    "omar": "umar",
    "oumar": "umar",
    "osman": "uthman",
    "othman": "uthman",
    "usman": "uthman",
    "abdullah": "abd allah",
    "abdallah": "abd allah",
    "abdulla": "abd allah",
    "abdalla": "abd allah",
    # The Arabic article, however it was written: "El Sayed", "ul Haq" -> "al sayed", "al haq".
    "el": "al",
    "ul": "al",
}
_ARTICLE = re.compile(r"\b(el|al|ul)[- ]", re.IGNORECASE)
# "Abd al" written as one word with the next name: Abdelaziz, Abdulkarim -> abd al aziz, abd al karim.
_ABD_PREFIX = re.compile(r"^(?:abd[eu]l|abdoul|abdal)(?=[a-z]{3,}$)")
_NOT_ABD = {"abdoulaye"}  # a name of its own (West Africa), not "abd al" + a name


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.casefold()


def name_words(text: str) -> list[str]:
    """The normalised words of a name, in their original order."""
    text = _fold(text)
    text = _ARTICLE.sub(r"\1 ", text)  # "el-Sayed", "al-Amin" -> "el sayed", "al amin"
    words = re.findall(r"[\w]+", text)
    out: list[str] = []
    for word in words:
        if word not in _WORD_VARIANTS and word not in _NOT_ABD and _ABD_PREFIX.match(word):
            out.extend(["abd", "al"])
            word = _ABD_PREFIX.sub("", word)
        out.extend(_WORD_VARIANTS.get(word, word).split())
    return out


def name_key(*parts: str) -> str:
    """A key for the whole name, words sorted so that order does not matter."""
    words: list[str] = []
    for part in parts:
        words.extend(name_words(part or ""))
    return " ".join(sorted(words))
