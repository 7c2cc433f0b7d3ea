"""Administrative divisions: the provinces (adcode prefix, names, NBS region), read from their one home,
the dbt seed ``seed_provinces`` (``ingestion.vocabulary``). The four municipalities are
``ingestion.vocabulary.municipalities()`` (``seed_municipalities``)."""
from __future__ import annotations

from ingestion.vocabulary import read_seed

# Province adcode prefix -> (Chinese name, English name, region). Regions: the NBS east / central / west split.
PROVINCES: dict[str, tuple[str, str, str]] = {
    row["province_adcode"][:2]: (row["province_zh"], row["province_en"], row["region"])
    for row in read_seed("seed_provinces")
}


def province_resolver() -> dict[str, str]:
    """Province name (full or short, Chinese or English) -> 6-digit province adcode."""
    out: dict[str, str] = {}
    for prefix, (zh, en, _region) in PROVINCES.items():
        code = prefix + "0000"
        for key in (zh, en, en.lower()):
            out[key] = code
        for suffix in ("壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "省", "市"):
            if zh.endswith(suffix):
                out[zh[: -len(suffix)]] = code
                break
    return out
