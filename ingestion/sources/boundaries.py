"""Prefecture-level city polygons: GeoJSON / GeoPackage / Shapefile in any CRS -> raw.city_boundaries.

Layouts accepted (``LAYOUTS``):

* DataV.GeoAtlas / AMap GeoJSON as downloaded: integer ``adcode``, ``name``, ``center``, ``centroid``,
  ``level``, ``parent: {adcode}``, ``acroutes``; no province field (the province is the adcode's first two
  digits, checked against ``parent``). Features must be prefecture-level (``level`` city) -- or, for the
  county world, all county-level (``level`` district, each ``{parent}_full.json`` of a prefecture; see
  below); the four
  municipalities, which DataV lists at province level (110000 ...), are stored under their city codes
  (110100 ..., ``ingestion.vocabulary.municipalities``) as every other table uses them. DataV's
  coordinates are AMap's GCJ-02, offset from WGS84 by up to about 0.5 km; like every GeoJSON without a
  ``crs`` member they are read as WGS84 (the offset is small against the 0.01-0.1 degree cells);
* GeoJSON / GeoPackage with ``adcode``, ``name`` (``province`` optional), in any CRS;
* ESRI Shapefile in any CRS: the ``.dbf`` text encoding comes from the ``.cpg`` beside it, else from the
  ``.dbf``'s language driver byte, else -- exports from Chinese GIS software often have neither
  (geopandas/pyogrio issue 380), and GDAL then decodes GBK as Latin-1 -- it is detected from the bytes of
  the text fields (valid UTF-8, else GB18030/GBK), so the names come out as the cities' names. The
  ``.dbf``, ``.shx``, ``.prj`` and ``.cpg`` are recorded in the manifest as the shapefile's companions.

County-level units (DataV ``level`` district): ``level`` is ``county`` and ``prefecture_adcode`` the
prefecture they belong to -- DataV's ``parent``, or, where the parent is a province, the municipality's
city code (110000 -> 110100: a municipality's districts) or the unit itself (a directly administered
county-level unit, 仙桃 429004). The national code tables the vintage check reads list prefecture-level
units only, so county files are not checked against them. One load holds one level: prefecture-level
and county-level files together are refused. Prefecture-level rows carry ``level`` prefecture and
their own code as ``prefecture_adcode``.

Polygons are reprojected to EPSG:4326 and stored as WKB; area (km², China Albers equal-area) and the
centroid (on the Albers projection) are computed here by the rules of ``ingestion.geometry``, which the
sample world's spatial W uses too. A file without a CRS is rejected (guessing degrees vs metres is how
cities end up in the ocean).
"""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from ingestion.divisions import PROVINCES, RESOLVER_SEEDS, Crosswalk
from ingestion.vocabulary import municipalities
from ingestion.contract import Column, Contract
from ingestion.errors import IngestError
from ingestion.geometry import areas_km2, centroids_lonlat
from ingestion.sources.base import FileLayout, LoadContext, ReadResult, Source

CHINA = (73.0, 3.0, 136.0, 54.0)  # west, south, east, north (degrees): mainland, Hainan and the islands
LAYOUTS = {
    "datav": "DataV.GeoAtlas / AMap GeoJSON (integer adcode, name, center, centroid, level, parent)",
    "table": "GeoJSON / GeoPackage / Shapefile with adcode, name (and province), any CRS",
}
COMPANIONS = (".dbf", ".shx", ".prj", ".cpg", ".qix", ".sbn", ".sbx")  # a shapefile's other files
# dBASE language driver ids (byte 29 of the .dbf header) that GDAL maps to a code page itself
DBF_LANGUAGE_DRIVERS = {0x4D: "CP936 (GBK)", 0x7A: "CP936 (GBK)", 0x4F: "CP950 (Big5)", 0x57: "CP1252",
                        0x03: "CP1252", 0x01: "CP437"}
# DataV levels: the prefecture-level features of a national city layer are "city"; the municipalities
# appear as "province" (their province code then stands for the city)
CITY_LEVEL = "city"
COUNTY_LEVEL = "district"  # DataV's level of county-level units (区, 县, 县级市, 旗)
UNIT_LEVELS = {CITY_LEVEL: "prefecture", COUNTY_LEVEL: "county"}  # DataV level -> raw level


