"""Every published layout of the gridded products and boundaries, loaded through the command line.

Fixtures are generated here from known grids (the sample world's writers on the tiny world's cities,
city values planted from a panel), one layout per sources folder, and ingested with
``dualcarbon ingest`` into a copy of a warehouse that already holds boundaries and one year of every
product. Each value must come back: relative error at most 1e-6 where the layout needs no unit
conversion, 1e-4 where it does (fluxes to tonnes, CHAP's uint16 steps). Each file of a known layout that
holds another quantity (biogenic CO2, methane, one sector, coverage counts, a standard deviation, a daily
file, district boundaries) is refused with exit code 2 and one line naming the quantity found and the one
expected, and leaves the warehouse byte-identical.
"""
from __future__ import annotations

import filecmp
import json
import shutil
from pathlib import Path

import duckdb
import netCDF4
import numpy as np
import pandas as pd
import pytest
import shapely

from ingestion.geometry import ALBERS
from ingestion import geodesy
from dualcarbon.cli import main
from ingestion.sample.geography import build_world, datav_features, write_boundaries, write_datav
from ingestion.sample.rasters import (CellsCache, NtlFile, planned_layouts, planted_edgar, planted_ntl,
                                      planted_pm25, tile_grid, write_edgar_file, write_ntl_files, write_pm25_file,
                                      write_srtm_tiles)
from ingestion.sources import boundaries, dem, edgar_co2, ntl, pm25
from tests.conftest import warehouse_snapshot
from tests.ingestion._rasters import EXACTEXTRACT_RTOL, fake_panel

SEED = 9
NO_CONVERSION, CONVERSION = 1e-6, 1e-4


# ---------------------------------------------------------------------------------------- the known grids
@pytest.fixture(scope="module")
def world():
    return build_world("tiny")


@pytest.fixture(scope="module")
def panel(world):
    return fake_panel(world, seed=SEED)


@pytest.fixture(scope="module")
def grids(world, panel):
    """The planted grids of every product and year (the truth the files are written from)."""
    cells_on = CellsCache(world)
    rng = {k: np.random.default_rng([SEED, i]) for i, k in enumerate(("edgar", "pm25", "ntl"))}
    edgar_grid, edgar = planted_edgar(world, panel, rng["edgar"], cells_on)
    pm_grid, pm_cells, pm = planted_pm25(world, panel, rng["pm25"], cells_on)
    ntl_grid, lights = planted_ntl(world, panel, rng["ntl"], cells_on)
    return {"edgar": (edgar_grid, dict(edgar)), "pm25": (pm_grid, pm_cells, {y: (d, m) for y, d, m in pm}),
            "ntl": (ntl_grid, dict(lights))}


def cli(*args: str) -> int:
    return main(["ingest", *args, "--workers", "1", "--quiet"])


@pytest.fixture(scope="module")
def base(world, grids, tmp_path_factory) -> Path:
    """A warehouse with the tiny world's boundaries and one year (2012) of each raster product loaded."""
    root = tmp_path_factory.mktemp("layouts_base")
    sources = root / "sources"
    write_boundaries(world, sources)
    _edgar(grids, sources, "v8_emi", 2012)
    _pm25(grids, sources, "acag_v5", 2012)
    _ntl(grids, sources, NtlFile("vnl_v21"), 2012, np.random.default_rng(1))
    _dem_tiles(world, sources)
    warehouse = root / "base.duckdb"
    assert cli("--sources", str(sources), "--warehouse", str(warehouse), "--only", "boundaries", "edgar_co2",
               "pm25", "ntl", "dem") == 0
    return warehouse


def _edgar(grids, sources: Path, layout: str, year: int) -> list[Path]:
    grid, tonnes = grids["edgar"]
    folder = sources / "edgar_co2"
    folder.mkdir(parents=True, exist_ok=True)
    return [write_edgar_file(layout, folder, grid, tonnes[year], year)]


def _pm25(grids, sources: Path, layout: str, year: int) -> list[Path]:
    grid, cells, planted = grids["pm25"]
    data, means = planted[year]
    folder = sources / "pm25"
    folder.mkdir(parents=True, exist_ok=True)
    return [write_pm25_file(layout, folder, grid, data, year, cells, means)]


def _ntl(grids, sources: Path, plan: NtlFile, year: int, rng) -> list[Path]:
    grid, lights = grids["ntl"]
    folder = sources / "ntl"
    folder.mkdir(parents=True, exist_ok=True)
    return write_ntl_files(plan, folder, grid, lights[year], year, rng)


