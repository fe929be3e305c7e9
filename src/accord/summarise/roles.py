"""Who is who in a text: person names with the titles and countries it gives them, and the role check.

A summary that moves a real person to another office or country ("Portuguese President Ram Nath Kovind") is the
error readers notice first. :func:`people` reads each person-like name with the title phrase written before it
("Indian President Ram Nath Kovind") or the title clause after it ("Woo Won Shik, Speaker of the National
Assembly"); :func:`role_errors` compares a summary's with its source's.
"""

from __future__ import annotations

import itertools
import re

from accord.text import COUNTRY_WORDS, unify_spelling
from accord.text import NAME_JOINERS as JOINERS

TITLES = {"president", "vice", "prime", "minister", "premier", "deputy", "speaker", "chairman", "chairwoman",
          "chair", "secretary", "general", "ambassador", "envoy", "consul", "governor", "mayor", "king", "queen",
          "emir", "amir", "crown", "prince", "princess", "sultan", "chancellor", "foreign", "defence", "trade",
          "finance", "economy", "interior", "labour", "education", "commander", "chief", "state", "councillor",
          "senator", "senate", "parliament", "parliamentary", "assembly", "party", "external", "affairs", "national",
          "legislator", "lawmaker", "director", "adviser", "representative", "ruler", "head", "congress", "council",
          "committee", "front", "league", "union", "people's", "standing", "federal", "federation", "republic",
          "house", "office", "ministry", "cabinet", "government", "higher", "science", "technology", "industry",
          "security", "public", "home", "health", "justice", "agriculture", "tourism", "culture", "sports",
          "employment", "information", "communications", "transport", "energy", "development", "investment",
          "marshal", "sejm", "bundestag", "duma", "khural", "majlis", "administrator", "ceo", "commissioner", "high",
          "intelligence", "artificial", "resources", "human", "heritage", "cultural", "sciences", "earth", "training",
          "research", "international", "relations", "planning", "industries", "digital", "innovation", "aerospace",
          "director-general", "secretary-general", "vice-president", "vice-chairman", "social", "welfare",
          "overseas", "expatriates", "unification", "commerce", "industrial", "environment", "multimedia", "leader",
          "forces", "armed", "army", "navy", "military", "police", "officer", "coordinating", "senior", "lieutenant",
          "colonel", "brigadier", "admiral", "commodore", "captain", "extraordinary", "plenipotentiary", "immigration",
          "scientific"}

PERSON_JOINERS = {"bin", "binti", "ibn", "al", "el", "de", "da", "di", "dos", "das", "van", "von", "der", "la", "du"}
TITLE_SYNONYMS = {"premier": "prime", "chairwoman": "chairman", "chair": "chairman", "amir": "emir",
                  "defense": "defence", "labor": "labour", "minster": "minister"}  # "Prime Minster": as published
NAME_WORD = re.compile(r"[^\W\d_][\w'’-]*")


POSSESSIVE = re.compile(r"['’]s$|(?<=s)['’]$", re.IGNORECASE)  # "Laos'" too
# Country names of two words whose first is no country word ("New Zealand", "Sri Lanka"): read as one word
_TWO_WORD_COUNTRY = re.compile(r"\b(?:" + "|".join(sorted((k.title() for k in COUNTRY_WORDS if " " in k and
                                                                k.split()[0] not in COUNTRY_WORDS),
                                                               key=len, reverse=True)) + r")\b")


def _title(word: str) -> str | None:
    w = unify_spelling(POSSESSIVE.sub("", word.lower()).strip("’'"))
    w = TITLE_SYNONYMS.get(w, w)
    return w if w in TITLES else None


def is_title(word: str) -> bool:
    """Whether a word is an office word ("Minister", "minister's", "Defense")."""
    return _title(word) is not None


def country_of(word: str) -> str | None:
    """The country a word names, or whose people it names ("Korean" → "korea"; a two-word name joined by ``_``,
    "Viet_Nam's" → "vietnam"), else ``None``."""
    w = POSSESSIVE.sub("", word).lower().replace("_", " ")
    return COUNTRY_WORDS.get(w)


JOIN_WORDS = {"of", "the", "for", "and", "'s", "’s"}
TITLE_ADJECTIVES = {"provincial", "municipal", "central", "former", "outgoing", "new", "newly", "appointed",
                     "acting", "incoming", "visiting", "permanent", "executive", "principal", "first"}