def municipality_of_province() -> dict[str, str]:
    """Province code of each municipality -> its city code (110000 -> 110100)."""
    return {code[:2] + "0000": code for code in municipalities()}
ALIASES = {"adcode": ("adcode", "行政区划代码", "code", "ADCODE"), "name": ("name", "名称", "城市", "NAME"),
           "province": ("province", "省份", "所属省份")}

CONTRACT = Contract(
    table="city_boundaries",
    description="Prefecture-level city polygons in EPSG:4326 with area and centroid",
    key=("adcode",),
    columns=(
        Column("adcode", "varchar", "6-digit administrative division code"),
        Column("name_zh", "varchar", "Chinese name"),
        Column("name_en", "varchar", "English name (where the file has one)", nullable=True),
        Column("province_adcode", "varchar", "6-digit code of the province"),
        Column("province_zh", "varchar", "Chinese name of the province"),
        Column("level", "varchar", "prefecture (prefecture-level cities) or county (county-level units)"),
        Column("prefecture_adcode", "varchar", "the prefecture-level unit: the city itself, or a county's prefecture"),
        Column("area_km2", "double", "area on the China Albers equal-area projection", "km2", min=0),
        Column("centroid_lon", "double", "centroid longitude", "degree", min=-180, max=180),
        Column("centroid_lat", "double", "centroid latitude", "degree", min=-90, max=90),
        Column("geometry_wkb", "blob", "polygon (EPSG:4326) as WKB"),
        Column("source_crs", "varchar", "CRS of the file as read"),
        Column("source_file", "varchar", "file the row came from"),
    ),
)


def _column(frame: pd.DataFrame, role: str, path: Path, required: bool = True) -> str | None:
    for alias in ALIASES[role]:
        if alias in frame.columns:
            return alias
    if required:
        raise IngestError(path, "fields", f"no {role} column (looked for {list(ALIASES[role])})",
                          f"name the column {ALIASES[role][0]!r}")
    return None


def _reject_outside_china(gdf: gpd.GeoDataFrame, path: Path, source_crs: str) -> None:
    """Cities reprojected outside China mean the file's coordinates are not in the CRS it declares
    (degrees labelled as a UTM zone, the wrong zone): the geometry would silently land elsewhere."""
    w, s_, e, n = gdf.total_bounds
    if w < CHINA[0] or s_ < CHINA[1] or e > CHINA[2] or n > CHINA[3]:
        raise IngestError(path, "CRS", f"after reprojecting from {source_crs} the cities lie outside China "
                          f"(lon {w:.1f} to {e:.1f}, lat {s_:.1f} to {n:.1f}): the CRS is missing or wrong",
                          "declare the CRS the coordinates are written in (EPSG:4326 for degrees, the UTM zone "
                          "or projection they were exported in for metres)")


def vintage_years(adcodes) -> dict[str, tuple[int, int]]:
    """Each code's first and last national code table (31 Dec) listing it as a unit (prefecture-level,
    municipality or directly administered county-level unit); codes never listed are left out."""
    crosswalk = Crosswalk.load()
    out: dict[str, tuple[int, int]] = {}
    for adcode in adcodes:
        periods = crosswalk.unit_periods(adcode)
        if periods:
            out[adcode] = (periods[0].table_from, periods[-1].table_to)
    return out


def _reject_mixed_vintages(adcode: pd.Series, path: Path, code_col: str) -> None:
    """The polygons are one vintage of the units: every code a unit of the national code tables, and one
    year whose table lists them all (a file with 莱芜市 and 海东市 mixes 2017 and 2013 and would count
    莱芜's territory twice once 济南 is harmonised)."""
    years = vintage_years(set(adcode))
    unknown = [i for i, a in enumerate(adcode) if a not in years]
    if unknown:
        i = unknown[0]
        raise IngestError(path, f"feature {i + 1}, column {code_col}",
                          f"{adcode.iloc[i]} is not a prefecture-level unit (nor a municipality or directly "
                          "administered county-level unit) of any national code table 1999-2023",
                          "use the unit's code of the boundaries' year (the city code xx0100 for a municipality)")
    latest_start = max(years, key=lambda a: years[a][0])
    earliest_end = min(years, key=lambda a: years[a][1])
    if years[latest_start][0] > years[earliest_end][1]:
        raise IngestError(path, f"features {adcode.tolist().index(earliest_end) + 1} and "
                          f"{adcode.tolist().index(latest_start) + 1}",
                          f"the polygons mix vintages: {earliest_end} is listed until {years[earliest_end][1]}, "
                          f"{latest_start} only from {years[latest_start][0]}",
                          "use one boundary file of one year (its units as the code table of that year lists them)")


