"""Articles to clean sentences: strip agency furniture, then split with pysbd (offline, rule-based).

    >>> from accord.text import split_article
    >>> split_article("HÀ NỘI — The U.S. envoy met Dr. Kim. Trade hit US$150 billion; both agreed. — VNS")
    ['The U.S. envoy met Dr. Kim.', 'Trade hit US$150 billion; both agreed.']
"""

from __future__ import annotations

import functools
import os
import re
import unicodedata

import pysbd

from accord.io import read_text

_DATE_PREFIX = re.compile(r"^\s*date\s+\d{4}-\d{2}-\d{2}\b\s*", re.IGNORECASE)
# "HÀ NỘI —", "NEW DELHI (PTI) –", "TOKYO - ": an upper-case place (checked below), an optional agency, a dash.
_DATELINE = re.compile(r"^(?P<place>[^\n—–]{2,60}?)\s*(?:\((?P<agency>[^)\n]{1,20})\)\s*)?(?:[—–]|\s-)\s*")
# Agency datelines of real wires at the start of a paragraph: "SEOUL, Oct. 12 (Yonhap) --", "MOSCOW, May 10. /TASS/.",
# "New York, Sept. 21 (Jiji Press)--", "NUR-SULTAN. KAZINFORM –", "ISLAMABAD, May 3 (APP):", "Abu Dhabi [UAE], August
# 7 (ANI/WAM):", "KUALA LUMPUR:", "Jakarta (ANTARA) -". A place, then a date and/or an agency, then a dash or colon.
_WIRE_DATELINE = re.compile(
    r"^(?P<place>[A-Z][\w'’.-]*(?: [A-Z][\w'’.-]*){0,3})(?: \[[^\]\n]{1,20}\])?"
    r"(?P<date>,? (?:[A-Z][a-z]{2,8}\.?|\d{1,2}) ?\d{0,2}(?:,? \d{4})?\.?)?"
    r"(?P<agency> ?\((?:[^)\n]{1,25})\)(?:,? [A-Z][a-z]{2,8}\.? \d{1,2})?| /[A-Z]{2,8}/\.?|\. [A-Z]{3,12}\b)?"
    r"\s*(?:-{2,3}|[—–:]|-(?= )|(?<=/\.)|(?<=/) )\s*")
# "— VNS", "— VNA/VNS", "–VNS", "(VNS)", "(Yonhap)", "— Bernama", "--ONA" at the very end, after closing punctuation.
_SIGNATURE = re.compile(r"(?<=[.!?\"”’)\n])\s*(?:(?:[—–-]+\s*)(?:[A-Z]{2,6}(?:/[A-Z]{2,6})*|[A-Z][a-z]{2,14})"
                        r"|\((?:[A-Z]{2,6}(?:/[A-Z]{2,6})*|[A-Z][a-z]{2,14})\))\s*$")
# "issues.According": a sentence end with no space after it (common in scraped wire copy)
_RUN_ON = re.compile(r"(?<=[a-z0-9]{2}[.!?])(?=[A-Z][a-z]{2,})|(?<=[a-z][.!?][”\"’])(?=[A-Z][a-z])")
_SPACES = re.compile(r"[^\S\n]+")  # runs of whitespace other than newlines (incl. NBSP, tabs)
_BLOCK_BREAK = re.compile(r"\n\s*\n")
_TERMINAL = ('.', '!', '?', '"', '”', '’', "'", ':', ')')
# pysbd's time grows with the square of a paragraph's length (a 5 MB article without sentence punctuation ran for
# hours; 5,000 characters split in 0.08 s, 20,000 in 0.7 s): longer paragraphs are cut into pieces before it
MAX_PARAGRAPH_CHARS = 5_000
_SENTENCE_END = re.compile(r"[.!?][\"”’')\]]* ")  # where a long paragraph is best cut: after a sentence
NOT_PLACES = frozenset({"PHOTO", "PHOTOS", "FILE", "SOURCE", "VIDEO", "UPDATE", "WATCH", "READ", "NOTE", "EDITOR"})
# lower-case words that may sit inside a name ("Republic of Korea", "Mohamed bin Zayed"): names and summaries share it
NAME_JOINERS = frozenset({"of", "the", "and", "for", "de", "du", "la", "al", "bin", "van", "von", "der"})