def elevation(grid) -> np.ndarray:
    """A known elevation surface (metres) on ``grid``: smooth relief, whole metres, voids east of 120.5 E."""
    lon, lat = grid.lons()[None, :], grid.lats_north_up()[:, None]
    metres = np.round(800 + 600 * np.sin(lon * 1.7) * np.cos(lat * 2.3) + 40 * (lon - 110))
    return np.where(lon > 120.5, np.nan, metres)


def _dem_tiles(world, sources: Path) -> tuple:
    grid = tile_grid(world.grid(0.05))
    metres = elevation(grid)
    folder = sources / "dem"
    folder.mkdir(parents=True, exist_ok=True)
    return write_srtm_tiles(folder, grid, metres), grid, metres


# ------------------------------------------------------------------------------------------ the loading
def ingest_one(base: Path, tmp_path: Path, source: str, write) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Write one layout's files with ``write(sources)``, ingest them through the CLI into a copy of
    ``base``; returns the source's rows of raw.raster_zonal (or raw.city_boundaries) and its manifest."""
    sources = tmp_path / "sources"
    write(sources)
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(base, warehouse)
    assert cli("--sources", str(sources), "--only", source, "--warehouse", str(warehouse), "--force") == 0
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        table = "city_boundaries" if source == "boundaries" else "raster_zonal"
        rows = con.execute(f"select * from raw.{table}" + (" where source = ?" if table == "raster_zonal" else ""),
                           [source] if table == "raster_zonal" else []).df()
        loads = con.execute("select file, rows, layout from raw._loads where source = ? and started = "
                            "(select max(started) from raw._loads where source = ?)", [source, source]).df()
    finally:
        con.close()
    loads["layout"] = loads["layout"].map(json.loads)
    return rows, loads


def rel_error(rows: pd.DataFrame, panel: pd.DataFrame, year: int, column: str) -> float:
    got = rows[rows["year"] == year].merge(panel[panel["year"] == year], on=["adcode", "year"], validate="1:1")
    assert len(got) == 20
    return float((got["value"] / got[column] - 1).abs().max())


LAYOUT_CASES = {  # id: (source, write(grids, sources), year, panel column, tolerance, facts the manifest records)
    # 2016 and 2020 are leap years: a flux file of 2016 has 366 days of seconds
    "edgar-v8-emi": ("edgar_co2", lambda g, s: _edgar(g, s, "v8_emi", 2015), 2015, "co2_t", NO_CONVERSION,
                     {"layout": "v8_emi", "conversion": "none (tonnes per cell)", "release": "EDGAR 2024 (v8 layout)"}),
    "edgar-v8-flx": ("edgar_co2", lambda g, s: _edgar(g, s, "v8_flx", 2016), 2016, "co2_t", CONVERSION,
                     {"layout": "v8_flx", "conversion": "cell area on the WGS84 ellipsoid x seconds of the year"}),
    "edgar-v6-0-360": ("edgar_co2", lambda g, s: _edgar(g, s, "v6_flux", 2013), 2013, "co2_t", CONVERSION,
                       {"layout": "v6_flux", "conversion": "longitudes 0..360 read as -180..180",
                        "release": "EDGAR v6.0", "variable": "emi_co2"}),
    "edgar-text": ("edgar_co2", lambda g, s: _edgar(g, s, "text", 2020), 2020, "co2_t", NO_CONVERSION,
                   {"layout": "text", "conversion": "lower-left cell corners, shifted by half a cell",
                    "release": "EDGAR v8.0 (FT2022)"}),
    "pm25-acag-v5": ("pm25", lambda g, s: _pm25(g, s, "acag_v5", 2013), 2013, "pm25_ugm3", NO_CONVERSION,
                     {"layout": "acag_v5", "latitude": "south to north", "release": "ACAG V5.GL.02", "statistic": "mean"}),
    "pm25-acag-v6": ("pm25", lambda g, s: _pm25(g, s, "acag_v6", 2014), 2014, "pm25_ugm3", NO_CONVERSION,
                     {"layout": "acag_v6", "latitude": "north to south", "release": "ACAG V6.GL.02.04", "period": "annual"}),
    "pm25-chap": ("pm25", lambda g, s: _pm25(g, s, "chap", 2017), 2017, "pm25_ugm3", CONVERSION,
                  {"layout": "chap", "latitude": "north to south", "conversion": "uint16 x scale_factor 0.01",
                   "release": "ChinaHighPM2.5 V4"}),
}


