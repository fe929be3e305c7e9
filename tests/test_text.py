"""Cleaning and sentence splitting: seeds, tricky cases, bad files."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from accord import paths
from accord.io import InputError
from accord.text import (
    MAX_PARAGRAPH_CHARS,
    article_sentences,
    cap_paragraph,
    clean_article,
    is_furniture,
    split_article,
    split_dateline,
    split_sentences,
)

SEED_COUNTS = {"000_e60c4b46b237ea05": 17, "001_7a087df03baec5be": 16}


@pytest.mark.parametrize(("stem", "count"), SEED_COUNTS.items())
def test_seed_sentence_counts(stem: str, count: int) -> None:
    sentences = article_sentences(paths.SEEDS_DIR / f"{stem}.txt")
    assert len(sentences) == count
    assert all("VNS" not in s for s in sentences)
    assert not sentences[0].startswith(("date", "HÀ NỘI"))
    assert sentences[-1].endswith(".")


def test_seed_furniture_and_diacritics() -> None:
    first = article_sentences(paths.SEEDS_DIR / "000_e60c4b46b237ea05.txt")[0]
    assert first.startswith("Party General Secretary Tô Lâm received")
    second = article_sentences(paths.SEEDS_DIR / "001_7a087df03baec5be.txt")
    assert second[0].startswith("President Lương Cường met")
    assert second[-1].endswith("Korean peninsula.")


def test_seeds_are_verbatim_copies() -> None:
    shared = paths.ROOT.parent / "shared" / "seeds"
    if not shared.exists():
        pytest.skip("no ../shared/seeds beside the checkout")
    for p in shared.glob("*.txt"):
        assert (paths.SEEDS_DIR / p.name).read_bytes() == p.read_bytes()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Trade reached US$150 billion by 2030. Both sides agreed.",
         ["Trade reached US$150 billion by 2030.", "Both sides agreed."]),
        ("The U.S. delegation arrived. Talks began.", ["The U.S. delegation arrived.", "Talks began."]),
        ("Dr. Kim met Mr. Lee on Jan. 5 in Seoul. They signed a memorandum.",
         ["Dr. Kim met Mr. Lee on Jan. 5 in Seoul.", "They signed a memorandum."]),
        ('He said: "We will deepen ties." The minister agreed.',
         ['He said: "We will deepen ties."', "The minister agreed."]),
        ("“We are partners,” she said. “Yes,” he replied.", ["“We are partners,” she said.", "“Yes,” he replied."]),
        ("Science–technology – the new pillar — grew fast. Next.",
         ["Science–technology – the new pillar — grew fast.", "Next."]),
        ("They agreed to boost trade; to expand investment; and to promote tourism. They left.",
         ["They agreed to boost trade; to expand investment; and to promote tourism.", "They left."]),
        ("Growth was 5.5 per cent in 2024. Exports rose.", ["Growth was 5.5 per cent in 2024.", "Exports rose."]),
    ],
)
def test_tricky_splits(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_hard_wrapped_lines_join_and_paragraphs_split() -> None:
    text = "The two leaders agreed to\nexpand trade ties.\nThey also discussed tourism\n\nA new paragraph starts."
    assert split_sentences(text) == [
        "The two leaders agreed to expand trade ties.", "They also discussed tourism", "A new paragraph starts."
    ]


@pytest.mark.parametrize(
    ("raw", "place", "rest"),
    [
        ("HÀ NỘI — Text.", "HÀ NỘI", "Text."),
        ("NEW DELHI (PTI) – Text.", "NEW DELHI", "Text."),
        ("TOKYO - Text.", "TOKYO", "Text."),
        ("Party leader — who spoke first — agreed.", None, "Party leader — who spoke first — agreed."),
    ],
)
def test_dateline(raw: str, place: str | None, rest: str) -> None:
    assert split_dateline(raw) == (place, rest)


@pytest.mark.parametrize("signature", ["— VNS", "— VNA/VNS", "–VNS", "(VNS)"])
def test_signatures_stripped(signature: str) -> None:
    assert clean_article(f" date 2025-11-21 HÀ NỘI — One.\n\nTwo. {signature}\n") == "One.\n\nTwo."


def test_nfc_and_spaces() -> None:
    decomposed = "Vie\u0302\u0323t Nam\u00a0and  Korea met."
    assert split_article(decomposed) == ["Việt Nam and Korea met."]


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


@pytest.mark.parametrize(
    ("name", "data", "message", "line"),
    [
        ("empty.txt", b"", "empty file", None),
        ("blank.txt", b"  \n\n", "empty file", None),
        ("bin.txt", b"ok\nab\x00cd", "binary file", 2),
        ("latin1.txt", "First line.\nCaf\xe9 talks.".encode("latin-1"), "not valid UTF-8", 2),
    ],
)
def test_bad_files_named(tmp_path: Path, name: str, data: bytes, message: str, line: int | None) -> None:
    p = _write(tmp_path, name, data)
    with pytest.raises(InputError) as info:
        article_sentences(p)
    assert message in str(info.value)
    assert str(p) in str(info.value)
    assert info.value.line == line


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        article_sentences(tmp_path / "nope.txt")
    with pytest.raises(InputError, match="is a folder"):
        article_sentences(tmp_path)


def test_size_limit(tmp_path: Path) -> None:
    p = _write(tmp_path, "big.txt", b"A sentence. " * 100)
    with pytest.raises(InputError, match="over the 100-byte limit"):
        article_sentences(p, max_bytes=100)


def test_bom_is_accepted(tmp_path: Path) -> None:
    p = _write(tmp_path, "bom.txt", "\ufeffHÀ NỘI — One sentence here.".encode())
    assert article_sentences(p) == ["One sentence here."]


@pytest.mark.parametrize(
    ("raw", "first"),
    [
        ("SEOUL, Oct. 12 (Yonhap) -- President Yoon met Karis. They talked.", "President Yoon met Karis."),
        ("Headline\n\nMOSCOW, May 10. /TASS/. Russian Foreign Minister met. Fine.", "Headline"),
        ("New York, Sept. 21 (Jiji Press)--Japanese Prime Minister met. End.", "Japanese Prime Minister met."),
        ("NUR-SULTAN. KAZINFORM – President Tokayev met. End.", "President Tokayev met."),
        ("ISLAMABAD, May 3 (APP): Prime Minister met. End.", "Prime Minister met."),
        ("Abu Dhabi [UAE], August 7 (ANI/WAM): The President received. End.", "The President received."),
        ("Vientiane (FN), Oct. 11 – Cambodian PM met. End.", "Cambodian PM met."),
        ("KUALA LUMPUR: Prime Minister Anwar met. End.", "Prime Minister Anwar met."),
        ("Sheikh Mohamed: We agreed. End.", "Sheikh Mohamed: We agreed."),  # a name and a colon is not a dateline
        ("Kim Jong-un - the leader - spoke. End.", "Kim Jong-un - the leader - spoke."),
    ],
)
def test_wire_datelines_stripped(raw: str, first: str) -> None:
    assert split_article(raw)[0] == first


def test_real_news_furniture() -> None:
    text = ("Headline\n\nMOSCOW, May 10. /TASS/. Talks were held on regional issues.According to the ministry, "
            "they agreed.\n\n2023-09-25 16:32:28\n\nThe visit ended in 2019.She left. — Bernama")
    assert split_article(text) == ["Headline", "Talks were held on regional issues.", "According to the ministry, "
                                   "they agreed.", "The visit ended in 2019.", "She left."]
    assert split_article("He left. (Yonhap)") == ["He left."]
    assert split_article("He met Mr.Kim in the U.S. on Monday.") == ["He met Mr.Kim in the U.S. on Monday."]


def test_a_long_paragraph_is_cut_at_sentence_ends_when_it_has_them() -> None:
    block = "The two sides agreed to expand trade. " * 400  # 15,200 characters, one paragraph
    pieces, forced = cap_paragraph(block.strip())
    assert forced == 0 and all(len(p) <= MAX_PARAGRAPH_CHARS for p in pieces)
    notes: list[str] = []
    assert split_sentences(block, notes) == ["The two sides agreed to expand trade."] * 400 and notes == []


def test_a_paragraph_without_sentence_ends_is_cut_at_spaces_and_said_so() -> None:
    words = "ministers discussed trade and visas " * 3000  # 108,000 characters, no punctuation
    notes: list[str] = []
    started = time.perf_counter()
    sentences = split_article(words, notes)
    assert time.perf_counter() - started < 10  # uncapped: 16 s for this one paragraph (quadratic)
    assert len(sentences) == 22 and all(len(s) <= MAX_PARAGRAPH_CHARS for s in sentences)
    assert all(s.startswith("ministers") or s.startswith(("discussed", "trade", "and", "visas")) for s in sentences)
    assert notes == [f"paragraph 1 (107,999 characters) has no sentence end in {MAX_PARAGRAPH_CHARS:,} characters: "
                     "cut at a space 21 time(s), so some sentences there are split"]
    assert cap_paragraph("x" * 12_000) == (["x" * 5_000, "x" * 5_000, "x" * 2_000], 2)  # no space: a hard cut


@pytest.mark.parametrize("sentence", [
    "Photo : YONHAP News", "(Photo: VNA)", "Source: AKP", "[Copyright The Jiji Press, Ltd.]", "Share Share 0 Share 0",
    "Photo: AP Twitter Facebook Reddit Pinterest Email", "Sherif Ismail -File Photo", "(PHOTO NOT FOR SALE) (Yonhap)",
    "Photo: ua.depositphotos.com", "Photo courtesy of Lee`s office.", "Read also: Zelensky meets with Starmer in Londo",
    "pic.twitter.com/mOw9SIX1dO — Dr. S. Jaishankar (@DrSJaishankar) September 28, 2023", "Subscribe",
    "Translator: Rangga PAJ, Fardah Editor: Rahmad Nasution Copyright © ANTARA 2020",
])
def test_page_furniture_is_recognised(sentence: str) -> None:
    assert is_furniture(sentence)


@pytest.mark.parametrize("sentence", [
    "Photo: President Lee (left) and Prime Minister Ishiba shake hands in Tokyo.",  # a caption: it names a meeting
    "Prime Minister Nguyen Xuan Phuc (R) and Bulgarian Ambassador Marinela Petkova (Photo: VNA)",
    "The minister shared photos of the meeting on Twitter.", "Share this article", "Trade (US$) rose.",
    "Source: a diplomat said the talks went well and that trade will grow by a fifth next year.",
    "The two sides agreed to expand trade.",
])
def test_sentences_with_content_are_not_furniture(sentence: str) -> None:
    assert not is_furniture(sentence)