# Page furniture as a whole sentence: credits, copyright, share widgets, links to other stories. Briefs never show it
# as an article's gist nor feed it to the summariser (docs/decisions.md, batch classification); a caption that names
# the people in a picture is a sentence like any other (data/LABELS.md: captions that describe the meeting count).
_CREDIT_FRAGMENT = re.compile(r"[(\[]\s*(?:file\s+)?(?:photos?|source|copyright|picture|image)\b[^)\]]*[)\]]"
                              r"|\((?:[A-Z]{2,8}|[A-Z][a-z]{2,12}(?: [A-Z][a-z]{2,12})?)\)", re.IGNORECASE)
_FURNITURE = re.compile(
    r"^\W*(?:(?:file|d)\s+)?(?:photos?|source|picture|image|translator|editor)\s*(?::|\||/|by\b|courtesy\b)"
    r"|^\W*(?:read (?:also|more)|related(?: news| articles?| stories)?)\b"
    r"|copyright|©|all rights reserved|^pic\.twitter\.com/|article continues after|\bfile photo\W*$"
    r"|^\W*(?:share|subscribe|tweet|print|e-?mail|icon-\S+|facebook|twitter|whatsapp|telegram|linkedin|reddit"
    r"|pinterest|\d+|\W+)(?:\s+(?:share|subscribe|tweet|print|e-?mail|icon-\S+|facebook|twitter|whatsapp"
    r"|telegram|linkedin|reddit|pinterest|\d+|\W+))*\W*$", re.IGNORECASE)
_CREDIT_PREFIX = re.compile(r"^\W*(?:(?:file|d)\s+)?(?:photos?|picture|image)\b", re.IGNORECASE)
_CREDIT_WORDS = frozenset({"the", "and", "for", "from", "via", "courtesy", "collected", "file", "office", "ministry",
                           "embassy", "government", "press", "handout", "supplied"})
FURNITURE_MAX_WORDS = 16  # longer sentences carry content even when they end in a credit


def is_furniture(sentence: str) -> bool:
    """True for a sentence that is only page furniture ("Photo : YONHAP News", "Source: AKP", "Share Share 0",
    "[Copyright The Jiji Press, Ltd.]", "(Photo: VNA)"): nothing an analyst or the summariser should read as news."""
    text = sentence.strip()
    if len(text.split()) > FURNITURE_MAX_WORDS:
        return False
    rest = _CREDIT_FRAGMENT.sub(" ", text)
    if not re.search(r"[^\W\d_]{2,}", rest):
        return True
    m = _FURNITURE.search(text)
    if not m or not _CREDIT_PREFIX.match(text):
        return bool(m)
    # lower-case words after "Photo:" ("shake hands") make a caption, not a credit; domains ("baochinhphu.vn") do not
    words = re.findall(r"(?<![\w.@/])[a-z]{3,}(?![\w@/]|\.\w)", text[m.end():])
    return not [w for w in words if w not in _CREDIT_WORDS]


def without_furniture_lines(text: str) -> str:
    """``text`` without the lines that are page furniture as a whole (a raw article's "Photo : YONHAP News" line);
    a text that is nothing else is returned as it was."""
    lines = text.split("\n")
    kept = [line for line in lines if not (line.strip() and is_furniture(line))]
    return "\n".join(kept) if any(line.strip() for line in kept) else text


def _is_place(candidate: str) -> bool:
    words = candidate.replace(",", " ").split()
    has_letters = any(ch.isalpha() for ch in candidate)
    return has_letters and 1 <= len(words) <= 5 and candidate == candidate.upper()


def split_dateline(text: str) -> tuple[str | None, str]:
    """Split a leading dateline (``HÀ NỘI —``) off ``text``; returns ``(place or None, rest)``."""
    m = _DATELINE.match(text)
    if m and _is_place(m.group("place").strip()):
        return m.group("place").strip(), text[m.end():]
    return None, text