_PLACE_BEFORE = {"in", "at", "to", "from", "into", "near", "visiting", "via"}  # "to Indonesia": a place, not a
# nationality ("US Ambassador to Indonesia Joseph Donovan" is American)


_ABBREVIATION = re.compile(r"\s*\([A-Z][A-Za-z]{1,5}\)")  # "(RoK)", "(US)": dropped, they interrupt a title run
# "Mr.", "Dr.", "H.E.": dropped, so "Permanent Secretary Mr. Lipao Yang" reads as a title and a name, not "Mr"
_HONORIFIC = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|Prof|Hon|Engr)\.\s*|\bH\.\s?E\b\.?\s*"
                        r"|\b(?:His|Her)\s+Excellency(?:['’]s)?\s*|\b(?:Mr|Mrs|Ms|Dr|Madam|Mme)\s+"
                        r"(?=[A-Z])")


def people(text: str, appositions: bool = True) -> list[tuple[tuple[str, ...], set[str], set[str]]]:
    """``(name words, titles, countries)`` for every person-like name in ``text``: a run of capitalised words that
    are neither titles nor country words, with the titles and demonyms written just before it ("Indian President
    Ram Nath Kovind") or, with ``appositions``, in a title clause just after it ("Woo Won Shik, Speaker of the
    National Assembly"). A run right after "in", "at", "to" or "from", or one word after "of", is a place, not a
    person; honorifics ("Mr.", "H.E.") are skipped."""
    text = _HONORIFIC.sub("", _ABBREVIATION.sub("", text))
    text = _TWO_WORD_COUNTRY.sub(lambda m: m.group().replace(" ", "_"), text)  # "New_Zealand", one word
    words = [(m.group(), m.start(), m.end()) for m in NAME_WORD.finditer(text)]
    lower = {w for w, _, _ in words if w.islower()}
    out, k = [], 0
    while k < len(words):
        if not is_name_word(words[k][0]) or (k and words[k - 1][0].lower() in _PLACE_BEFORE):
            k += 1
            continue
        start = k
        while k + 1 < len(words) and joined(text, words, k) and continues_name(words, k + 1):
            k += 1
        k += 1
        start = _past_country(words, start, k)
        if start == k or _place_or_body(words, start, k) or _common_words(words[start:k], lower):
            continue
        titles, countries = _before(text, words, start)
        if appositions:
            more = _apposition(text[words[k - 1][2]:words[k - 1][2] + 120])
            titles, countries = titles | more[0], countries | more[1]
        if titles or countries or k - start >= 2:
            out.append((tuple(POSSESSIVE.sub("", x[0].lower()) for x in words[start:k]), titles, countries))
    return out


def continues_name(words: list[tuple[str, int, int]], j: int) -> bool:
    """Whether word ``j`` goes on the name before it: a name word, or a joiner before one ("bin" in "Mohammed bin
    Salman")."""
    w = words[j][0]
    return is_name_word(w) or (w.lower() in PERSON_JOINERS and j + 1 < len(words) and is_name_word(words[j + 1][0]))


def joined(text: str, words: list[tuple[str, int, int]], k: int) -> bool:
    """Whether word ``k`` and the next are one name's: a space or hyphen between them, or an initial's full stop
    ("Retno L. P. Marsudi")."""
    gap = text[words[k][2]:words[k + 1][1]]
    return gap in (" ", "-") or (gap == ". " and len(words[k][0]) == 1)


def _past_country(words: list[tuple[str, int, int]], start: int, end: int) -> int:
    """The run's start past the words that finish the country named just before it ("Saudi Arabia Khan Hasham")."""
    country = country_of(words[start - 1][0]) if start else None
    while country and start < end and words[start][0].lower() in country.split():
        start += 1
    return start


def _where(words: list[tuple[str, int, int]], j: int) -> bool:
    """Whether the country at word ``j`` is a place, not a nationality: "to Indonesia", "to the Kingdom of Saudi
    Arabia" (but "Ambassador of the Kingdom of Thailand" is Thai, and so is a demonym after "from": "a message from
    Mozambican President Filipe Nyusi")."""
    return (j > 0 and words[j - 1][0].lower() in _PLACE_BEFORE and not _demonym(words[j][0])) \
        or _posted_to_state(words, j)


_DEMONYM_END = re.compile(r"(?:an|ese|ish|i|ic|ch|ean|ine|ino|ot|ek|ak)$")


