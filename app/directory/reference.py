"""The county's real bodies and towns, shipped as CSV beside this file, and the clearly-marked demo places.

``load_reference_data`` is idempotent: it adds what is missing and refreshes names, never deletes, so it can
run on every start and after an upgrade that corrects a name.
"""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select

from app.directory.models import Organization, OrganizationKind, Town, Village, VillageKind
from app.extensions import db

DATA_DIR = Path(__file__).resolve().parent / "data"

# The per-town bodies the plan names, as (code prefix, kind, Chinese suffix, English suffix).
TOWN_BODIES = [
    ("town", OrganizationKind.TOWN_GOVERNMENT, "人民政府", "Government"),
    ("sws", OrganizationKind.SOCIAL_WORK_STATION, "社工站", "Social Work Station"),
    ("mps", OrganizationKind.PROTECTION_STATION, "未成年人保护工作站", "Minors Protection Station"),
]


def read_rows(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _upsert_organization(code: str, **values) -> Organization:
    organization = db.session.scalar(select(Organization).where(Organization.code == code))
    if organization is None:
        organization = Organization(code=code, **values)
        db.session.add(organization)
    else:
        for key, value in values.items():
            setattr(organization, key, value)
    return organization


def load_reference_data() -> None:
    """Create or refresh the 15 county bodies, the 9 towns and each town's government and two stations."""
    for order, row in enumerate(read_rows("county_bodies.csv"), start=1):
        _upsert_organization(
            row["code"],
            kind=OrganizationKind.COUNTY_BODY,
            name_zh=row["name_zh"],
            short_name_zh=row["short_name_zh"],
            name_en=row["name_en"],
            sort_order=order,
        )
    for order, row in enumerate(read_rows("towns.csv"), start=1):
        town = db.session.scalar(select(Town).where(Town.code == row["code"]))
        if town is None:
            town = Town(code=row["code"])
            db.session.add(town)
        town.name_zh, town.name_en, town.sort_order = row["name_zh"], row["name_en"], order
        db.session.flush()
        for index, (prefix, kind, suffix_zh, suffix_en) in enumerate(TOWN_BODIES):
            _upsert_organization(
                f"{prefix}-{town.code}",
                kind=kind,
                name_zh=f"{town.name_zh}{suffix_zh}",
                name_en=f"{town.name_en} {suffix_en}",
                short_name_zh=f"{town.name_zh}{suffix_zh}",
                town_id=town.id,
                sort_order=100 + order * 10 + index,
            )
    db.session.flush()


def towns_by_code() -> dict[str, Town]:
    return {town.code: town for town in db.session.scalars(select(Town))}


def load_demo_places() -> None:
    """Invented villages and schools (``is_demo``) so a fresh site has something to click; never in production."""
    towns = towns_by_code()
    for row in read_rows("demo_villages.csv"):
        town = towns[row["town"]]
        exists = db.session.scalar(select(Village).where(Village.town_id == town.id, Village.name_zh == row["name_zh"]))
        if exists is None:
            db.session.add(
                Village(
                    town=town,
                    name_zh=row["name_zh"],
                    name_en=row["name_en"],
                    kind=VillageKind(row["kind"]),
                    is_demo=True,
                )
            )
    for order, row in enumerate(read_rows("demo_schools.csv"), start=1):
        if db.session.scalar(select(Organization.id).where(Organization.code == row["code"])) is None:
            db.session.add(
                Organization(
                    code=row["code"],
                    kind=OrganizationKind.SCHOOL,
                    name_zh=row["name_zh"],
                    name_en=row["name_en"],
                    town_id=towns[row["town"]].id,
                    sort_order=1000 + order,
                    is_demo=True,
                )
            )
    db.session.flush()
