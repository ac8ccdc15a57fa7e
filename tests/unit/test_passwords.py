"""Tests for the CNIL 2022 password policy (cantine_portal.services.accounts.passwords)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cantine_portal.services.accounts import passwords as pw
from cantine_portal.services.accounts.passwords import (
    RULE_TEXT_FR,
    PasswordCheck,
    SentenceResult,
    check_password,
    generate_password,
    load_common_passwords,
    password_from_sentence,
)

EMAIL = "famille.martin@example.fr"

# --- accepted ---------------------------------------------------------------

ACCEPTED = [
    # (password, email, expected rule)
    ("Bl3u-Cerise!", None, "12-mixte"),  # exactly 12, four classes
    ("Tartine&Confit9", EMAIL, "12-mixte"),
    ("Pomme7Poire8Ki", None, "14-alphanum"),  # exactly 14, no special
    ("Tartines2Confiture", EMAIL, "14-alphanum"),
    ("mon chien aime courir dans le jardin", None, "phrase-7-mots"),  # 7 words
    ("mon chien, aime-courir dans le jardin", None, "phrase-7-mots"),  # punctuation separates
    ("l'élève écoute très bien la maîtresse aujourd'hui", None, "phrase-7-mots"),
    ("Jolie#Cantine42", "jo.li@example.fr", "12-mixte"),  # tokens < 4 letters ignored
    ("Jo#Cantine2024", "jo@example.fr", "12-mixte"),  # local part < 3 chars ignored
    ("Ana#Cantine2024", "ana.dupont@example.fr", "12-mixte"),  # "ana" is < 4 letters
]


@pytest.mark.parametrize(("password", "email", "rule"), ACCEPTED)
def test_accepted(password: str, email: str | None, rule: str) -> None:
    result = check_password(password, email)
    assert result == PasswordCheck(
        ok=True,
        errors=[],
        rule_met=rule,
        strength=result.strength,
        strength_label=result.strength_label,
        hints=[],
    )
    assert result.strength >= 3


# --- refused ----------------------------------------------------------------

REFUSED = [
    # (password, email, an error that must be present)
    ("Ab1!", None, "Le mot de passe est trop court (4 caractères, 12 minimum)."),
    ("Bl3u-Ceris!", None, "Le mot de passe est trop court (11 caractères, 12 minimum)."),
    ("Pomme7Poire8K", None, "Le mot de passe ne contient pas de caractère spécial."),  # 13 chars
    ("bleu-cerise-42", None, "Le mot de passe ne contient pas de majuscule."),
    ("BLEU-CERISE-42", None, "Le mot de passe ne contient pas de minuscule."),
    ("Bleu-Cerise-Tarte", None, "Le mot de passe ne contient pas de chiffre."),
    ("Bleu3Cerise9", None, "Le mot de passe ne contient pas de caractère spécial."),
    ("Motdepasse2024!", None, "Ce mot de passe fait partie des mots de passe les plus courants."),
    ("MotDePasse2024!", None, "Ce mot de passe fait partie des mots de passe les plus courants."),
    ("1Qaz2wsx3edc4rfv", None, "Ce mot de passe fait partie des mots de passe les plus courants."),
    ("AZERTY", None, "Ce mot de passe fait partie des mots de passe les plus courants."),
    ("Famille.Martin2024!", EMAIL, "Le mot de passe contient votre adresse e-mail."),
    ("Martin#Cantine42", EMAIL, "Le mot de passe contient une partie de votre adresse e-mail (« martin »)."),
    ("Cantine#FAMILLE42", EMAIL, "Le mot de passe contient une partie de votre adresse e-mail (« famille »)."),
    (
        "Dupont#Cantine24",
        "ana.dupont@example.fr",
        "Le mot de passe contient une partie de votre adresse e-mail (« dupont »).",
    ),
    ("Jo.Li#Cantine42", "jo.li@example.fr", "Le mot de passe contient votre adresse e-mail."),
    (
        "mon chien aime courir dans jardin",
        None,
        "La phrase ne contient que 6 mots différents d'au moins 2 lettres (7 minimum).",
    ),
    (
        "a b c d e f g h",
        None,  # 1-letter words do not count
        "La phrase ne contient que 0 mot différent d'au moins 2 lettres (7 minimum).",
    ),
    (
        "le chien le chien le chien le chien",
        None,
        "La phrase ne contient que 2 mots différents d'au moins 2 lettres (7 minimum).",
    ),
    (
        "monsieur martin aime courir dans le jardin",
        EMAIL,
        "Le mot de passe contient une partie de votre adresse e-mail (« martin »).",
    ),
]


@pytest.mark.parametrize(("password", "email", "error"), REFUSED)
def test_refused(password: str, email: str | None, error: str) -> None:
    result = check_password(password, email)
    assert result.ok is False
    assert result.rule_met is None
    assert error in result.errors
    assert result.strength <= 2
    assert result.hints, "a refused password must tell what to do"


def test_six_words_refused_seven_accepted() -> None:
    six = check_password("mon chien aime courir dans jardin")
    seven = check_password("mon chien aime courir dans le jardin")
    assert (six.ok, six.rule_met) == (False, None)
    assert "Ou ajoutez encore 1 mot à votre phrase" in six.hints
    assert (seven.ok, seven.rule_met) == (True, "phrase-7-mots")


def test_same_password_ok_without_email_refused_with_it() -> None:
    assert check_password("Martin#Cantine42").ok is True
    assert check_password("Martin#Cantine42", "MARTIN@example.fr").errors == [
        "Le mot de passe contient votre adresse e-mail."
    ]


@pytest.mark.parametrize(
    ("password", "expected_hints"),
    [
        ("Bl3u-Ceri", ["Encore 3 caractères"]),
        ("Bl3u-Ceris!", ["Encore 1 caractère"]),
        ("Bleu3Cerise9", ["Ajoutez un caractère spécial (!, ?, #…) ou allez jusqu'à 14 caractères"]),
        ("bleu-cerise", ["Encore 1 caractère", "Ajoutez une majuscule", "Ajoutez un chiffre"]),
        (
            "azerty",
            [
                "Encore 6 caractères",
                "Ajoutez une majuscule",
                "Ajoutez un chiffre",
                "Ajoutez un caractère spécial (!, ?, #…)",
                "Évitez les mots de passe courants",
            ],
        ),
    ],
)
def test_hints(password: str, expected_hints: list[str]) -> None:
    assert check_password(password).hints == expected_hints


@pytest.mark.parametrize(
    ("password", "strength", "label"),
    [
        ("", 0, "Très faible"),
        ("abc", 0, "Très faible"),
        ("Motdepasse2024!", 0, "Très faible"),
        ("abcdefgh", 1, "Faible"),
        ("Abcdefgh12", 2, "Moyen"),
        ("Bl3u-Cerise!", 3, "Fort"),
        ("Bl3u-Cerise!Tarte", 4, "Très fort"),
    ],
)
def test_strength(password: str, strength: int, label: str) -> None:
    result = check_password(password)
    assert (result.strength, result.strength_label) == (strength, label)


def test_empty_password_refused() -> None:
    result = check_password("")
    assert result.ok is False
    assert "Le mot de passe est trop court (0 caractère, 12 minimum)." in result.errors


def test_rule_text_is_french_and_mentions_each_rule() -> None:
    for fragment in ("12 caractères", "14 caractères", "7 mots", "adresse e-mail"):
        assert fragment in RULE_TEXT_FR


# --- common password list ----------------------------------------------------


def test_common_password_list() -> None:
    common = load_common_passwords()
    assert len(common) >= 10_000
    assert {"azerty", "azerty123", "motdepasse", "soleil", "doudou", "123456", "password"} <= common
    assert all(entry == entry.lower() and entry and not entry.startswith("#") for entry in common)
    assert load_common_passwords() is common  # cached


def test_common_password_file_is_clean() -> None:
    lines = pw.COMMON_PASSWORDS_PATH.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# source: zxcvbn (MIT) frequency list + French additions"
    entries = lines[1:]
    assert len(entries) == len(set(entries))
    assert all(entry == entry.lower() for entry in entries)


# --- generator -----------------------------------------------------------------

ALLOWED = set(pw._GEN_UPPER + pw._GEN_LOWER + pw._GEN_DIGITS + pw._GEN_SPECIALS)


@settings(max_examples=200, deadline=None)  # a busy 2-core CI machine must not turn slowness into a failure
@given(
    length=st.integers(min_value=12, max_value=64),
    email=st.sampled_from([None, EMAIL, "jean-pierre.dupont@laposte.net", "parent.eleve@ac-lyon.fr"]),
)
def test_generated_password_always_passes(length: int, email: str | None) -> None:
    password = generate_password(length)
    assert len(password) == length
    assert set(password) <= ALLOWED
    assert not set(password) & set("O0Il1o")
    result = check_password(password, email)
    assert result.ok is True, result.errors
    assert result.rule_met == "12-mixte"


def test_generate_default_length_and_randomness() -> None:
    generated = {generate_password() for _ in range(50)}
    assert len(generated) == 50
    assert all(len(p) == 16 and check_password(p).strength == 4 for p in generated)


def test_generate_rejects_too_short_length() -> None:
    with pytest.raises(ValueError):
        generate_password(11)


# --- sentence method ---------------------------------------------------------

SENTENCES = [
    # (sentence, expected password, expected ok)
    ("J'ai acheté 3 livres pour 15 euros ce matin !", "J'aa3lp15ecm!", True),
    ("En 1515, François Ier gagne à Marignan !", "E1515,FIgàM!", True),
    ("l'école", "l'é", False),  # apostrophe kept as punctuation
    ("J\u2019ai 2 chats", "J'a2c", False),  # typographic apostrophe normalised
    ("Il fait peut-être beau", "Ifp-êb", False),  # hyphen kept, accent kept
    ("Le 3ème", "L3è", False),  # number kept whole, then the word's first letter
    ("Mon fils Léo a 7 ans et sa sœur Inès 10 ans !", "MfLa7aessI10a!", True),
    ("Ma fille Zoé est née le 14/07/2019 à Lyon.", "MfZenl14/07/2019àL.", True),
    ("", "", False),
]


@pytest.mark.parametrize(("sentence", "expected", "ok"), SENTENCES)
def test_password_from_sentence(sentence: str, expected: str, ok: bool) -> None:
    result = password_from_sentence(sentence)
    assert isinstance(result, SentenceResult)
    assert result.password == expected
    assert result.check == check_password(expected)
    assert result.check.ok is ok
    assert (result.advice == []) is ok


def test_sentence_cnil_example_gets_advice() -> None:
    result = password_from_sentence("Un Chasseur sachant chasser doit savoir chasser sans son chien")
    assert result.password == "UCscdscssc"
    assert result.advice == [
        "Ajoutez des mots à votre phrase : il manque 2 caractères.",
        "Ajoutez un nombre (par exemple une année).",
        "Ajoutez une ponctuation ou un symbole (!, ?, %…).",
    ]


def test_too_short_sentence_advice() -> None:
    result = password_from_sentence("mon chat dort")
    assert result.password == "mcd"
    assert result.check.ok is False
    assert result.advice == [
        "Ajoutez des mots à votre phrase : il manque 9 caractères.",
        "Commencez un mot par une majuscule.",
        "Ajoutez un nombre (par exemple une année).",
        "Ajoutez une ponctuation ou un symbole (!, ?, %…).",
    ]


def test_sentence_advice_mentions_email() -> None:
    sentence = "Mon ami Raoul trouve indispensable nos 12 sorties !"
    assert password_from_sentence(sentence).password == "MaRtin12s!"
    result = password_from_sentence(sentence, email="famille.martin@example.fr")
    assert result.check.ok is False
    assert result.advice == [
        "Ajoutez des mots à votre phrase : il manque 2 caractères.",
        "Évitez votre nom ou votre adresse e-mail dans la phrase.",
    ]


def test_sentence_giving_common_password_gets_advice() -> None:
    result = password_from_sentence("Mon oncle trouve dix embouteillages par an sans saveur en 2024 !")
    assert result.password == "Motdepasse2024!"
    assert result.check.ok is False
    assert result.advice == ["Choisissez une autre phrase : le résultat est un mot de passe trop courant."]
