"""What every layer needs to know about sources: the id lists in cells, and IOM's credit."""

from __future__ import annotations

IOM_DTM_CREDIT = (
    "International Organization for Migration (IOM), Displacement Tracking Matrix (DTM)"
)


def split_ids(cell: str | None) -> list[str]:
    """'a; b' -> ['a', 'b'] (several ids may share one cell)."""
    return [part.strip() for part in (cell or "").split(";") if part.strip()]


def is_iom(outlet: str) -> bool:
    """Is this outlet IOM's DTM (credited with IOM's required wording)?"""
    lowered = outlet.lower()
    return (
        lowered.startswith("iom")
        or "displacement tracking matrix" in lowered
        or lowered.startswith("hdx")
        or "dtm" in lowered.split()
    )