def _demonym(word: str) -> bool:
    """Whether a country word is a nationality adjective ("Mozambican", "Thai"), not the country's name."""
    w = re.sub(r"['’]s$", "", word).lower()
    country = COUNTRY_WORDS.get(w)
    return bool(country) and w != country and w not in country.split() and bool(_DEMONYM_END.search(w))


def _posted_to_state(words: list[tuple[str, int, int]], j: int) -> bool:
    """Whether words ``j - 4 .. j`` read "to the Kingdom of <country>" (a posting, not a nationality)."""
    before = [w[0].lower() for w in words[max(0, j - 4):j]]
    return len(before) == 4 and before[:2] == ["to", "the"] and before[2] in _STATES and before[3] == "of"


def _completes_country(words: list[tuple[str, int, int]], j: int) -> bool:
    """Whether word ``j`` finishes the name of the country named by the word before it ("Saudi Arabia")."""
    country = country_of(words[j - 1][0]) if j else None
    return bool(country) and words[j][0].lower() in country.split() and not country_of(words[j][0])


def _common_words(run: list[tuple[str, int, int]], lower: set[str]) -> bool:
    """Whether a capitalised run is a headline's ordinary words, each written in lower case elsewhere in the text
    ("Egyptian President Discuss Mutual Ties")."""
    return all(w.lower() in lower for w, _, _ in run)


def _place_or_body(words: list[tuple[str, int, int]], start: int, end: int) -> bool:
    """Whether the capitalised run ``start:end`` is one word after "of" or "of the", a place or a body rather than a
    person ("Ruler of Dubai", "Ambassador of the Kingdom of Denmark"). (The rest of a country's name, "Papua New
    Guinea", never reaches here: :func:`_past_country` has left it out of the run.)"""
    before = [w[0].lower() for w in words[max(0, start - 2):start]]
    return end - start == 1 and (before[-1:] == ["of"] or before == ["of", "the"])


NOT_NAMES = {"photo", "video", "file", "source", "credit"}  # furniture before a colon ("Photo: Avas.mv")
_STATES = {"kingdom", "republic", "sultanate", "emirate"}  # "the Kingdom of Denmark": a state, no person


def is_name_word(word: str) -> bool:
    """A capitalised word that is no title, country, joiner, furniture or acronym ("UNICEF", "ASEAN")."""
    return word[0].isupper() and not _title(word) and not country_of(word) and word.lower() not in JOINERS \
        and word.lower() not in PERSON_JOINERS and word.lower() not in NOT_NAMES and word.lower() not in _STATES \
        and not (len(word) >= 3 and word.isupper())


def _before(text: str, words: list[tuple[str, int, int]], start: int) -> tuple[set[str], set[str]]:
    """Titles and countries in the title phrase just before a name: title, country and joining words, and names
    of bodies that a title word follows ("Chairman of the Bắc Ninh People's Committee Lê Minh Tuấn")."""
    titles: set[str] = set()
    countries: set[str] = set()
    j = start - 1
    while j >= 0:
        gap = text[words[j][2]:words[j + 1][1]]
        w = words[j][0]
        title, country = _title(w), country_of(w)
        if re.search(r"[.;:()]", gap) or ("," in gap and not (j + 1 == start and (title or _posted(words, j)))):
            break  # one comma is allowed right before the name: "Minister of Foreign Affairs, Retno Marsudi"
        if w.lower() == "and" and j >= 3 and country_of(words[j - 1][0]) and words[j - 2][0].lower() == "of" \
                and is_name_word(words[j - 3][0]):
            break  # "Khamlieng of Laos and Ng Eng Hen": "of Laos" is the name before's
        if is_name_word(w) and j + 1 < start:
            first = j
            while first > 0 and is_name_word(words[first - 1][0]) and text[words[first - 1][2]:words[first][1]] == " ":
                first -= 1
            after = words[j + 1][0].lower()
            if _title(after) or after in TITLE_ADJECTIVES:
                j = first - 1  # a body's name inside the title phrase: "Bắc Ninh" in "Bắc Ninh People's Committee"
                continue
            break
        if country and _posted_to_state(words, j):
            j -= 5  # "… to the Kingdom of Saudi Arabia": where the envoy is posted, not who they are
            continue
        completes = _completes_country(words, j)  # "Arabia" after "Saudi"
        posted_to = w.lower() in ("to", "in") and (j + 2 == start or (j + 3 == start and _completes_country(
            words, j + 2))) and _title(words[j - 1][0])  # "Ambassador to Indonesia Joseph Donovan": only right
        # before the name, not "…Ambassador to Lithuania Prime Minister X'
        if not (title or country or completes or posted_to or w.lower() in JOIN_WORDS or w.lower() in TITLE_ADJECTIVES):
            break
        titles |= {title} if title else set()
        if country and not _where(words, j):
            countries.add(country)
        j -= 1
    return titles, countries


