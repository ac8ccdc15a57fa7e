"""Prices by family income (quotient familial), outside-commune and sibling rates (issue 17).

``grid`` holds the pure rules (brackets, quotes, the sibling rank, the grid editor's checks),
``tariffs`` reads what a family's prices depend on, ``quotients`` the families' QF and their
attestations, ``claim`` the « cantine à 1 € » claim. No Reflex here.
"""
