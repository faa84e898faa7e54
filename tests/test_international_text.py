"""Text in scripts other than English's: sentences, search terms, normalisation, answers."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from rag.service import RagService
from rag.text import lexical
from rag.text.sanitize import clean
from rag.text.sentences import sentences

PANDAS = ("大熊猫是中国特有的动物。"
          "大熊猫每天要花十几个小时吃竹子，一只大熊猫每天能吃十几公斤的竹子。"
          "北京是中国的首都！你喜欢吃饺子吗？杭州的西湖以美丽的风景闻名。")
SAKURA = "春になると桜が咲きます。富士山は日本で一番高い山です。東京の人口はとても多いです。"


@pytest.mark.parametrize(("text", "expected"), [
    (PANDAS, ["大熊猫是中国特有的动物。",
              "大熊猫每天要花十几个小时吃竹子，一只大熊猫每天能吃十几公斤的竹子。",
              "北京是中国的首都！", "你喜欢吃饺子吗？", "杭州的西湖以美丽的风景闻名。"]),
    # as the documents are stored: NFKC makes full-width ！ and ？ the ASCII ones
    (unicodedata.normalize("NFKC", "北京是中国的首都！你喜欢吃饺子吗？好的。"),
     ["北京是中国的首都!", "你喜欢吃饺子吗?", "好的。"]),
    ("彼は「行きます」と言った。それから帰った。",
     ["彼は「行きます」と言った。", "それから帰った。"]),
    # a quotation's stop ends no sentence that goes on after it
    ("「止まれ！」と彼は叫んだ。彼は「こんにちは。」と言った。",
     ["「止まれ！」と彼は叫んだ。", "彼は「こんにちは。」と言った。"]),
    # a stop inside a word still ends nothing
    ("See https://CRAN.R-project.org for more. Then go on.",
     ["See https://CRAN.R-project.org for more.", "Then go on."]),
])
def test_chinese_and_japanese_sentences_end_at_their_own_stops(
        text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # Thai and Lao end a sentence with a space alone: a paragraph was quoted whole
    ("ประเทศไทยมีประชากรประมาณหกสิบหกล้านคน กรุงเทพมหานครเป็นเมืองหลวง ภาษาไทยเป็นภาษาราชการ",
     ["ประเทศไทยมีประชากรประมาณหกสิบหกล้านคน", "กรุงเทพมหานครเป็นเมืองหลวง",
      "ภาษาไทยเป็นภาษาราชการ"]),
    ("ນະຄອນຫຼວງວຽງຈັນເປັນນະຄອນຫຼວງ ແມ່ນ້ຳຂອງໄຫຼຜ່ານ", ["ນະຄອນຫຼວງວຽງຈັນເປັນນະຄອນຫຼວງ",
                                                      "ແມ່ນ້ຳຂອງໄຫຼຜ່ານ"]),
    # a space beside a figure or a Latin word is inside the sentence
    ("ประเทศไทยมีประชากร 66 ล้านคน ใช้ภาษา Thai เป็นหลัก",
     ["ประเทศไทยมีประชากร 66 ล้านคน", "ใช้ภาษา Thai เป็นหลัก"]),
    # a space after Thai's repetition or abbreviation mark is inside the sentence
    ("ผลไม้ต่างๆ มีรสหวาน กรุงเทพฯ มีฝนตก", ["ผลไม้ต่างๆ มีรสหวาน", "กรุงเทพฯ มีฝนตก"]),
    ("ເດັກນ້ອຍໆ ຫຼິ້ນຢູ່ ແມ່ນ້ຳຂອງໄຫຼຜ່ານ", ["ເດັກນ້ອຍໆ ຫຼິ້ນຢູ່", "ແມ່ນ້ຳຂອງໄຫຼຜ່ານ"]),
    # Khmer's stop, the khan
    ("ភាសាខ្មែរជាភាសាផ្លូវការ។ ក្រុងភ្នំពេញជារាជធានី។",
     ["ភាសាខ្មែរជាភាសាផ្លូវការ។", "ក្រុងភ្នំពេញជារាជធានី។"]),
])
def test_thai_lao_and_khmer_sentences_end_where_their_writers_end_them(
        text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


@pytest.mark.parametrize(("document", "query"), [
    ("大熊猫每天吃竹子", "熊猫"),  # Chinese: no spaces between words
    (SAKURA, "桜"),  # a one-character Japanese word
    ("서울은 한국의 수도입니다", "서울"),  # Korean: a particle on the word
    ("ส้มตำมะละกอเป็นอาหารไทย", "มะละกอ"),  # Thai: no spaces between words
    ("İstanbul büyük bir şehirdir", "istanbul"),  # Turkish dotted capital I
    ("DİYARBAKIR", "Diyarbakır"),  # and its dotless small i
    ("Die Straße ist lang", "STRASSE"),  # German sharp s, capitalised
    ("Le café de Flore est fermé", "cafe ferme"),  # accents a keyboard left off
    ("Herr Müller wohnt in Köln", "MULLER KOLN"),
    ("Η Αθήνα είναι μεγάλη", "αθηνα"),  # Greek's tonos
    ("Søren bor i Århus, ikke i Łódź", "Soren Arhus Lodz"),  # letters with no accent apart
    ("Encyclopædia Britannica", "encyclopaedia"),
])
def test_a_word_matches_the_text_that_holds_it(document: str, query: str) -> None:
    assert lexical.term_set(query) <= lexical.term_set(document)


def test_vowel_signs_stay_in_their_word() -> None:
    # Hindi: "काम" (work) and "कम" (less) differ by a vowel sign
    assert lexical.term_set("काम") != lexical.term_set("कम")
    assert not lexical.term_set("काम") & lexical.term_set("पानी की टंकी कम है")
    # Cyrillic's short i is a letter of its own, not an accented one
    assert not lexical.term_set("йогурт") & lexical.term_set("иогурт")


def test_an_accented_word_is_indexed_as_written_and_without_its_accents() -> None:
    written, plain = lexical.term_index("café"), lexical.term_index("cafe")
    indices, weights = lexical.document_vector("café au lait")
    assert {written, plain, lexical.term_index("cafe_au")} <= set(indices)
    assert lexical.term_index("café_au") not in indices  # pairs are of the plain words
    assert set(lexical.query_vector("café")[0]) == {written, plain}  # written ranks higher
    assert lexical.query_vector("cafe")[0] == [plain]
    assert lexical.document_vector("coffee au lait") == lexical.document_vector(
        "coffee au lait", lexical.ACCENTED_SCHEME)  # unaccented text: as before
    # a collection filled before: its words as written only
    assert lexical.query_vector("café", lexical.ACCENTED_SCHEME)[0] == [written]


def test_english_terms_are_unchanged() -> None:
    text = "The U.S. Navy's ships, 3.5 tons each, sailed to New-York in 1999_2000."
    assert lexical.terms(text) == [
        "u", "s", "navi", "s", "ship", "3", "5", "ton", "sail", "new", "york", "1999",
        "2000"]


def test_collections_of_the_earlier_scheme_are_queried_as_they_were_filled() -> None:
    # their document vectors hold a run of Chinese as one term
    indices, _ = lexical.query_vector("熊猫", "bm25-bigrams-1")
    assert indices == [lexical.term_index("熊猫")]
    assert lexical.query_vector("熊猫")[0] != indices


@pytest.mark.parametrize("text", ["ส้มตำ น้ำ", "ຂໍ້ຄວາມຳ"])
def test_thai_and_lao_am_are_kept_as_typed(text: str) -> None:
    assert clean(text).text == text


def _library(service: RagService, tmp_path: Path, files: dict[str, str]) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    report = service.ingest([folder])
    assert report.ok


def test_a_word_typed_without_its_accents_finds_it_and_one_typed_with_them_ranks_first(
        service: RagService, tmp_path: Path) -> None:
    _library(service, tmp_path, {
        "cafe.txt": "Le café de Flore ouvre à sept heures.",
        "plain.txt": "The Cafe Flore menu lists coffee and cake.",
        "bread.txt": "Bakers knead flour and water into dough."})
    found = [Path(hit.source).name for hit in service.search("cafe", top_k=3, mode="sparse")]
    assert sorted(found) == ["cafe.txt", "plain.txt"]
    first = service.search("café Flore", top_k=3, mode="sparse")[0]
    assert Path(first.source).name == "cafe.txt"


def test_a_query_is_read_as_documents_are(service: RagService, tmp_path: Path) -> None:
    _library(service, tmp_path, {
        "cheese.txt": "Gruyère is a hard Swiss cheese from Fribourg.",
        "specs.txt": "The ABC123 router ships with two antennas.",
        "bread.txt": "Bakers knead flour and water into dough."})
    for query, source in [("Gruye\u0300re", "cheese.txt"),  # decomposed, as macOS types it
                          ("ＡＢＣ１２３", "specs.txt"),  # full-width, as an input method types it
                          ("\ufb02our", "bread.txt")]:  # a ligature
        hits = service.search(query, top_k=1, mode="sparse")
        assert [Path(hit.source).name for hit in hits] == [source], query


def test_a_short_chinese_or_japanese_sentence_is_quoted(service: RagService,
                                                       tmp_path: Path) -> None:
    """Nine characters are a whole fact in Chinese or Japanese ("Beijing is China's
    capital."), where nine letters are a fragment in English."""
    _library(service, tmp_path, {
        "cities.txt": "北京是中国的首都。上海是中国最大的城市，也是重要的金融中心和港口。",
        "pets.txt": "猫は魚が好きです。犬は散歩が大好きで、毎朝公園に行って友達と遊びます。"})
    for question, sentence in [("中国的首都是哪里？", "北京是中国的首都。"),
                               ("猫は何が好きですか？", "猫は魚が好きです。")]:
        assert sentence in "".join(service.ask(question, top_k=2).deltas), question


def test_chinese_is_found_and_answered_by_its_sentence(service: RagService,
                                                      tmp_path: Path) -> None:
    _library(service, tmp_path, {
        "china.txt": PANDAS, "japan.txt": SAKURA,
        "korea.txt": "서울은 한국의 수도입니다. 김치는 한국의 전통 음식입니다."})
    for query, source in [("熊猫", "china.txt"), ("桜", "japan.txt"), ("北京", "china.txt")]:
        hits = service.search(query, top_k=1, mode="sparse")
        assert [Path(hit.source).name for hit in hits] == [source], query
    answer = service.ask("大熊猫每天吃多少竹子？", top_k=3)
    text = "".join(answer.deltas)
    assert "一只大熊猫每天能吃十几公斤的竹子。" in text.replace(",", "，")
    assert "杭州" not in text and "北京" not in text


THAILAND = ("ประเทศไทยตั้งอยู่ในเอเชียตะวันออกเฉียงใต้ กรุงเทพมหานครเป็นเมืองหลวงของประเทศไทย "
            "ภาษาไทยเป็นภาษาราชการ อาหารไทยมีชื่อเสียงไปทั่วโลก ต้มยำกุ้งเป็นอาหารที่มีชื่อเสียง "
            "แม่น้ำเจ้าพระยาไหลผ่านกรุงเทพมหานคร ประเทศไทยมีประชากรประมาณหกสิบหกล้านคน")


def test_a_thai_answer_quotes_sentences_not_the_whole_paragraph(service: RagService,
                                                                 tmp_path: Path) -> None:
    _library(service, tmp_path, {"thailand.txt": THAILAND})
    answer = service.ask("เมืองหลวงของประเทศไทยคืออะไร", top_k=1)
    text = "".join(answer.deltas)
    assert "กรุงเทพมหานครเป็นเมืองหลวงของประเทศไทย [1]" in text, text
    assert 2 <= text.count("[1]") <= 4 and len(text) < len(THAILAND), text