def _posted(words: list[tuple[str, int, int]], j: int) -> bool:
    """Whether word ``j`` is the country of a posting or an office ("Ambassador to Russia", "King of Spain",
    "Minister for Foreign Affairs of Japan", then a comma and the name)."""
    if not country_of(words[j][0]):
        return False
    k = j - 1 - (j >= 1 and words[j - 1][0].lower() == "the")  # "of the Philippines"
    return k >= 1 and words[k][0].lower() in ("to", "in", "of") and bool(_title(words[k - 1][0]))


def _apposition(after: str) -> tuple[set[str], set[str]]:
    """Titles and countries of a title clause right after a name (", Speaker of the National Assembly"), or a
    country right after it ("Sjafrie Sjamsoeddin of Indonesia")."""
    of = re.match(r"\s+of\s+(?:the\s+)?([^\W\d_][\w'’]*(?: [^\W\d_][\w'’]*)?)", after)
    if of and (country_of(of.group(1)) or country_of(of.group(1).split()[0])):
        return set(), {country_of(of.group(1)) or country_of(of.group(1).split()[0])}
    m = re.match(r"\s*,\s*(?:the |his |her |a )?([^,.;()]{3,90})", after)
    if not m:
        return set(), set()
    clause = NAME_WORD.findall(m.group(1))
    if not clause or not (_title(clause[0]) or country_of(clause[0])):
        return set(), set()
    if any(_title(a) and is_name_word(b) for a, b in itertools.pairwise(clause)):
        return set(), set()  # the clause names someone else: "Kovind, Prime Minister Narendra Modi"
    countries = {c for k, w in enumerate(clause) if (c := country_of(w)) and not
                 (k and clause[k - 1].lower() in _PLACE_BEFORE)}
    return {t for t in map(_title, clause) if t}, countries


# Offices a summary must not change: heads of state, government and bodies, envoys and local heads; and portfolios,
# wrong only when the source gives the person another portfolio or a head office ("foreign minister" for a prime
# minister). President, chairman and speaker name the head of a parliament or council interchangeably in
# translation, so for someone whose title names such a body they are one office.
BODIES = {"assembly", "parliament", "parliamentary", "senate", "council", "congress", "house", "duma", "khural",
          "majlis", "sejm", "bundestag", "committee", "front", "people's", "office", "ministry"}
OFFICE_CLASSES = {"president": "president", "chairman": "chairman", "speaker": "speaker", "prime": "prime",
                  "king": "monarch",
                  "queen": "monarch", "emir": "monarch", "sultan": "monarch", "prince": "prince",
                  "ambassador": "envoy", "consul": "envoy", "governor": "local", "mayor": "local",
                  "chancellor": "chancellor"}
PORTFOLIOS = {"foreign", "defence", "trade", "finance", "economy", "interior", "labour", "education", "health",
              "justice", "agriculture", "tourism", "culture", "employment", "information", "energy", "transport",
              "immigration"}


def same_person(name: tuple[str, ...], other: tuple[str, ...]) -> bool:
    """Whether a summary's name refers to a source name: its words (hyphens split) are among the other's, the
    last one included."""
    a = [w for part in name for w in re.split(r"[-‐]", part) if w]
    b = {w for part in other for w in re.split(r"[-‐]", part) if w}
    return bool(a) and set(a) <= b and a[-1] in b


def _office_conflicts(titles: set[str], known: set[str]) -> set[str]:
    """Office words of a summary that the source's offices for the same person rule out."""
    if not known:
        return set()

    def office(t: str) -> str:
        return "head of a body" if known & BODIES and t in ("president", "chairman", "speaker") else OFFICE_CLASSES[t]

    classes = {office(t) for t in known if t in OFFICE_CLASSES}
    wrong = {t for t in titles if t in OFFICE_CLASSES and office(t) not in classes}
    other_posts = (known & PORTFOLIOS) | ({"prime"} & known) | ({"president"} & known)
    return wrong | {t for t in titles & PORTFOLIOS if t not in known and other_posts}


