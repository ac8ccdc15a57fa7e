"""The canteen's roll call (pointage, issue 20): who is expected, who was there, what the régie sees.

- ``expected.py``: the children expected for a service on a day (paid reservations) — the ONE
  query that decides who is on the list;
- ``marks.py``: a tap (present/absent) as a single-row upsert, a child added « présent sans
  réservation », the search among the commune's children;
- ``sheet.py``: the list as the page shows it (expected + marks), its CSV, the régie's report.
"""