def read(files, ctx: LoadContext) -> ReadResult:
    frames, layouts = [], {}
    shapes = {p.with_suffix(".shp") for p in files if p.suffix.lower() == ".shp"}
    for path in files:
        if path.suffix.lower() in COMPANIONS:
            if path.with_suffix(".shp") not in shapes:
                raise IngestError(path, "file name", f"a shapefile's {path.suffix} without its .shp",
                                  "copy the whole shapefile (.shp, .shx, .dbf, .prj) or remove the file")
            layouts[path] = FileLayout({"layout": "shapefile companion"}, used=False,
                                       why=f"companion of {path.with_suffix('.shp').name}")
            continue
        frame, layouts[path] = _read_one(path)
        frames.append(frame)
    _reject_mixed_levels(frames)
    return ReadResult({"city_boundaries": pd.concat(frames, ignore_index=True)}, layouts)


def _reject_mixed_levels(frames: list[pd.DataFrame]) -> None:
    first = frames[0]
    for frame in frames[1:]:
        if frame["level"].iat[0] != first["level"].iat[0]:
            raise IngestError(frame["_file"].iat[0], "column level", f"{frame['level'].iat[0]}-level units beside "
                              f"the {first['level'].iat[0]}-level units of {Path(first['_file'].iat[0]).name}",
                              "load one level of units: the prefecture-level or the county-level boundaries")


def _read_one(path: Path) -> tuple[pd.DataFrame, FileLayout]:
    encoding, encoding_note = shapefile_encoding(path) if path.suffix.lower() == ".shp" else (None, None)
    try:
        gdf = gpd.read_file(path, engine="pyogrio", **({"encoding": encoding} if encoding else {}))
    except Exception as exc:
        raise IngestError(path, "whole file", f"not a readable vector file ({type(exc).__name__}: "
                          f"{' '.join(str(exc).split())})",
                          "export the boundaries as GeoJSON, GeoPackage or Shapefile") from None
    if gdf.crs is None:
        raise IngestError(path, "CRS", "the file has no coordinate reference system",
                          "set the CRS when exporting (e.g. EPSG:4326), or add the .prj of the shapefile")
    code_col, name_col = _column(gdf, "adcode", path), _column(gdf, "name", path)
    adcode = gdf[code_col].astype(str).str.strip().str[:6]
    bad = ~adcode.str.fullmatch(r"\d{6}") | ~adcode.str[:2].isin(list(PROVINCES))
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise IngestError(path, f"feature {i + 1}, column {code_col}", f"{gdf[code_col].iloc[i]!r} is not a "
                          "6-digit adcode of a mainland province", "use the NBS administrative division code")
    datav = "level" in gdf.columns and "parent" in gdf.columns
    level = CITY_LEVEL
    if "level" in gdf.columns:
        adcode, level = _unit_level(gdf, adcode, path)
    parent = _check_parents(gdf, adcode, path) if "parent" in gdf.columns else None
    if level == COUNTY_LEVEL:
        prefecture = _prefecture_of(adcode, parent)
    else:
        _reject_mixed_vintages(adcode, path, code_col)
        prefecture = adcode
    empty = gdf.geometry.isna() | gdf.geometry.is_empty
    if empty.any():
        i = int(empty.to_numpy().nonzero()[0][0])
        raise IngestError(path, f"feature {i + 1} ({adcode.iloc[i]})", "empty geometry", "fix the polygon")
    source_crs = gdf.crs.to_string()
    if gdf.crs.is_geographic:
        w, s_, e, n = gdf.total_bounds
        if w < -180 or e > 180 or s_ < -90 or n > 90:
            raise IngestError(path, "CRS", f"coordinates {gdf.total_bounds.round(1).tolist()} are not degrees "
                              f"although the CRS ({source_crs}) is geographic: the CRS is missing or wrong",
                              "declare the file's real CRS (e.g. the projected CRS it was exported in)")
    gdf = gdf.to_crs("EPSG:4326")
    _reject_outside_china(gdf, path, source_crs)
    geom = shapely.make_valid(gdf.geometry.to_numpy())
    geoms = gpd.GeoSeries(geom, crs="EPSG:4326")
    centroid = centroids_lonlat(geoms)
    names = gdf[name_col].astype(str).str.strip()
    _reject_garbled(names, path, name_col, encoding_note)
    frame = pd.DataFrame({
        "adcode": adcode.to_numpy(),
        "name_zh": names.to_numpy(),
        "name_en": gdf["name_en"].astype(str) if "name_en" in gdf.columns else None,
        "province_adcode": adcode.str[:2].to_numpy() + "0000",
        "province_zh": adcode.str[:2].map(lambda p: PROVINCES[p][0]).to_numpy(),
        "level": UNIT_LEVELS[level],
        "prefecture_adcode": prefecture.to_numpy(),
        "area_km2": areas_km2(geoms),
        "centroid_lon": centroid[:, 0], "centroid_lat": centroid[:, 1],
        "geometry_wkb": [bytes(b) for b in shapely.to_wkb(geom)],
        "source_crs": source_crs, "source_file": path.name,
        "_file": str(path), "_row": [f"feature {i + 1}" for i in range(len(gdf))],
    })
    facts = {"product": "city boundaries", "layout": "datav" if datav else "table",
             "format": {".shp": "ESRI Shapefile", ".gpkg": "GeoPackage"}.get(path.suffix.lower(), "GeoJSON"),
             "crs": source_crs, "features": len(gdf), "encoding": encoding_note,
             "conversion": f"reprojected from {source_crs} to EPSG:4326" if source_crs != "EPSG:4326" else "none"}
    return frame, FileLayout(facts)


