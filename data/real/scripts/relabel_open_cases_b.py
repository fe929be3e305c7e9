"""Second blind relabelling of 2026-12-05: the cases the first one left open (docs/decisions.md, stop 47).

The points were settled in data/LABELS.md first (*Rules settled for the second blind relabelling of 2026-12-05*),
before any gold of the sentences they touch was read. The regexes below read the **texts only** (no gold, no
predictions) and pick every real sentence of the corpus (train, validation, test) that could fall under one of them;
two new independent passes label them blind, and `apply` replaces their gold (steps in relabel.py). The rounds kept
apart (round5, round6, round8–round10) take the same selector through relabel_round.py.

    .venv/bin/python data/real/scripts/relabel_open_cases_b.py select|apply
"""

from __future__ import annotations

import re

from relabel import REAL, main

PROCEDURE = "open_cases_b_2026-12-05"
WORK = REAL / "_label" / PROCEDURE
LABELLED_AFTER: tuple[str, ...] = ()  # every round in the corpus was labelled before these rules, so none is left out
_COMMUNITY = re.compile(r"\b(diaspora|expatriates?|compatriots|overseas (\w+ )?(nationals|citizens|communit\w*)|"
                        r"\w+ communit(y|ies) (in|living))\b", re.I)
_HOME_ECONOMY = re.compile(r"\b(invest\w*|business\w*|enterprises?|remittances?|homeland|home country|"
                           r"contribut\w*)\b", re.I)
_LOCALITY = re.compile(r"\b(provinces?|provincial|prefectur\w*|governors?|mayors?|municipal\w*|oblasts?|"
                       r"state governments?)\b", re.I)
_TIES = re.compile(r"\b(cooperat\w*|co-operat\w*|ties|relations|partnerships?|collaborat\w*)\b", re.I)
_POINTING_BACK = re.compile(r"\b(these|those|such|the above|the said|the aforementioned) (issues|matters|topics|"
                            r"areas|fields|subjects|questions)\b|\bin this regard\b|\bthe matters\b", re.I)
_OFFICE = re.compile(r"\b(minister|ministers|ministry|commander|chief of staff|secretary)\b", re.I)
KINDS = {  # what each test is meant to catch, by the rule it tests: text -> a match (truthy) or not
    "armed forces in disaster relief": re.compile(r"\bHADR\b|\bdisaster (relief|response|management)\b|"
                                                  r"\bsearch and rescue\b|\brescue (teams?|operations?|forces?)\b|"
                                                  r"\bhumanitarian (assistance|aid|relief)\b", re.I).search,
    "a technology named by a project": re.compile(r"\bsmart[- ]cit(y|ies)\b|\be-government\b|\bdigital government\b|"
                                                  r"\b(IT|ICT|information|digital|electronic|automated) "
                                                  r"(customs|systems?|platforms?)\b|\bcustoms (information|IT|"
                                                  r"systems?|moderni[sz]\w*)\b|\bsingle window\b", re.I).search,
    "the community and the home economy": lambda t: bool(_COMMUNITY.search(t) and _HOME_ECONOMY.search(t)),
    "a locality and a whole country": lambda t: bool(_LOCALITY.search(t) and _TIES.search(t)),
    "own citizenship or immigration rules": re.compile(r"\bcitizenship|\bnaturali[sz]\w*|\bimmigration (laws?|"
                                                       r"polic\w*|rules?|systems?|reforms?)\b", re.I).search,
    "pointing back beside a field office": lambda t: bool(_POINTING_BACK.search(t) and _OFFICE.search(t)),
    "the business community": re.compile(r"\bbusiness (community|communities|leaders|people|circles|executives|"
                                         r"representatives)\b|\b(CEOs|entrepreneurs|business(wo)?men)\b", re.I).search,
    "condolences": re.compile(r"\bcondolences?\b|\bsympath\w*|\bcondemn\w*|\bterror\w*", re.I).search,
    "mines and unexploded ordnance": re.compile(r"\bdemin\w*|\blandmines?\b|\bmine (clearance|action|victims)\b|"
                                                r"\bunexploded\b|\bUXOs?\b|\bexplosive remnants\b|\bordnance\b", re.I).search,
}


def kinds_of(text: str) -> list[str]:
    return [kind for kind, test in KINDS.items() if test(text)]


def selected(text: str) -> bool:
    return bool(kinds_of(text))


if __name__ == "__main__":
    main(WORK, PROCEDURE, selected)
