"""Blind relabelling of the cases rounds 11 and 12 left open (docs/decisions.md, 2026-12-05, stop 46).

The points were settled in data/LABELS.md first (*Rules settled for the blind relabelling of 2026-12-05*), before
any gold of the sentences they touch was read. The regexes below read the **texts only** (no gold, no predictions)
and pick every real sentence of the corpus (train, validation, test) that could fall under one of them; two new
independent passes label them blind, and `apply` replaces their gold (steps in relabel.py). The rounds kept apart
(round5, round6, round8–round10) take the same selector through relabel_round.py.

    .venv/bin/python data/real/scripts/relabel_open_cases.py select|apply
"""

from __future__ import annotations

import re

from relabel import REAL, main

WORK = REAL / "_label" / "open_cases_2026-12-05"
LABELLED_AFTER: tuple[str, ...] = ()  # every round in the corpus was labelled before these rules, so none is left out
_FIELD_OFFICE = (r"\b((defen[cs]e|interior|home affairs|home|trade|commerce|education|labou?r|manpower)"
                 r"( and \w+)? minister|minister (of|for) (the )?(national )?(defen[cs]e|interior|home affairs|"
                 r"trade|commerce|education|labou?r|manpower))")
KINDS = {  # what each regex is meant to catch, by the rule it tests
    "one field office": re.compile(rf"{_FIELD_OFFICE}.*\b(ambassador|envoy|charg[ée]|consul)|"
                                   rf"\b(ambassador|envoy|charg[ée]|consul).*{_FIELD_OFFICE}", re.I),
    "returns and readmission": re.compile(r"\breadmi\w*|\brepatriat\w*|\bdeport\w*|\brefugees?\b|"
                                          r"\breturn\w* (of )?(the )?(\w+ )?(migrants|nationals|citizens)\b", re.I),
    "citizenship": re.compile(r"\bcitizenship|\bnaturali[sz]\w*|\bdual nationality|\bgolden visa|"
                              r"\bresiden\w* by investment", re.I),
    "recognition of qualifications": re.compile(r"\brecogni[sz]\w* (of )?(the )?(\w+ )?(degrees|diplomas|"
                                                r"qualifications|certificates|licen[cs]es|skills)|"
                                                r"\bmutual recognition\b", re.I),
    "meeting the community": re.compile(r"\b(diaspora|expatriates?|compatriots|overseas \w+ communit\w*|"
                                        r"\w+ communit(y|ies) (in|living)|students? (studying|living) in)\b",
                                        re.I),
    "kin minorities": re.compile(r"\bethnic\b|\bminorit(y|ies)\b", re.I),
    "localities": re.compile(r"\b(provinces?|provincial|prefectur\w*|sister[- ]cit\w*|twin(ned|ning)? cit\w*|"
                             r"city-to-city|province-to-province|local(ity|ities)? (cooperation|ties|level)|"
                             r"subnational|regional governments?)\b", re.I),
    "aid with no amount": re.compile(r"\b(development (aid|assistance|cooperation|partnerships?)|aid|"
                                     r"assistance|grants?)\b", re.I),
    "strikes and attacks": re.compile(r"\b(air ?strikes?|strikes?|attacks?|military operations?|bombing\w*|"
                                      r"shelling)\b", re.I),
}


def selected(text: str) -> bool:
    return any(pattern.search(text) for pattern in KINDS.values())


if __name__ == "__main__":
    main(WORK, "open_cases_2026-12-05", selected)