@pytest.mark.parametrize("case", list(LAYOUT_CASES))
def test_layout_values_come_back(case, base, grids, panel, tmp_path):
    source, write, year, column, tolerance, facts = LAYOUT_CASES[case]
    rows, loads = ingest_one(base, tmp_path, source, lambda s: write(grids, s))
    assert rel_error(rows, panel, year, column) <= tolerance
    assert rows[rows.year == 2012].empty  # the source's rows were replaced, not added to
    (record,) = loads["layout"]
    for key, words in facts.items():
        assert words in str(record[key]), (key, record)
    if source == "edgar_co2":
        assert (record["substance"], record["sector"], record["canonical_unit"]) == ("CO2", "TOTALS", "t")
    if case == "pm25-chap":
        assert "_FillValue 65535" in record["conversion"]
        with netCDF4.Dataset(next((tmp_path / "sources" / "pm25").iterdir())) as ds:
            assert ds["PM2.5"].dtype == np.uint16 and ds["lat"][0] > ds["lat"][-1]


def test_edgar_text_grid_with_cell_centres_reads_the_same(base, grids, panel, tmp_path):
    """Re-exports that list centres (x.x5) instead of the published lower-left corners are recognised."""
    def write(sources):
        (path,) = _edgar(grids, sources, "text", 2021)
        lines = path.read_text(encoding="utf-8").splitlines()
        head = next(i for i, line in enumerate(lines) if line.startswith("lat;lon")) + 1
        shifted = [f"{float(a) + 0.05:.2f};{float(b) + 0.05:.2f};{v}" for a, b, v in (ln.split(";") for ln in lines[head:])]
        path.write_text("\n".join(lines[:head] + shifted) + "\n", encoding="utf-8")
    rows, loads = ingest_one(base, tmp_path, "edgar_co2", write)
    assert rel_error(rows, panel, 2021, "co2_t") <= NO_CONVERSION
    assert loads["layout"][0]["coordinates"] == "cell centres"


def test_corner_coordinates_are_shifted_by_half_a_cell(grids, tmp_path, world):
    """Read as centres, a corner file puts every cell 0.05 degree south-west: the city sums move."""
    from ingestion.sources._raster import TextRead, read_edgar_text
    from ingestion.zonal import BandRef, Grid

    (path,) = _edgar(grids, tmp_path, "text", 2020)
    rec = edgar_co2.recognise(path, "edgar_co2/" + path.name)
    assert rec.corners
    grid, by_year = grids["edgar"]
    tonnes = by_year[2020]
    window = Grid("", grid.west, grid.north, grid.res, grid.res, grid.width, grid.height)
    band = BandRef(str(path), path.name, 1, 2020, "co2", read_edgar_text, options=(TextRead(rec.header_lines, True),))
    (values,) = read_edgar_text(band, [(0, window)])
    np.testing.assert_allclose(values.reshape(tonnes.shape), np.where(tonnes > 0, tonnes, 0), rtol=1e-7)
    as_centres = BandRef(str(path), path.name, 1, 2020, "co2", read_edgar_text,
                         options=(TextRead(rec.header_lines, False),))
    with pytest.raises(Exception, match="not the centre of a 0.1-degree cell"):
        next(read_edgar_text(as_centres, [(0, window)]))


NTL_CASES = [  # plan, year, release, the files expected in the manifest (used, skipped)
    (NtlFile("vnl_v21_2012", gz=True, siblings=("cf_cvg",)), 2012, "VNL v2.1", (1, 1)),
    (NtlFile("vnl_v21", siblings=("lit_mask", "median_masked")), 2016, "VNL v2.1", (1, 2)),
    (NtlFile("vnl_v21", gz=True), 2019, "VNL v2.1", (1, 0)),
    (NtlFile("vnl_v22", gz=True, siblings=("cf_cvg",)), 2020, "VNL v2.2", (1, 1)),
    (NtlFile("vnl_v22", gz=True, names_from_2023=True, stamp="202402081600"), 2021, "VNL v2.2", (1, 0)),
]


