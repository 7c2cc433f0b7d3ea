"""Prefecture-level city polygons: GeoJSON / GeoPackage / Shapefile in any CRS -> raw.city_boundaries.

Polygons are reprojected to EPSG:4326 and stored as WKB; area (km², China Albers equal-area) and the
centroid are computed here. A file without a CRS is rejected (guessing degrees vs metres is how
cities end up in the ocean).
"""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from ingestion.divisions import PROVINCES, Crosswalk
from ingestion.contract import Column, Contract
from ingestion.errors import IngestError
from ingestion.sources.base import LoadContext, Source

ALBERS = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +x_0=0 +y_0=0 +ellps=krass +units=m +no_defs"
CHINA = (73.0, 3.0, 136.0, 54.0)  # west, south, east, north (degrees): mainland, Hainan and the islands
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


def read(files, ctx: LoadContext):
    frames = []
    for path in files:
        try:
            gdf = gpd.read_file(path, engine="pyogrio")
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
        _reject_mixed_vintages(adcode, path, code_col)
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
        centroid = geoms.to_crs(ALBERS).centroid.to_crs("EPSG:4326")
        frames.append(pd.DataFrame({
            "adcode": adcode.to_numpy(),
            "name_zh": gdf[name_col].astype(str).str.strip().to_numpy(),
            "name_en": gdf["name_en"].astype(str) if "name_en" in gdf.columns else None,
            "province_adcode": adcode.str[:2].to_numpy() + "0000",
            "province_zh": adcode.str[:2].map(lambda p: PROVINCES[p][0]).to_numpy(),
            "area_km2": geoms.to_crs(ALBERS).area.to_numpy() / 1e6,
            "centroid_lon": centroid.x.to_numpy(), "centroid_lat": centroid.y.to_numpy(),
            "geometry_wkb": [bytes(b) for b in shapely.to_wkb(geom)],
            "source_crs": source_crs, "source_file": path.name,
            "_file": str(path), "_row": [f"feature {i + 1}" for i in range(len(gdf))],
        }))
    return {"city_boundaries": pd.concat(frames, ignore_index=True)}


SOURCE = Source(
    name="boundaries",
    description="prefecture-level city polygons",
    product="city boundary file (GeoJSON / GeoPackage / Shapefile, any CRS)",
    contracts=(CONTRACT,),
    patterns=("*.geojson", "*.json", "*.gpkg", "*.shp"),
    read=read,
    needs_cities=False,
)
