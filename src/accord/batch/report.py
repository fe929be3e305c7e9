"""A self-contained HTML page of classified articles: each sentence coloured by category, with the briefs."""

from __future__ import annotations

import html
from typing import IO, Any

from accord.labels import LABELS, OTHER

LABEL_COLOURS = {"trade": "#fde68a", "defence": "#fecaca", "technology": "#bfdbfe", "people_to_people": "#bbf7d0",
                 "visas": "#e9d5ff", OTHER: "#f3f4f6"}

_CSS = """
body{font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:62rem;margin:2rem auto;
padding:0 1rem;color:#111827;background:#fff}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin:2.5rem 0 .5rem;border-top:1px solid #e5e7eb;
padding-top:1.2rem}.muted{color:#6b7280;font-size:.9rem}
.legend span,.tag{display:inline-block;padding:.05rem .5rem;margin:.1rem;border-radius:.4rem;font-size:.85rem}
.brief{background:#f9fafb;border:1px solid #e5e7eb;border-radius:.5rem;padding:.8rem 1rem;margin:.8rem 0}
.brief table{border-collapse:collapse;width:100%;font-size:.92rem}.brief td,.brief th{text-align:left;
padding:.25rem .5rem;border-bottom:1px solid #e5e7eb;vertical-align:top}
.bar{display:inline-block;height:.6rem;border-radius:.2rem;background:#6b7280;vertical-align:middle}
.text p{margin:.35rem 0}.s{padding:.1rem .15rem;border-radius:.25rem}.s sup{font-size:.65rem;color:#374151}
"""


def _label_css() -> str:
    return "".join(f".l-{name}{{background:{colour}}}" for name, colour in LABEL_COLOURS.items())


class ReportWriter:
    """Streams a self-contained HTML page (inline CSS, no external assets); every text is escaped."""

    def __init__(self, fh: IO[str], title: str = "Accord: cooperation map") -> None:
        self.fh, self.n_articles, self.n_sentences = fh, 0, 0
        legend = "".join(f'<span class="l-{n}">{html.escape(n)}</span>' for n in (*LABELS, OTHER))
        fh.write(f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}"
                 f"</title><style>{_CSS}{_label_css()}</style></head><body><h1>{html.escape(title)}</h1>"
                 f'<p class="legend">{legend}</p>\n')

    def article(self, brief: dict[str, Any], rows: list[dict[str, Any]]) -> None:
        esc = html.escape
        self.n_articles += 1
        self.n_sentences += len(rows)
        heading = esc(brief.get("title") or brief["article_id"])
        out = [f'<section><h2 id="a{self.n_articles}">{heading}</h2>'
               f'<p class="muted">{esc(brief["article_id"])} · {brief["n_sentences"]} sentences</p>',
               '<div class="brief">']
        if brief.get("summary"):
            reasons = (brief.get("extractive") or {}).get("summary")
            lead = f' <span class="muted" title="{esc("; ".join(reasons))}">(lead sentence: the abstractive summary ' \
                f"failed a check: {esc(reasons[0])}{'; …' if len(reasons) > 1 else ''})</span>" if reasons else ""
            out.append(f"<p><strong>Summary.</strong> {esc(brief['summary'])}{lead}</p>")
        out.append("<table><tr><th>category</th><th>sentences</th><th>in one sentence / top sentence</th></tr>")
        for name in [*brief["categories"], OTHER]:
            count, share = brief["counts"][name], brief["shares"][name]
            if name == OTHER and not count:
                continue
            line = brief["category_summaries"].get(name) or next(
                (t["text"] for t in brief["top_sentences"].get(name, [])), "")
            out.append(f'<tr><td><span class="tag l-{name}">{esc(name)}</span></td><td>{count} '
                       f'<span class="bar" style="width:{share * 6:.2f}rem"></span> {share:.0%}</td>'
                       f"<td>{esc(line)}</td></tr>")
        out.append('</table></div><div class="text"><p>')
        for r in rows:
            names = r["labels"] or [OTHER]
            tip = ", ".join(f"{n} {r['scores'][n]:.2f}" for n in LABELS)
            second = f' style="box-shadow:inset 0 -.25rem 0 {LABEL_COLOURS[names[1]]}"' if len(names) > 1 else ""
            out.append(f'<span class="s l-{names[0]}"{second} title="{esc(tip)}">{esc(r["text"])}'
                       f"<sup>{esc('+'.join(names))}</sup></span> ")
        out.append("</p></div></section>\n")
        self.fh.write("".join(out))

    def close(self) -> None:
        self.fh.write(f'<p class="muted">{self.n_articles} articles, {self.n_sentences} sentences. A sentence with '
                      "two categories is underlined in the second one's colour; hover a sentence for its scores.</p>"
                      "</body></html>\n")