def _unit_level(gdf: gpd.GeoDataFrame, adcode: pd.Series, path: Path) -> tuple[pd.Series, str]:
    """DataV's ``level``: a file of county-level units (all ``district``), or of prefecture-level ones,
    where a municipality at province level takes its city code (110000 -> 110100)."""
    level = gdf["level"].astype(str).str.strip().str.lower()
    if (level == COUNTY_LEVEL).all():
        return adcode, COUNTY_LEVEL
    city_code = municipality_of_province()
    municipality = (level == "province") & adcode.isin(list(city_code))
    wrong = ~((level == CITY_LEVEL) | municipality)
    if wrong.any():
        i = int(wrong.to_numpy().nonzero()[0][0])
        raise IngestError(path, f"feature {i + 1} ({adcode.iloc[i]} {gdf.iloc[i].get('name', '')}), column level",
                          f"the file holds {level.iloc[i]}-level units ({int(wrong.sum())} feature(s)) where "
                          "prefecture-level cities (level 'city') are expected",
                          "download the city-level boundaries (DataV: each province's _full file, level city), or "
                          "only county-level ones (each prefecture's _full file, level district)")
    return adcode.where(~municipality, adcode.map(city_code)), CITY_LEVEL


def _prefecture_of(adcode: pd.Series, parent: pd.Series | None) -> pd.Series:
    """A county-level unit's prefecture from DataV's ``parent`` (see the module docstring)."""
    own = adcode.str[:4] + "00"
    parent = own if parent is None else parent.fillna(own)
    city_code = municipality_of_province()
    province = parent.str[2:] == "0000"
    under_province = adcode.where(~parent.isin(list(city_code)), parent.map(city_code))
    return parent.where(~province, under_province)


def _check_parents(gdf: gpd.GeoDataFrame, adcode: pd.Series, path: Path) -> pd.Series:
    """DataV's ``parent: {adcode}`` (the province of a city, the prefecture or province of a county-level
    unit) must agree with the adcode's first two digits; returns the parents."""
    parent = gdf["parent"].map(lambda p: str(p.get("adcode", "")) if isinstance(p, dict) else str(p or ""))
    parent = parent.str.extract(r"(\d{6})", expand=False)
    wrong = parent.notna() & (parent.str[:2] != adcode.str[:2]) & (parent != "100000")
    if wrong.any():
        i = int(wrong.to_numpy().nonzero()[0][0])
        raise IngestError(path, f"feature {i + 1}, column parent", f"parent {parent.iloc[i]} is not the province "
                          f"of adcode {adcode.iloc[i]}", "use the file as downloaded (adcode and parent agree)")
    return parent