# Demonyms and country names -> one key per country, so "Vietnamese", "Viet Nam" and "Việt Nam" are the same country
# when a summary's attribution is checked against its source (accord.summarise.roles.role_errors).
COUNTRY_WORDS = {
    "vietnam": "vietnam", "viet nam": "vietnam", "việt nam": "vietnam", "vietnamese": "vietnam",
    "korea": "korea", "korean": "korea", "rok": "korea", "south korea": "korea", "south korean": "korea",
    "north korea": "dprk", "north korean": "dprk", "dprk": "dprk", "japan": "japan", "japanese": "japan",
    "china": "china", "chinese": "china", "india": "india", "indian": "india", "pakistan": "pakistan",
    "pakistani": "pakistan", "bangladesh": "bangladesh", "bangladeshi": "bangladesh", "nepal": "nepal",
    "nepali": "nepal", "nepalese": "nepal", "sri lanka": "sri lanka", "sri lankan": "sri lanka", "laos": "laos",
    "lao": "laos", "laotian": "laos", "cambodia": "cambodia", "cambodian": "cambodia", "thailand": "thailand",
    "thai": "thailand", "malaysia": "malaysia", "malaysian": "malaysia", "singapore": "singapore",
    "singaporean": "singapore", "indonesia": "indonesia", "indonesian": "indonesia", "philippines": "philippines",
    "philippine": "philippines", "filipino": "philippines", "myanmar": "myanmar", "brunei": "brunei",
    "mongolia": "mongolia", "mongolian": "mongolia", "taiwan": "taiwan", "taiwanese": "taiwan", "russia": "russia",
    "russian": "russia", "ukraine": "ukraine", "ukrainian": "ukraine", "kazakhstan": "kazakhstan",
    "kazakh": "kazakhstan", "uzbekistan": "uzbekistan", "uzbek": "uzbekistan", "kyrgyzstan": "kyrgyzstan",
    "kyrgyz": "kyrgyzstan", "azerbaijan": "azerbaijan", "azerbaijani": "azerbaijan", "turkey": "turkey",
    "türkiye": "turkey", "turkiye": "turkey", "turkish": "turkey", "iran": "iran", "iranian": "iran",
    "saudi": "saudi arabia", "saudi arabia": "saudi arabia", "uae": "uae", "emirati": "uae", "qatar": "qatar",
    "qatari": "qatar", "kuwait": "kuwait", "kuwaiti": "kuwait", "oman": "oman", "omani": "oman",
    "bahrain": "bahrain", "bahraini": "bahrain", "jordan": "jordan", "jordanian": "jordan", "egypt": "egypt",
    "egyptian": "egypt", "syria": "syria", "syrian": "syria", "israel": "israel", "israeli": "israel",
    "ethiopia": "ethiopia", "ethiopian": "ethiopia", "eritrea": "eritrea", "eritrean": "eritrea", "ghana": "ghana",
    "ghanaian": "ghana", "nigeria": "nigeria", "nigerian": "nigeria", "kenya": "kenya", "kenyan": "kenya",
    "somalia": "somalia", "somali": "somalia", "south africa": "south africa", "south african": "south africa",
    "united states": "usa", "us": "usa", "u.s.": "usa", "usa": "usa", "american": "usa", "canada": "canada",
    "canadian": "canada", "united kingdom": "uk", "uk": "uk", "britain": "uk", "british": "uk", "france": "france",
    "french": "france", "germany": "germany", "german": "germany", "italy": "italy", "italian": "italy",
    "portugal": "portugal", "portuguese": "portugal", "spain": "spain", "spanish": "spain", "greece": "greece",
    "greek": "greece", "hungary": "hungary", "hungarian": "hungary", "czech": "czechia", "slovakia": "slovakia",
    "slovak": "slovakia", "slovakian": "slovakia", "poland": "poland", "polish": "poland",
    "netherlands": "netherlands", "dutch": "netherlands", "australia": "australia", "australian": "australia",
    "new zealand": "new zealand", "fiji": "fiji", "fijian": "fiji", "cuba": "cuba", "cuban": "cuba",
    "brazil": "brazil", "brazilian": "brazil", "argentina": "argentina", "argentine": "argentina",
    "argentinian": "argentina", "chile": "chile", "chilean": "chile", "mexico": "mexico", "mexican": "mexico",
}

