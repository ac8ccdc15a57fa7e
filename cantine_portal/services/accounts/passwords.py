"""Password policy for parent accounts (CNIL deliberation 2022-100).

Pure functions, no database and no UI framework, so the same rule drives the
registration page, the live strength indicator and the API.

Definitions (summed up for parents in ``RULE_TEXT_FR``):
* lengths count Unicode characters after NFC, so a phone-typed "é" is one;
* a *special character* is neither letter nor digit, space included;
* a *word* (passphrase rule) is a maximal run of letters, accents included;
  anything else separates words. Only words of >= 2 letters count, each once
  (case-insensitive), else "a b c d e f g" or "aa aa aa aa aa aa aa" would pass.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from cantine_portal.french import plural

COMMON_PASSWORDS_PATH = Path(__file__).parent / "data" / "common_passwords.txt"

RULE_TEXT_FR = (
    "Votre mot de passe doit respecter l'une de ces règles (recommandations de la CNIL) :\n"
    "• au moins 12 caractères avec une majuscule, une minuscule, un chiffre "
    "et un caractère spécial (!, ?, #…) ;\n"
    "• ou au moins 14 caractères avec une majuscule, une minuscule et un chiffre ;\n"
    "• ou une phrase d'au moins 7 mots différents (les mots d'une seule lettre, "
    "comme « à » ou « y », ne comptent pas).\n"
    "Il ne doit pas figurer parmi les mots de passe courants "
    "ni contenir votre adresse e-mail ou votre nom."
)

RULE_12_MIXED = "12-mixte"
RULE_14_ALNUM = "14-alphanum"
RULE_PASSPHRASE = "phrase-7-mots"
STRENGTH_LABELS = ("Très faible", "Faible", "Moyen", "Fort", "Très fort")

_COMMON_ERROR = "Ce mot de passe fait partie des mots de passe les plus courants."
_WORD_RE = re.compile(r"[^\W\d_]{2,}")  # letters only, >= 2 of them
_LETTERS_RE = re.compile(r"[^\W\d_]+")
_SENTENCE_TOKEN_RE = re.compile(r"(\d+)|([^\W\d_]+)|(\s+)|(.)")

# Class key -> (error when missing, hint to fix it).
_CLASSES = {
    "upper": ("Le mot de passe ne contient pas de majuscule.", "Ajoutez une majuscule"),
    "lower": ("Le mot de passe ne contient pas de minuscule.", "Ajoutez une minuscule"),
    "digit": ("Le mot de passe ne contient pas de chiffre.", "Ajoutez un chiffre"),
    "special": (
        "Le mot de passe ne contient pas de caractère spécial.",
        "Ajoutez un caractère spécial (!, ?, #…)",
    ),
}

# Class key -> advice for the sentence method (what to change in the sentence).
_SENTENCE_ADVICE = {
    "upper": "Commencez un mot par une majuscule.",
    "lower": "Écrivez au moins un mot en minuscules.",
    "digit": "Ajoutez un nombre (par exemple une année).",
    "special": "Ajoutez une ponctuation ou un symbole (!, ?, %…).",
}

# Generator alphabet: no look-alikes (O/0/o, I/l/1) and only symbols present on
# the first symbol page of French AZERTY phone keyboards (no dead keys ^ ¨ ` ~).
_GEN_UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_GEN_LOWER = "abcdefghijkmnpqrstuvwxyz"
_GEN_DIGITS = "23456789"
_GEN_SPECIALS = "!?#%+-=_@*$"


@dataclass(frozen=True)
class PasswordCheck:
    """Verdict on a password; ``ok`` is True exactly when ``rule_met`` is set."""

    ok: bool
    errors: list[str] = field(default_factory=list)
    rule_met: str | None = None
    strength: int = 0
    strength_label: str = STRENGTH_LABELS[0]
    hints: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SentenceResult:
    """Password derived from a sentence, its verdict and advice to improve it."""

    password: str
    check: PasswordCheck
    advice: list[str] = field(default_factory=list)


@lru_cache(maxsize=1)
def load_common_passwords() -> frozenset[str]:
    """Return the lowercased common-password list (read once, then cached)."""
    with COMMON_PASSWORDS_PATH.open(encoding="utf-8") as handle:
        lines = (line.strip().lower() for line in handle)
        return frozenset(line for line in lines if line and not line.startswith("#"))


def _classes(password: str) -> set[str]:
    """Character classes present in ``password``."""
    found: set[str] = set()
    for char in password:
        if char.isdigit():
            found.add("digit")
        elif char.isupper():
            found.add("upper")
        elif char.islower():
            found.add("lower")
        elif not char.isalpha():  # caseless letters (e.g. CJK) add no class
            found.add("special")
    return found


def count_words(text: str) -> int:
    """Distinct words of >= 2 letters (case-insensitive), per the module rule."""
    return len({word.casefold() for word in _WORD_RE.findall(text)})


def _missing_classes(password: str) -> list[str]:
    """Classes still needed for the closest length rule (12-mixed below 14 chars)."""
    needed = ["upper", "lower", "digit"]
    if len(password) < 14:
        needed.append("special")
    present = _classes(password)
    return [key for key in needed if key not in present]


def _email_error(folded_password: str, email: str | None) -> str | None:
    """Refuse the local part (>= 3 chars) and its letter runs of >= 4 letters:
    a name is the first thing an attacker tries ("famille.martin" -> "martin")."""
    if not email:
        return None
    local = email.strip().split("@", 1)[0].casefold()
    if len(local) >= 3 and local in folded_password:
        return "Le mot de passe contient votre adresse e-mail."
    for token in _LETTERS_RE.findall(local):
        if len(token) >= 4 and token in folded_password:
            return f"Le mot de passe contient une partie de votre adresse e-mail (« {token} »)."
    return None


def _rule_met(password: str) -> str | None:
    """First CNIL rule satisfied by the shape of ``password``, ignoring blocklists."""
    present = _classes(password)
    if len(password) >= 12 and present >= {"upper", "lower", "digit", "special"}:
        return RULE_12_MIXED
    if len(password) >= 14 and present >= {"upper", "lower", "digit"}:
        return RULE_14_ALNUM
    if count_words(password) >= 7:
        return RULE_PASSPHRASE
    return None


def check_password(password: str, email: str | None = None) -> PasswordCheck:
    """Check ``password`` against the CNIL rule, the blocklist and the e-mail."""
    password = unicodedata.normalize("NFC", password or "")
    folded = password.casefold()
    rule = _rule_met(password)
    errors: list[str] = []
    hints: list[str] = []
    words = count_words(password)
    if rule is None:
        if len(password) < 12:
            length = plural(len(password), "caractère")
            errors.append(f"Le mot de passe est trop court ({length}, 12 minimum).")
            hints.append(f"Encore {plural(12 - len(password), 'caractère')}")
        missing = _missing_classes(password)
        errors.extend(_CLASSES[key][0] for key in missing)
        hints.extend(_CLASSES[key][1] for key in missing)
        if missing == ["special"]:
            hints[-1] += " ou allez jusqu'à 14 caractères"
        if len(_LETTERS_RE.findall(password)) >= 3 and any(c.isspace() for c in password):
            errors.append(
                f"La phrase ne contient que {plural(words, 'mot')} "
                f"{'différents' if words > 1 else 'différent'} d'au moins 2 lettres (7 minimum)."
            )
            hints.append(f"Ou ajoutez encore {plural(7 - words, 'mot')} à votre phrase")

    blocked = False
    common = load_common_passwords()
    lowered = password.lower()  # the list was lowercased with str.lower()
    if lowered.strip() and (lowered in common or lowered.strip() in common):
        blocked = True
        errors.append(_COMMON_ERROR)
        hints.append("Évitez les mots de passe courants")
    email_error = _email_error(folded, email)
    if email_error:
        blocked = True
        errors.append(email_error)
        hints.append("N'utilisez pas votre adresse e-mail ni votre nom")

    ok = rule is not None and not blocked
    strength = _strength(password, ok, blocked, words)
    return PasswordCheck(ok, errors, rule if ok else None, strength, STRENGTH_LABELS[strength], hints)


def rule_checklist(password: str, email: str | None = None) -> list[tuple[str, bool]]:
    """The CNIL rule as a checklist ticking while the parent types: (French item, met?).

    Said once per item, under the password field (no separate list of errors)."""
    password = unicodedata.normalize("NFC", password or "")
    present = _classes(password)
    long_enough = len(password) >= 14
    check = check_password(password, email)
    blocked = any(e == _COMMON_ERROR or "adresse e-mail" in e for e in check.errors)
    words = count_words(password)
    return [
        (f"Au moins 12 caractères ({len(password)})", len(password) >= 12),
        ("Une majuscule", "upper" in present),
        ("Une minuscule", "lower" in present),
        ("Un chiffre", "digit" in present),
        ("Un caractère spécial (!, ?, #…), ou bien 14 caractères ou plus", "special" in present or long_enough),
        ("Ni un mot de passe courant, ni votre adresse e-mail", bool(password) and not blocked),
        (f"Ou bien : une phrase d'au moins 7 mots différents ({min(words, 7)}/7)", words >= 7),
    ]


def _strength(password: str, ok: bool, blocked: bool, words: int) -> int:
    """0..4 for the live indicator; >= 3 ("Fort") exactly when accepted."""
    if ok:
        return 4 if len(password) >= 16 or words >= 9 else 3
    if blocked or len(password) < 8:
        return 0
    if len(password) < 10 or len(_classes(password)) <= 2:
        return 1
    return 2


def generate_password(length: int = 16) -> str:
    """Random password meeting rule (a), easy to retype on a French phone."""
    if length < 12:
        raise ValueError("length must be at least 12 to meet the CNIL rule")
    rng = secrets.SystemRandom()
    pools = (_GEN_UPPER, _GEN_LOWER, _GEN_DIGITS, _GEN_SPECIALS)
    everything = "".join(pools)
    while True:
        chars = [secrets.choice(pool) for pool in pools]  # one of each class
        chars += [secrets.choice(everything) for _ in range(length - len(pools))]
        rng.shuffle(chars)
        candidate = "".join(chars)
        if check_password(candidate).ok:  # blocklist paranoia, virtually never loops
            return candidate


def password_from_sentence(sentence: str, email: str | None = None) -> SentenceResult:
    """CNIL "first letters" method.

    Each word gives its first letter as typed (case and accent kept), numbers
    are kept whole ("1515" stays "1515"), every punctuation mark or symbol is
    kept, spaces are dropped. The apostrophe is punctuation, so "l'école"
    gives "l'é"; the typographic apostrophe (’) becomes ' so it can be typed.
    Example: "J'ai acheté 3 livres pour 15 euros ce matin !" -> "J'aa3lp15ecm!".
    """
    text = unicodedata.normalize("NFC", sentence or "").replace("\u2019", "'")
    tokens = _SENTENCE_TOKEN_RE.findall(text)  # (number, word, space, other)
    password = "".join(number or word[:1] or other for number, word, _, other in tokens)
    check = check_password(password, email)
    advice: list[str] = []
    if not check.ok:
        if not password:
            advice.append("Écrivez une phrase facile à retenir, par exemple un souvenir avec une date.")
        elif len(password) < 12:
            short = plural(12 - len(password), "caractère")
            advice.append(f"Ajoutez des mots à votre phrase : il manque {short}.")
        if password:
            advice.extend(_SENTENCE_ADVICE[key] for key in _missing_classes(password))
        if _COMMON_ERROR in check.errors:
            advice.append("Choisissez une autre phrase : le résultat est un mot de passe trop courant.")
        if _email_error(password.casefold(), email):
            advice.append("Évitez votre nom ou votre adresse e-mail dans la phrase.")
    return SentenceResult(password=password, check=check, advice=advice)
