"""Responsible units (city, districts, streets, departments, utilities) and the catalog."""

from sqlalchemy import JSON, String
from sqlmodel import Field, SQLModel

from models.enums import UnitKind


class UnitBase(SQLModel):
    code: str = Field(primary_key=True, max_length=32)
    name_zh: str = Field(max_length=120)
    name_en: str = Field(default="", max_length=160)
    kind: UnitKind = Field(sa_type=String(16), index=True)
    parent_code: str | None = Field(default=None, foreign_key="units.code", max_length=32)
    # Centroid, for resolving a map point to the nearest street when no boundaries are loaded.
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    # A department's or utility's branch serves these districts (or streets); empty: wherever
    # its parent serves (a city-level unit serves the whole city).
    service_areas: list[str] = Field(default_factory=list, sa_type=JSON)


class Unit(UnitBase, table=True):
    __tablename__ = "units"
    active: bool = True


class UnitPublic(UnitBase):
    pass


class CategoryBase(SQLModel):
    code: str = Field(primary_key=True, max_length=32)
    level: int = Field(ge=1, le=3)
    parent_code: str | None = Field(default=None, foreign_key="categories.code", max_length=32)
    name_zh: str = Field(max_length=120)
    name_en: str = Field(default="", max_length=160)
    unit_kind: UnitKind | None = Field(default=None, sa_type=String(16))
    # The department or utility responsible for a leaf (its branch for the place is chosen at
    # dispatch); None when the unit is the street, district or city of the place (`unit_kind`).
    unit_code: str | None = Field(default=None, foreign_key="units.code", max_length=32)
    # Deadline overrides for this category; None falls back to the urgency defaults.
    acknowledge_hours: float | None = Field(default=None, gt=0)
    respond_hours: float | None = Field(default=None, gt=0)
    resolve_working_days: int | None = Field(default=None, gt=0)
    # Example phrasings citizens use; training data for smart dispatch and help for operators.
    examples: list[str] = Field(default_factory=list, sa_type=JSON)


class Category(CategoryBase, table=True):
    """One node of the 3-level catalog; cases are filed under leaves (level 3)."""

    __tablename__ = "categories"
    active: bool = True


class CategoryPublic(CategoryBase):
    pass
