"""Blind relabelling of regional security, nuclear power, conflicts, North Korea and irregular migration sentences
(docs/decisions.md, 2026-12-03).

Readings of the champions' real-test errors found these five kinds labelled unevenly, and data/LABELS.md had no rule
for irregular migration; the points were settled in LABELS.md first (*Rules settled for the blind relabelling of
2026-12-03*). The regexes below read the **texts only** (no gold, no predictions) and pick every real sentence in
every split that names one of the five; two new independent passes label them blind, and `apply` replaces their gold
(steps in relabel.py).

    .venv/bin/python data/real/scripts/relabel_security.py select|apply
"""

from __future__ import annotations

import re

from relabel import REAL, main

WORK = REAL / "_label" / "security_2026-12-03"
KINDS = {  # what each regex is meant to catch, by the rule it tests
    "regional security": re.compile(
        r"\b(ASEAN|regional|region's|Indo-Pacific|South China Sea|East Sea)\b.*\bsecurity\b|"
        r"\bsecurity\b.*\b(ASEAN|regional|region|Indo-Pacific)\b", re.I),
    "nuclear power": re.compile(r"\bnuclear (power|energy|plants?|reactors?|fuel)\b|\bsmall modular reactors?\b|"
                                r"\bSMRs?\b", re.I),
    "conflicts": re.compile(r"\b(Gaza|Syria|Ukraine|Middle East|Red Sea|Myanmar|Yemen|Sudan|Israel|Palestin\w*|"
                            r"wars?|ceasefire|cease-fire|conflicts?|hostilities)\b", re.I),
    "North Korea": re.compile(r"\b(North Korea\w*|DPRK|Pyongyang|Korean Peninsula|denucleari[sz]ation)\b", re.I),
    "irregular migration": re.compile(r"\b(irregular|illegal|undocumented) (migra\w*|immigra\w*|workers?|stay\w*|"
                                      r"residen\w*)|\bhuman trafficking\b|\bmigrant smuggling\b|\bmigration\b",
                                      re.I),
}


def selected(text: str) -> bool:
    return any(pattern.search(text) for pattern in KINDS.values())


if __name__ == "__main__":
    main(WORK, "security_2026-12-03", selected)