@pytest.mark.parametrize("plan, year, release, files", NTL_CASES)
def test_ntl_layouts(plan, year, release, files, base, grids, panel, tmp_path):
    rows, loads = ingest_one(base, tmp_path, "ntl", lambda s: _ntl(grids, s, plan, year, np.random.default_rng(2)))
    assert rel_error(rows, panel, year, "ntl_nw") <= NO_CONVERSION
    used = loads[loads["layout"].map(lambda r: r.get("used", True))]
    skipped = loads[~loads.index.isin(used.index)]
    assert (len(used), len(skipped)) == files
    (record,) = used["layout"]
    assert record["layer"] == "average_masked" and record["release"] == release and record["layout"] == plan.layout
    assert ("/vsigzip/" in record["conversion"]) == plan.gz and used["file"].iloc[0].endswith(
        ".tif.gz" if plan.gz else ".tif")
    assert all(r["why"].startswith("layer ") for r in skipped["layout"]) and (skipped["rows"] == 0).all()


def exact_relief(metres: np.ndarray, grid_bounds, crs_wkt: str, polygons) -> pd.DataFrame:
    """exactextract's own stdev / min / max over the known array (not through our reader)."""
    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource

    raster = NumPyRasterSource(np.where(np.isnan(metres), -32768, metres), *grid_bounds, nodata=-32768,
                               srs_wkt=crs_wkt)
    return exact_extract(raster, polygons, ["stdev", "min", "max"], output="pandas")


def check_relief(rows: pd.DataFrame, theirs: pd.DataFrame, world) -> None:
    wide = rows.pivot(index="adcode", columns="stat", values="value").loc[list(world.cities["adcode"])]
    np.testing.assert_allclose(wide["std"], theirs["stdev"], rtol=NO_CONVERSION)
    np.testing.assert_allclose(wide["range"], theirs["max"] - theirs["min"], rtol=NO_CONVERSION)


def test_dem_srtm_tiles_mosaicked(base, world, tmp_path):
    written = {}

    def write(sources):
        written["files"], written["grid"], written["metres"] = _dem_tiles(world, sources)
    rows, loads = ingest_one(base, tmp_path, "dem", write)
    grid, metres = written["grid"], written["metres"]
    from pyproj import CRS

    theirs = exact_relief(metres, (grid.west, grid.south, grid.east, grid.north), CRS.from_epsg(4326).to_wkt(),
                          world.cities[["geometry"]])
    check_relief(rows, theirs, world)
    assert len(written["files"]) >= 4 and set(loads["file"]) == {f"dem/{p.name}" for p in written["files"]}
    assert all("GDAL VRT" in r["mosaic"] and r["layout"] == "srtm_tiles" for r in loads["layout"])
    assert rows["source_file"].str.contains(r"dem/srtm_\d\d_\d\d\.tif\+srtm_\d\d_\d\d\.tif").any()


def test_a_bad_cell_in_a_mosaic_names_its_tile(base, world, tmp_path, capfd):
    """Errors at a cell of the mosaic (here an impossible elevation) name the tile that holds the cell."""
    import rasterio

    sources = tmp_path / "sources"
    files, grid, metres = _dem_tiles(world, sources)
    victim = sources / "dem" / "srtm_60_06.tif"
    with rasterio.open(victim, "r+") as ds:
        values = ds.read(1)
        values[10, 10] = -9000
        ds.write(values, 1)
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(base, warehouse)
    capfd.readouterr()
    assert cli("--sources", str(sources), "--only", "dem", "--warehouse", str(warehouse)) == 2
    err = capfd.readouterr().err
    assert "dem/srtm_60_06.tif: band 1, cell at lat 34.4750, lon 115.5250: elevation -9000.0" in err, err
    assert filecmp.cmp(base, warehouse, shallow=False)


def test_dem_written_a_row_of_tiles_at_a_time_is_the_whole_surface():
    """The sample DEM is computed one row of 5-degree tiles at a time (so SRTM's 3 arc-seconds fit in
    memory); its noise is drawn row band after row band: the same numbers as the whole grid at once."""
    from ingestion.sample.rasters import _dem_surface

    default = build_world("default")
    grid = tile_grid(default.grid(default.spec.dem_res))
    whole = _dem_surface(default, grid, np.random.default_rng(4))(0, grid.height)
    surface = _dem_surface(default, grid, np.random.default_rng(4))
    per_tile = int(round(5.0 / grid.res))
    rows = [surface(r0, min(r0 + per_tile, grid.height)) for r0 in range(0, grid.height, per_tile)]
    assert len(rows) > 1
    np.testing.assert_array_equal(np.vstack(rows), whole)