# More countries as "key: name and demonym words" (one-word forms: a title phrase is read word by word). Given names
# that are also countries ("Chad", "Georgia") are left out: a name must not read as a nationality.
_MORE_COUNTRIES = """
afghanistan: afghanistan afghan; albania: albania albanian; algeria: algeria algerian; andorra: andorra andorran;
angola: angola angolan; antigua and barbuda: antigua antiguan barbuda; armenia: armenia armenian;
austria: austria austrian; bahamas: bahamas bahamian; barbados: barbados barbadian; belarus: belarus belarusian;
belgium: belgium belgian; belize: belize belizean; benin: benin beninese; bhutan: bhutan bhutanese;
bolivia: bolivia bolivian; bosnia and herzegovina: bosnia bosnian herzegovina; botswana: botswana;
bulgaria: bulgaria bulgarian; burkina faso: burkinabe; burundi: burundi burundian; cameroon: cameroon cameroonian;
cape verde: cabo verdean; colombia: colombia colombian; comoros: comoros comorian; congo: congo congolese;
costa rica: rican; croatia: croatia croatian; cyprus: cyprus cypriot; czechia: czechia czechs;
denmark: denmark danish dane;
djibouti: djibouti djiboutian; dominican republic: dominican; ecuador: ecuador ecuadorian; el salvador: salvadoran;
estonia: estonia estonian; eswatini: eswatini; fiji: fijians; finland: finland finnish finn; gabon: gabon gabonese;
gambia: gambia gambian; georgia: georgian; guatemala: guatemala guatemalan; guinea: guinean; guyana: guyana
guyanese; haiti: haiti haitian; honduras: honduras honduran; iceland: iceland icelandic;
iraq: iraq iraqi; ireland: ireland irish; ivory coast: ivorian; jamaica: jamaica jamaican; kiribati: kiribati;
kosovo: kosovo kosovar; latvia: latvia latvian; lebanon: lebanon lebanese; lesotho: lesotho; liberia: liberia
liberian; libya: libya libyan; liechtenstein: liechtenstein; lithuania: lithuania lithuanian; luxembourg:
luxembourg; macau: macau macao macanese; madagascar: madagascar malagasy; malawi: malawi malawian; maldives:
maldives maldivian; mali: malian; malta: malta maltese; mauritania: mauritania mauritanian; mauritius: mauritius
mauritian; moldova: moldova moldovan; monaco: monaco; montenegro: montenegro montenegrin; morocco: morocco
moroccan; mozambique: mozambique mozambican; namibia: namibia namibian; nauru: nauru nauruan; new zealand: zealander;
nicaragua: nicaragua nicaraguan; niger: nigerien; north macedonia: macedonia macedonian; norway: norway
norwegian; palau: palau palauan; palestine: palestine palestinian; panama: panama panamanian; papua new guinea:
papua; paraguay: paraguay paraguayan; peru: peru peruvian; romania: romania romanian; rwanda: rwanda rwandan; samoa:
samoa samoan; san marino: sammarinese; senegal: senegal senegalese; serbia: serbia serbian; seychelles: seychelles
seychellois; sierra leone: leonean; slovenia: slovenia slovenian slovene; sudan:
sudan sudanese; suriname: suriname surinamese; sweden: sweden swedish; switzerland: switzerland swiss;
tajikistan: tajikistan tajik; tanzania: tanzania tanzanian; timor-leste: timor-leste timorese; togo: togolese;
tonga: tonga tongan; trinidad and tobago: trinidad tobago trinidadian; tunisia: tunisia tunisian; turkmenistan:
turkmenistan turkmen; tuvalu: tuvalu tuvaluan; uganda: uganda ugandan; uruguay: uruguay uruguayan; vanuatu: vanuatu;
venezuela: venezuela venezuelan; yemen: yemen yemeni; zambia: zambia zambian; zimbabwe: zimbabwe zimbabwean;
european union: eu; vatican: vatican; uae: emirates;
"""
COUNTRY_WORDS |= {word: key.strip() for entry in _MORE_COUNTRIES.split(";") if entry.strip()
                  for key, words in [entry.split(":")] for word in words.split()}

# US spellings (and spelling variants) -> the UK forms the curated corpus and the guideline use: a classifier that
# normalises its input sees "defense ministers" as "defence ministers".
SPELLING_VARIANTS = {
    "defense": "defence", "defenses": "defences", "offense": "offence", "labor": "labour", "labors": "labours",
    "program": "programme", "programs": "programmes", "center": "centre", "centers": "centres",
    "organization": "organisation", "organizations": "organisations", "organize": "organise",
    "organized": "organised", "co-operation": "cooperation",
    "co-operate": "cooperate", "modernization": "modernisation", "digitalization": "digitalisation",
    "digitization": "digitisation", "industrialization": "industrialisation", "liberalization": "liberalisation",
    "normalization": "normalisation", "denuclearization": "denuclearisation", "stabilization": "stabilisation",
    "utilization": "utilisation", "harmonization": "harmonisation", "globalization": "globalisation",
    "enrollment": "enrolment", "favorable": "favourable", "neighboring": "neighbouring",
    "neighbor": "neighbour", "neighbors": "neighbours", "honor": "honour", "endeavor": "endeavour",
    "license": "licence", "licenses": "licences", "catalog": "catalogue", "fiber": "fibre",
}
_VARIANT = re.compile(r"\b(" + "|".join(sorted(map(re.escape, SPELLING_VARIANTS), key=len, reverse=True)) + r")\b",
                      re.IGNORECASE)