def shapefile_encoding(path: Path) -> tuple[str | None, str]:
    """(encoding to read the .dbf with, or None to let GDAL decide; how it was found).

    GDAL uses the .cpg, else the .dbf's language driver byte; with neither it assumes ISO-8859-1, which
    turns GBK names into mojibake. Then the text fields decide: valid UTF-8, else GB18030 (a superset of
    GBK and GB2312), else ISO-8859-1."""
    cpg = next((p for p in path.parent.glob(path.stem + ".*") if p.suffix.lower() == ".cpg"), None)
    if cpg is not None:
        return None, f"{cpg.read_text(errors='replace').strip()} (from the .cpg)"
    dbf = next((p for p in path.parent.glob(path.stem + ".*") if p.suffix.lower() == ".dbf"), None)
    if dbf is None:
        raise IngestError(path, "companion files", "the shapefile has no .dbf beside it (no attributes)",
                          "copy the whole shapefile (.shp, .shx, .dbf, .prj)")
    raw = dbf.read_bytes()
    if len(raw) > 29 and raw[29] in DBF_LANGUAGE_DRIVERS:
        return None, f"{DBF_LANGUAGE_DRIVERS[raw[29]]} (from the .dbf language driver byte 0x{raw[29]:02X})"
    text = _dbf_text_bytes(raw)
    if not any(b >= 0x80 for b in text):
        return None, "ASCII (no .cpg; text fields are plain ASCII)"
    for codec, name in (("utf-8", "UTF-8"), ("gb18030", "GB18030")):
        try:
            text.decode(codec)
        except UnicodeDecodeError:
            continue
        return name, f"{name} (detected from the text fields: no .cpg, no language driver byte)"
    return "ISO-8859-1", "ISO-8859-1 (no .cpg; the text fields are neither UTF-8 nor GBK)"


def _dbf_text_bytes(raw: bytes) -> bytes:
    """The bytes of every character (C) field of every record of a dBASE III file."""
    if len(raw) < 32:
        return b""
    records, header_len, record_len = (int.from_bytes(raw[4:8], "little"), int.from_bytes(raw[8:10], "little"),
                                       int.from_bytes(raw[10:12], "little"))
    fields, offset, pos = [], 1, 32  # each record starts with its deletion flag
    while pos + 32 <= header_len and raw[pos] != 0x0D:
        kind, size = chr(raw[pos + 11]), raw[pos + 16]
        if kind == "C":
            fields.append((offset, size))
        offset += size
        pos += 32
    chunks = []
    for r in range(records):
        start = header_len + r * record_len
        chunks += [raw[start + o:start + o + n] for o, n in fields]
    return b" ".join(chunks)


def _reject_garbled(names: pd.Series, path: Path, column: str, encoding_note: str | None) -> None:
    """A name made of Latin-1 symbols only (no CJK, no ASCII letters: 'Ê¯¼Ò×¯ÊÐ' for 石家庄市) is GBK
    decoded as Latin-1, e.g. under a .cpg that names the wrong code page."""
    latin1 = names.str.count(r"[\u0080-\u00ff]")
    garbled = (latin1 >= 2) & ~names.str.contains(r"[\u4e00-\u9fff]") & ~names.str.contains(r"[A-Za-z]")
    if garbled.any():
        i = int(garbled.to_numpy().nonzero()[0][0])
        raise IngestError(path, f"feature {i + 1}, column {column}", f"name {names.iloc[i]!r} is garbled: GBK "
                          f"text read as Latin-1 (encoding {encoding_note or 'as the file declares'})",
                          "put a .cpg file containing GBK beside the .shp (or export as UTF-8)")


SOURCE = Source(
    name="boundaries",
    description="prefecture-level city polygons",
    product="city boundary file (DataV/AMap GeoJSON, GeoJSON / GeoPackage / Shapefile of any encoding, any CRS)",
    contracts=(CONTRACT,),
    patterns=("*.geojson", "*.json", "*.gpkg", "*.shp", *(f"*{suffix}" for suffix in COMPANIONS)),
    read=read,
    needs_cities=False,
    version="2",
    seeds=(*RESOLVER_SEEDS, "seed_municipalities"),  # codes checked against the code tables
)