def test_dem_one_file_in_albers_equal_area(base, world, tmp_path):
    """A 1 km DEM in China Albers equal-area: the city polygons are reprojected to its CRS."""
    import rasterio
    from rasterio.transform import from_origin

    from ingestion.sample.geography import CHINA_ALBERS

    albers = world.cities.to_crs(CHINA_ALBERS)
    w, s, e, n = albers.total_bounds
    west, north = np.floor(w / 1000) * 1000 - 5000, np.ceil(n / 1000) * 1000 + 5000
    width, height = int((e - west) / 1000) + 6, int((north - s) / 1000) + 6
    x = west + (np.arange(width) + 0.5) * 1000
    y = north - (np.arange(height) + 0.5) * 1000
    metres = np.round(500 + 300 * np.sin(x[None, :] / 37000.0) + 200 * np.cos(y[:, None] / 23000.0))
    crs_wkt = rasterio.crs.CRS.from_proj4(CHINA_ALBERS).to_wkt()

    def write(sources):
        (sources / "dem").mkdir(parents=True)
        with rasterio.open(sources / "dem" / "china_dem_albers_1km.tif", "w", driver="GTiff", width=width,
                           height=height, count=1, dtype="int16", crs=crs_wkt, nodata=-32768,
                           transform=from_origin(west, north, 1000, 1000)) as ds:
            ds.write(metres.astype(np.int16), 1)
    rows, loads = ingest_one(base, tmp_path, "dem", write)
    theirs = exact_relief(metres, (west, north - height * 1000, west + width * 1000, north), crs_wkt,
                          albers[["geometry"]])
    check_relief(rows, theirs, world)
    assert loads["layout"][0]["layout"] == "single"


def test_boundaries_datav_geojson(base, world, tmp_path):
    """DataV/AMap files as the default world writes them (a {province}_full.json per province, a
    {municipality}.json at province level): integer adcodes, no province field; the municipalities
    (110000 ...) are stored under their city codes (110100 ...)."""
    cities = world.cities

    def write(sources):
        (sources / "boundaries").mkdir(parents=True)
        files = write_datav(cities, sources / "boundaries")
        names = {p.name for p in files}
        assert {"110000.json", "310000.json", "500000.json", "130000_full.json"} <= names
        assert json.loads((sources / "boundaries" / "110000.json").read_text())["features"][0]["properties"][
            "adcode"] == 110000
    rows, loads = ingest_one(base, tmp_path, "boundaries", write)
    got = rows.set_index("adcode").loc[list(cities["adcode"])]
    assert list(got["name_zh"]) == list(cities["name_zh"]) and "110000" not in rows["adcode"].to_numpy()
    areas = cities.to_crs(ALBERS).area.to_numpy() / 1e6
    np.testing.assert_allclose(got["area_km2"], areas, rtol=1e-5)  # coordinates rounded to 1e-6 degree
    assert set(loads["layout"].map(lambda r: r["layout"])) == {"datav"}


def test_stored_boundaries_are_valid_polygons(base, world, tmp_path):
    """A self-intersecting polygon (a bow tie) in the file is stored repaired: the raster loaders take
    raw.city_boundaries as valid (LoadContext.cities) and do not repair the polygons again."""
    import shapely
    from shapely.geometry import Polygon

    cities = world.cities.copy()
    w, s, e, n = cities.geometry.iloc[3].bounds
    cities.loc[cities.index[3], "geometry"] = Polygon([(w, s), (e, n), (e, s), (w, n)])
    assert not cities.geometry.iloc[3].is_valid

    def write(sources):
        (sources / "boundaries").mkdir(parents=True)
        write_datav(cities, sources / "boundaries")
    rows, _ = ingest_one(base, tmp_path, "boundaries", write)
    stored = shapely.from_wkb(rows["geometry_wkb"].map(bytes).to_numpy())
    assert shapely.is_valid(stored).all() and len(stored) == len(cities)
    bow = stored[rows["adcode"].to_numpy() == cities["adcode"].iloc[3]][0]
    assert bow.area == pytest.approx((e - w) * (n - s) / 2, rel=1e-4)  # the two triangles, not a sliver


def test_boundaries_gbk_shapefile_without_cpg(base, world, tmp_path):
    """The tiny world's own boundaries: a GBK .dbf with no .cpg (and a UTM GeoJSON) give the real names."""
    rows, loads = ingest_one(base, tmp_path, "boundaries", lambda s: write_boundaries(world, s))
    assert sorted(rows["name_zh"]) == sorted(world.cities["name_zh"])
    shp = loads[loads["file"].str.endswith(".shp")]["layout"].iloc[0]
    assert shp["encoding"].startswith("GB18030 (detected") and shp["format"] == "ESRI Shapefile"
    companions = loads[~loads["file"].str.endswith((".shp", ".geojson"))]
    assert len(companions) == 3 and not any(r.get("used", True) for r in companions["layout"])