def unify_spelling(text: str) -> str:
    """``text`` with US spellings and variants turned into the UK forms (case kept for a capitalised word)."""
    def swap(m: re.Match[str]) -> str:
        word = m.group()
        uk = SPELLING_VARIANTS[word.lower()]
        return uk.capitalize() if word[0].isupper() else uk

    return _VARIANT.sub(swap, text)


def strip_wire_dateline(block: str) -> str:
    """Drop a wire dateline (``SEOUL, Oct. 12 (Yonhap) --``) from the start of a paragraph; other text is kept.

    The place must be upper case (``KUALA LUMPUR:``) or come with a date or an agency (``New York, Sept. 21 (Jiji
    Press)--``), so an ordinary sentence that opens with a name and a dash is left alone.
    """
    m = _WIRE_DATELINE.match(block)
    if not m or m.end() >= len(block):
        return block
    place = m.group("place")
    if any(w.rstrip(".").upper() in NOT_PLACES for w in place.split()):  # "PHOTO: MFA" is a credit
        return block
    upper = place == place.upper() and any(ch.isalpha() for ch in place)
    return block[m.end():] if upper or m.group("date") or m.group("agency") else block


def normalise(text: str) -> str:
    """NFC-normalise, turn odd spaces into plain ones, trim every line."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n")).strip()


def clean_article(text: str) -> str:
    """Strip agency furniture: a leading ``date YYYY-MM-DD`` fragment, the dateline, a trailing signature."""
    text = normalise(text)
    text = _DATE_PREFIX.sub("", text, count=1)
    _, text = split_dateline(text)
    text = _SIGNATURE.sub("", text)
    return text.strip()


@functools.lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def _blocks(text: str) -> list[str]:
    """Paragraph blocks: blank lines always separate; a single newline separates only after end punctuation."""
    blocks: list[str] = []
    for chunk in _BLOCK_BREAK.split(text):
        current: list[str] = []
        for line in chunk.split("\n"):
            line = line.strip()
            if not line:
                continue
            current.append(line)
            if line.endswith(_TERMINAL):
                blocks.append(" ".join(current))
                current = []
        if current:
            blocks.append(" ".join(current))
    return blocks


def cap_paragraph(block: str, limit: int = MAX_PARAGRAPH_CHARS) -> tuple[list[str], int]:
    """``block`` in pieces of at most ``limit`` characters, each cut after its last sentence end, else at its last
    space, else hard; returns the pieces and how many cuts fell inside a sentence (the ones worth naming)."""
    pieces: list[str] = []
    forced = start = 0
    while len(block) - start > limit:
        window = block[start:start + limit]
        ends = [m.end() for m in _SENTENCE_END.finditer(window, limit // 2)]
        cut = ends[-1] if ends else window.rfind(" ") + 1 or limit
        forced += not ends
        pieces.append(window[:cut].strip())
        start += cut
    return [*pieces, block[start:]], forced


def split_sentences(text: str, notes: list[str] | None = None) -> list[str]:
    """Split already-clean text into sentences (semicolons, abbreviations, money and quotes kept intact).

    A paragraph over :data:`MAX_PARAGRAPH_CHARS` is cut into pieces first (bounded work); a cut that had to fall
    inside a sentence is described in ``notes`` when given.
    """
    sentences: list[str] = []
    for number, block in enumerate(_blocks(normalise(text)), start=1):
        block = strip_wire_dateline(strip_wire_dateline(block))  # "VIETNAM, May 13 - HÀ NỘI —": two datelines
        pieces, forced = cap_paragraph(block)
        if forced and notes is not None:
            notes.append(f"paragraph {number} ({len(block):,} characters) has no sentence end in "
                         f"{MAX_PARAGRAPH_CHARS:,} characters: cut at a space {forced} time(s), so some sentences "
                         "there are split")
        for piece in pieces:
            for segment in _segmenter().segment(_RUN_ON.sub(" ", piece)):
                segment = segment.strip()
                if any(ch.isalpha() for ch in segment):  # a bare time stamp or page number is not a sentence
                    sentences.append(segment)
    return sentences


def split_article(text: str, notes: list[str] | None = None) -> list[str]:
    """Clean a raw article and split it into sentences (``notes``: see :func:`split_sentences`)."""
    return split_sentences(clean_article(text), notes)


def article_sentences(path: str | os.PathLike[str], max_bytes: int | None = None) -> list[str]:
    """Read a ``.txt`` article (UTF-8) and return its clean sentences; bad files raise ``InputError``."""
    return split_article(read_text(path, max_bytes=max_bytes))