def role_errors(summary: str, source: str) -> list[str]:
    """Names in the summary given an office or a country that the source does not give them: an office word the
    source never attaches to that person (where it attaches any), or a country that the source attaches to them
    differently. Built only from the source's own "Title Name" and "Name, title" patterns: a person the source
    gives no office or country cannot be checked, so those pass."""
    return roles_against(summary, people(source))


Person = tuple[tuple[str, ...], set[str], set[str]]  # name words, titles, countries (what :func:`people` gives)


def roles_against(summary: str, src: list[Person]) -> list[str]:
    """:func:`role_errors` against the source's ``people`` computed once (decoding checks many prefixes)."""
    errors = []
    held = [(n, _posts(t, c)) for n, t, c in src]  # each source person's posts, once per call
    for name, titles, countries in people(summary):
        match = [(n, t, c) for n, t, c in src if same_person(name, n)]
        whole = [m for m in match if _contains(m[0], name)]
        match = (whole or match) + [(n, t, c) for n, t, c in src if _surname_mention(n, name, src)]
        # (whole: "Sheikh Mohammed bin Rashid" is not his son "Sheikh Hamdan bin Mohammed bin Rashid")
        if not match:
            continue
        known_titles = set().union(*(t for _, t, _ in match))
        known_countries = set().union(*(c for _, _, c in match))
        shown = " ".join(name).title()
        errors += [f"{shown}: the source never calls them {t!r}" for t in sorted(_office_conflicts(titles,
                                                                                                   known_titles))]
        if known_countries:
            errors += [f"{shown}: given {c!r}, the source gives {sorted(known_countries)}"
                       for c in sorted(countries - known_countries)]
        own = set().union(*(_posts(t, c) for _, t, c in match))
        for post in sorted(_posts(titles, countries) - own):
            holders = [n for n, posts in held if post in posts and not _related(n, name)]
            errors += [f"{shown}: given the post of {' '.join(holders[0]).title()} ({' '.join(post[:2]).strip()}, "
                       f"{post[2]})"] if holders else []
    return errors


def _surname_mention(short: tuple[str, ...], name: tuple[str, ...], src: list[Person]) -> bool:
    """Whether a source name is a later, shorter mention of ``name`` ("Wong" for Penny Wong): its words are among
    the name's, with the same last word, and no other full name in the source ends with that word."""
    if len(short) >= len(name) or not short or short[-1] != name[-1] or not set(short) <= set(name):
        return False
    return all(same_person(n, name) or same_person(name, n) for n, _, _ in src if len(n) > 1 and n[-1] == name[-1])


def _contains(name: tuple[str, ...], part: tuple[str, ...]) -> bool:
    """Whether ``part`` is a run of consecutive words of ``name``."""
    return any(name[i:i + len(part)] == part for i in range(len(name) - len(part) + 1))


def _related(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether two names may be the same person: one within the other, or the same last word."""
    return same_person(a, b) or same_person(b, a) or a[-1] == b[-1]


RANKS = {"deputy", "vice", "state", "crown", "first"}  # a Deputy Foreign Minister holds another post than the Minister


def _posts(titles: set[str], countries: set[str]) -> set[tuple[str, str, str]]:
    """The posts one person holds that a country has only one of: ``(rank, office, country)`` for a head of state
    or government, a monarch, an envoy or a portfolio minister ("Latvian Foreign Minister": ``("", "foreign
    minister", "latvia")``). Heads of a parliament or a council are left out: a country has several."""
    if not countries or titles & BODIES:
        return set()
    rank = " ".join(sorted(titles & RANKS))
    offices = {OFFICE_CLASSES[t] for t in titles if t in ("president", "prime", "king", "queen", "emir", "sultan",
                                                          "ambassador")}
    offices |= {f"{t} minister" for t in titles & PORTFOLIOS} if "minister" in titles else set()
    return {(rank, office, country) for office in offices for country in countries}


def name_tokens(name: tuple[str, ...]) -> list[str]:
    return [w for part in name for w in re.split(r"[-‐'’]", part) if len(w) > 1]


def in_order(tokens: list[str], other: list[str]) -> bool:
    """Whether ``tokens`` appear in ``other`` in the same order, each once (gaps allowed: a dropped middle name)."""
    it = iter(other)
    return all(any(t == o for o in it) for t in tokens)