# ----------------------------------------------------------------------------------- wrong quantities
def _rename(paths: list[Path], old: str, new: str) -> None:
    for p in paths:
        p.rename(p.with_name(p.name.replace(old, new)))


def _set_attr(paths: list[Path], variable: str, **attrs) -> None:
    with netCDF4.Dataset(paths[0], "a") as ds:
        ds[variable].setncatts(attrs)


def _edgar_wrong(layout, year, old, new, **attrs):
    def write(grids, sources):
        files = _edgar(grids, sources, layout, year)
        if attrs:
            _set_attr(files, {"v8_emi": "emissions", "v8_flx": "fluxes", "v6_flux": "emi_co2"}[layout], **attrs)
        _rename(files, old, new)
    return write


def _pm25_wrong(layout, year, old=None, new=None, **attrs):
    def write(grids, sources):
        files = _pm25(grids, sources, layout, year)
        if attrs:
            _set_attr(files, pm25.VARIABLES[layout], **attrs)
        if old:
            _rename(files, old, new)
    return write


def _ntl_only(layer: str, gz: bool = True):
    def write(grids, sources):
        files = _ntl(grids, sources, NtlFile("vnl_v21", gz=gz, siblings=(layer,)), 2015, np.random.default_rng(3))
        files[0].unlink()  # the year's average_masked file is not in the folder
    return write


WRONG = {  # id: (source, write(grids, sources), words found, words expected)
    "edgar-co2bio-emi": ("edgar_co2", _edgar_wrong("v8_emi", 2015, "_CO2_", "_CO2bio_", substance="CO2bio"),
                         "substance CO2bio (biogenic CO2", "substance CO2 (fossil CO2)"),
    "edgar-ch4-flx": ("edgar_co2", _edgar_wrong("v8_flx", 2016, "_CO2_", "_CH4_", substance="CH4"),
                      "substance CH4 (methane)", "substance CO2 (fossil CO2)"),
    "edgar-v6-biogenic": ("edgar_co2", _edgar_wrong("v6_flux", 2013, "CO2_excl_short-cycle_org_C", "CO2_org_short-cycle_C"),
                          "substance CO2bio (biogenic CO2", "substance CO2 (fossil CO2)"),
    "edgar-ene-text": ("edgar_co2", _edgar_wrong("text", 2020, "_TOTALS", "_ENE"), "sector ENE (the ENE sector only)",
                       "sector TOTALS (all sectors)"),
    "edgar-ind-emi": ("edgar_co2", _edgar_wrong("v8_emi", 2015, "_TOTALS", "_IND"), "sector IND", "sector TOTALS"),
    "pm25-standard-deviation": ("pm25", _pm25_wrong("acag_v5", 2013, long_name="Standard deviation of GWR PM2.5"),
                                "statistic standard deviation", "statistic mean (mean concentration)"),
    "pm25-count": ("pm25", _pm25_wrong("acag_v6", 2014, cell_methods="time: count"), "statistic count",
                   "statistic mean"),
    "pm25-chap-daily": ("pm25", _pm25_wrong("chap", 2017, "_Y1K_2017", "_D1K_20170315"), "period daily",
                        "period annual (annual mean)"),
    "pm25-chap-monthly": ("pm25", _pm25_wrong("chap", 2017, "_Y1K_2017", "_M1K_201703"), "period monthly",
                          "period annual"),
    "ntl-cf-cvg": ("ntl", _ntl_only("cf_cvg"), "layer cf_cvg (cloud-free coverage: a count of observations",
                   "layer average_masked"),
    "ntl-lit-mask": ("ntl", _ntl_only("lit_mask", gz=False), "layer lit_mask", "layer average_masked"),
    "ntl-median": ("ntl", _ntl_only("median_masked"), "layer median_masked (median radiance", "layer average_masked"),
}


@pytest.mark.parametrize("case", sorted(WRONG))
def test_wrong_quantity_is_refused_and_the_warehouse_unchanged(case, base, grids, tmp_path, capfd):
    source, write, found, expected = WRONG[case]
    sources = tmp_path / "sources"
    write(grids, sources)
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(base, warehouse)
    before = warehouse_snapshot(warehouse)
    capfd.readouterr()
    code = cli("--sources", str(sources), "--only", source, "--warehouse", str(warehouse), "--force")
    err = capfd.readouterr().err.splitlines()
    assert code == 2 and len(err) == 1, err
    assert found in err[0] and f"where {expected}" in err[0] and "How to fix" in err[0], err[0]
    assert filecmp.cmp(base, warehouse, shallow=False) and warehouse_snapshot(warehouse) == before


