"""Assemble the collected articles (data/real/_collect/*.jsonl) into data/real/_collect/assembled.jsonl.

Each collected article was found with the `pages` corpus of the project's search tool (stored copies of public web
pages); its text is the stored excerpt as published. This script gives each one a stable id, the agency that wrote
it (`source_group`, used to split by outlet), and marks as partial every text that reaches the excerpt cap.

    .venv/bin/python data/real/scripts/assemble_collected.py
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
EXCERPT_CAP = 1990  # stored excerpts stop at about 2,000 characters: a text this long was probably cut
# the agency that wrote a carried text (an outlet's own reports keep the outlet's name)
AGENCY_IN_OUTLET = re.compile(r"\((?:via )?(WAM|ANI/WAM|PTI|IANS|ENA|RNZ|UzA|AZERTAC|Trend|Anadolu Agency|QNA, via "
                              r"MENAFN|GNA|RSS|ONA|NAM News Network|GCIS|APO Group|Shabelle Media Network)\)")
SIGNATURES = [("(Yonhap)", "Yonhap"), ("Yonhap)", "Yonhap"), ("(Yonhap) --", "Yonhap"), ("Bernama", "Bernama"),
              ("(Jiji Press)", "Jiji Press"), ("JIJI Press", "Jiji Press"), ("(Xinhua", "Xinhua"),
              ("Xinhua)", "Xinhua"), ("Source: Xinhua", "Xinhua"), ("(VNA)", "VNA"), ("Source: VNA", "VNA"),
              ("(ANTARA)", "Antara"), ("• Kyodo", "Kyodo"), ("/TASS/", "TASS"), ("KAZINFORM", "Kazinform")]
OUTLET_FAMILY = {"KBS World": "KBS", "KBS News": "KBS", "Nippon.com/Jiji Press": "Jiji Press",
                 "Agence Kampuchea Presse (AKP) (via Cambodia New Vision)": "AKP",
                 "Agence Kampuchea Presse (AKP) (via Cambodia News Gazette)": "AKP",
                 "Viet Nam News (via EIN Presswire)": "Viet Nam News", "AllAfrica (ENA)": "ENA",
                 "Ethiopian News Agency": "ENA", "Kazinform": "Kazinform", "Antara": "Antara",
                 "Oman Observer (ONA)": "ONA", "ANI/WAM": "WAM", "Anadolu Agency": "Anadolu Agency",
                 "QNA, via MENAFN": "QNA", "Trend": "Trend"}


def source_group(outlet: str, country: str | None, text: str) -> str:
    m = AGENCY_IN_OUTLET.search(outlet)
    if m:
        return OUTLET_FAMILY.get(m.group(1), m.group(1))
    if outlet == "The Nation":  # two papers of that name
        return f"The Nation ({country})"
    if outlet in OUTLET_FAMILY:
        return OUTLET_FAMILY[outlet]
    for mark, agency in SIGNATURES:
        if mark in text:
            return agency
    return outlet


def assemble(r: dict) -> dict:
    """One collected report as the corpus keeps it: a stable id from its address, its writing agency, partial when
    cut, and where it was found."""
    return {"article_id": "rw_" + hashlib.sha1(r["url"].encode()).hexdigest()[:8], "url": r["url"],
            "outlet": r["outlet"], "outlet_country": r["outlet_country"],
            "source_group": source_group(r["outlet"], r["outlet_country"], r["text"]),
            "date": r["date"], "title": r["title"],
            "partial": bool(r["partial"] or len(r["text"]) >= EXCERPT_CAP), "meeting": r["meeting"],
            "text": r["text"], "provenance": f"search tool, pages corpus; query {r['query']!r}"}

def main() -> None:
    rows = []
    for f in sorted((HERE / "_collect").glob("*.jsonl")):
        if f.name == "assembled.jsonl":
            continue
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rows.append(json.loads(line) | {"collected_by": f.stem})
    out = [assemble(r) for r in sorted(rows, key=lambda r: r["url"])]
    ids = [r["article_id"] for r in out]
    assert len(ids) == len(set(ids))
    (HERE / "_collect" / "assembled.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out),
                                         encoding="utf-8")
    print(f"{len(out)} articles")


if __name__ == "__main__":
    main()
