"""What the demo communes hold: their settings, families, logins and prices (services/demo.py writes them).

Kept apart from the loader so that a change to the demo's people or numbers reads as data, and the
browser tests' logins (``MARTIN_EMAIL``...) have one home.
"""

from __future__ import annotations

from datetime import date
from typing import Any

MARTIN_EMAIL = "famille.martin@example.fr"
MARTIN_PASSWORD = "Demo-Cantine-2026!"
DURAND_EMAIL = "famille.durand@example.fr"
BERNARD_EMAIL = "famille.bernard@example.fr"
BERNARD_PASSWORD = "Demo-Autreville-2026!"
STAFF_EMAIL = "agent@demo.fr"
STAFF_PASSWORD = "Demo-Agent-2026!"

DEFAULT_DIETS = "Sans porc\nSans viande\nVégétarien\nSans gluten"

# The demo canteen's grid (issue 17): four QF brackets, the first at 1 € (« cantine à 1 € »), a price
# for families outside the commune and 10 % off from the 3rd child booked the same day. Martin
# (QF 1 350 €) pays the top bracket, 3,85 € as before; Durand (QF 640 €) the second, 2,50 €.
DEMO_BRACKETS = ((0, 500, 100), (501, 900, 250), (901, 1200, 320), (1201, None, 385))
MARTIN_QF = 1350
DURAND_QF = 640

# Keyword arguments of the Structure rows (``created_at`` is the loading instant).
DEMO_COMMUNE: dict[str, Any] = dict(
    slug="demo",
    name="Ville de Démo",
    address_line="Hôtel de ville, 1 place de la République",
    postal_code="44000",
    city="Démo-sur-Loire",
    phone="02 40 00 00 00",
    email="enfance@ville-demo.fr",
    period_mode="week",
    deadline_kind="weekday_before",
    deadline_weekday=3,
    deadline_time="23:59",
    diets=DEFAULT_DIETS,
    primary_color="#1d4e89",
)
AUTREVILLE_COMMUNE: dict[str, Any] = dict(
    slug="autreville",
    name="Autreville",
    address_line="Mairie, 2 rue de la Mairie",
    postal_code="35000",
    city="Autreville",
    phone="02 99 00 00 00",
    email="periscolaire@autreville.fr",
    period_mode="month",
    deadline_kind="days_before",
    deadline_days_before=5,
    deadline_time="12:00",
    diets=DEFAULT_DIETS,
    primary_color="#1e6b3a",
)

# Keyword arguments of the Guardian and Child rows, in order (the first guardian logs in).
_MARTIN_ADDRESS = dict(address_line="8 rue des Tilleuls", postal_code="44000", city="Démo-sur-Loire")
MARTIN_GUARDIANS: list[dict[str, Any]] = [
    dict(
        civility="Mme",
        last_name="Martin",
        first_name="Claire",
        relationship="Mère",
        email=MARTIN_EMAIL,
        mobile="0612345678",
        **_MARTIN_ADDRESS,
    ),
    dict(
        civility="M.",
        last_name="Martin",
        first_name="Julien",
        relationship="Père",
        email="julien.martin@example.fr",
        mobile="0698765432",
        **_MARTIN_ADDRESS,
    ),
]
MARTIN_CHILDREN: list[dict[str, Any]] = [
    dict(
        last_name="Martin",
        first_name="Léa",
        birth_date=date(2017, 3, 14),
        school="École Jules Ferry",
        class_name="CM1",
        diet="",
    ),
    dict(
        last_name="Martin",
        first_name="Hugo",
        birth_date=date(2020, 6, 2),
        school="École Jules Ferry",
        class_name="CP",
        diet="Sans porc",
    ),
]
DURAND_GUARDIANS: list[dict[str, Any]] = [
    dict(
        civility="Mme",
        last_name="Durand",
        first_name="Sophie",
        relationship="Mère",
        email=DURAND_EMAIL,
        mobile="0611223344",
        address_line="3 allée des Cerisiers",
        postal_code="44000",
        city="Démo-sur-Loire",
    )
]
DURAND_CHILDREN: list[dict[str, Any]] = [
    dict(
        last_name="Durand",
        first_name="Emma",
        birth_date=date(2018, 11, 20),
        school="École Jacques Prévert",
        class_name="CE2",
        diet="Végétarien",
    )
]
BERNARD_GUARDIANS: list[dict[str, Any]] = [
    dict(
        civility="M.",
        last_name="Bernard",
        first_name="Paul",
        relationship="Père",
        email=BERNARD_EMAIL,
        mobile="0655443322",
        address_line="5 rue du Port",
        postal_code="35000",
        city="Autreville",
    )
]
BERNARD_CHILDREN: list[dict[str, Any]] = [
    dict(
        last_name="Bernard",
        first_name="Nina",
        birth_date=date(2019, 1, 9),
        school="École du Centre",
        class_name="CE1",
        diet="",
    )
]