def test_another_radiance_layer_when_asked(base, grids, panel, tmp_path, monkeypatch, capfd):
    """DUALCARBON_NTL_LAYER=median_masked sums the median layer (here 0.93 x the planted mean) and skips
    average_masked beside it; an unknown layer is one line, exit code 1."""
    monkeypatch.setenv("DUALCARBON_NTL_LAYER", "median_masked")
    rows, loads = ingest_one(base, tmp_path, "ntl", lambda s: _ntl(grids, s, NtlFile("vnl_v21", gz=True,
                                                                                   siblings=("median_masked",)),
                                                                  2016, np.random.default_rng(4)))
    got = rows.merge(panel[panel.year == 2016], on=["adcode", "year"])
    np.testing.assert_allclose(got["value"], 0.93 * got["ntl_nw"], rtol=NO_CONVERSION)
    used = loads[loads["layout"].map(lambda r: r.get("used", True))]
    assert list(used["layout"].map(lambda r: r["layer"])) == ["median_masked"]
    monkeypatch.setenv("DUALCARBON_NTL_LAYER", "cf_cvg")
    shutil.copy(base, tmp_path / "w.duckdb")
    capfd.readouterr()
    assert cli("--sources", str(tmp_path / "sources"), "--only", "ntl", "--warehouse", str(tmp_path / "w.duckdb")) == 1
    err = capfd.readouterr().err.splitlines()
    assert len(err) == 1 and "DUALCARBON_NTL_LAYER='cf_cvg': use one of average_masked" in err[0]


def test_district_boundaries_are_refused(base, world, tmp_path, capfd):
    sources = tmp_path / "sources" / "boundaries"
    sources.mkdir(parents=True)
    features = datav_features(world.cities.iloc[:3], "110000")
    for f in features[1:]:  # county-level units beside a city: one level per load (the county world's files
        f["properties"]["level"] = "district"  # are all district-level, test_county.py)
    (sources / "110000_full.json").write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(base, warehouse)
    capfd.readouterr()
    assert cli("--sources", str(sources.parent), "--only", "boundaries", "--warehouse", str(warehouse)) == 2
    err = capfd.readouterr().err
    assert "holds district-level units" in err and "prefecture-level cities (level 'city') are expected" in err
    assert filecmp.cmp(base, warehouse, shallow=False)


def test_a_manifest_from_before_the_layout_column_gains_it(tmp_path):
    """Warehouses written before ``raw._loads.layout`` (and ``inputs``) existed get the columns (NULL for old rows)."""
    from ingestion.warehouse import MANIFEST_COLUMNS, ensure_raw_schema

    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    try:
        con.execute("create schema raw")
        old = {k: v for k, v in MANIFEST_COLUMNS.items() if k not in ("layout", "inputs")}
        con.execute("create table raw._loads (" + ", ".join(f"{k} {v}" for k, v in old.items()) + ")")
        con.execute("insert into raw._loads values ('pm25', 'pm25/a.nc', 'x', 20, '1', now(), now(), 'loaded')")
        ensure_raw_schema(con)
        assert con.execute("select layout, inputs from raw._loads").fetchall() == [(None, None)]
        columns = [r[0] for r in con.execute("describe raw._loads").fetchall()]
        assert columns == list(MANIFEST_COLUMNS)
    finally:
        con.close()


# --------------------------------------------------------------------------------------------- physics
def test_cell_areas_sum_to_the_ellipsoid_and_match_geodesics():
    from pyproj import Geod

    areas = geodesy.row_areas_m2(90.0, 0.1, 1800, 0.1) * 3600
    assert areas.sum() == pytest.approx(5.10065621724e14, rel=1e-12)  # WGS84 surface area
    geod = Geod(ellps="WGS84")
    for lat in (0.0, 31.2, 53.5):
        reference, _ = geod.polygon_area_perimeter([116, 116.1, 116.1, 116], [lat, lat, lat + 0.1, lat + 0.1])
        assert geodesy.cell_area_m2(lat, lat + 0.1, 0.1) == pytest.approx(abs(reference), rel=1e-6)
    sphere = 6371000.0 ** 2 * np.radians(0.1) * (np.sin(np.radians(40.1)) - np.sin(np.radians(40.0)))
    assert abs(geodesy.cell_area_m2(40.0, 40.1, 0.1) / sphere - 1) > 1e-3  # the ellipsoid matters


def test_seconds_of_the_year_count_leap_days():
    assert geodesy.seconds_in_year(2019) == 365 * 86400 and geodesy.seconds_in_year(2020) == 366 * 86400
    assert geodesy.seconds_in_year(2000) == 366 * 86400 and geodesy.seconds_in_year(1900) == 365 * 86400
    area = geodesy.cell_area_m2(30.0, 30.1, 0.1)
    flux = geodesy.tonnes_to_flux(1234.5, area, 2016)
    assert geodesy.flux_to_tonnes(flux, area, 2016) == pytest.approx(1234.5, rel=1e-15)
    assert geodesy.flux_to_tonnes(flux, area, 2015) == pytest.approx(1234.5 * 365 / 366, rel=1e-15)


def test_longitudes_0_to_360_are_read_as_minus_180_to_180(tmp_path):
    """A global 0..360 grid under polygons west of Greenwich and across it: rotated, not misplaced."""
    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource
    from pyproj import CRS
    from shapely.geometry import box

    from ingestion.sources._raster import inspect_file
    from ingestion.zonal import zonal_stats

    lat = np.arange(-89.95, 90, 0.1)[:1800]
    lon = (np.arange(3600) + 0.5) * 0.1
    rng = np.random.default_rng(0)
    flux = rng.uniform(1e-10, 1e-9, size=(1800, 3600)).astype(np.float32)  # ascending latitude, 0..360
    path = tmp_path / "edgar_co2" / "v6.0_CO2_excl_short-cycle_org_C_2012_TOTALS.0.1x0.1.nc"
    path.parent.mkdir()
    with netCDF4.Dataset(path, "w") as ds:
        ds.createDimension("lat", 1800)
        ds.createDimension("lon", 3600)
        ds.createVariable("lat", "f8", ("lat",)).setncatts({"units": "degrees_north"})
        ds.createVariable("lon", "f8", ("lon",)).setncatts({"units": "degrees_east"})
        ds["lat"][:], ds["lon"][:] = lat, lon
        ds.createVariable("emi_co2", "f4", ("lat", "lon")).setncatts({"units": "kg m-2 s-1"})
        ds["emi_co2"][:] = flux
    zones = [box(-3.02, 51.01, 2.53, 52.97), box(-75.3, 40.1, -73.2, 41.45), box(178.1, -18.9, 179.9, -16.2)]
    wkb = tuple(shapely.to_wkb(zones))
    bands = inspect_file(path, edgar_co2.PRODUCT, wkb)
    assert bands[0][1].west < 0  # canonical longitudes
    ours = zonal_stats(bands, wkb, ("sum",)).values[0, 0]
    # the same tonnes on a -180..180 array, summed by exactextract
    tonnes = geodesy.flux_to_tonnes(flux[::-1].astype(np.float64),
                                    geodesy.row_areas_m2(90.0, 0.1, 1800, 0.1)[:, None], 2012)
    west_first = np.roll(tonnes, 1800, axis=1)
    raster = NumPyRasterSource(west_first, -180, -90, 180, 90, srs_wkt=CRS.from_epsg(4326).to_wkt())
    theirs = exact_extract(raster, [{"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(z)}
                                    for z in zones], ["sum"], output="pandas")["sum"].to_numpy()
    np.testing.assert_allclose(ours, theirs, rtol=EXACTEXTRACT_RTOL)


# ----------------------------------------------------------------------------------------- the sample
def test_default_world_writes_every_layout_across_its_years():
    years = range(2003, 2024)  # the default world's years
    for product, module in (("edgar_co2", edgar_co2), ("pm25", pm25), ("ntl", ntl)):
        assert planned_layouts(product, years) == set(module.LAYOUTS), product
    from ingestion.sample.rasters import LAYOUT_PLAN, planned

    plans = [planned("ntl", y) for y in range(2012, 2024)]
    assert any(p.gz for p in plans) and any(not p.gz for p in plans)
    assert {"cf_cvg"} <= {s for p in plans for s in p.siblings} and any(p.names_from_2023 for p in plans)
    assert planned("ntl", 2012).layout == "vnl_v21_2012" and LAYOUT_PLAN  # the 2012 (201204-201212) name
    assert set(dem.LAYOUTS) == {"srtm_tiles", "single"} and "datav" in boundaries.LAYOUTS
