"""The four raster sources on the tiny world: the planted city values come back from every layout the
writer uses, the writer is deterministic, every kind of bad input is rejected with one clear error, and
a failed load through ``ingestion.load.load_source`` leaves the warehouse as it was."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import netCDF4
import numpy as np
import pytest
import rasterio

from ingestion import registry
from ingestion.errors import IngestError
from ingestion.load import load_source
from ingestion.sample.geography import WORLDS, build_world
from ingestion.sample.rasters import planned_layouts, write_rasters
from ingestion.sources import dem, edgar_co2, ntl, pm25
from ingestion.sources._raster import RASTER_ZONAL
from ingestion.sources.base import LoadContext
from ingestion.warehouse import ensure_raw_schema
from tests.ingestion._rasters import city_table, fake_panel

SEED = 5
SOURCES = {"edgar_co2": edgar_co2, "pm25": pm25, "ntl": ntl, "dem": dem}


@pytest.fixture(scope="module")
def world():
    return build_world("tiny")


@pytest.fixture(scope="module")
def panel(world):
    return fake_panel(world)


@pytest.fixture(scope="module")
def root(world, panel, tmp_path_factory) -> Path:
    """The written rasters (read-only: tests that break files copy them first)."""
    out = tmp_path_factory.mktemp("raster_sources")
    write_rasters(world, panel, out, seed=SEED)
    return out


@pytest.fixture(scope="module")
def ctx(world):
    return LoadContext(cities=city_table(world), progress=False)


def read(name: str, root: Path, ctx: LoadContext):
    source = SOURCES[name].SOURCE
    return source.read(source.find_files(root), ctx)["raster_zonal"]


@pytest.fixture(scope="module")
def loaded(root, ctx):
    return {name: read(name, root, ctx) for name in SOURCES}


def copy_source(root: Path, name: str, tmp_path: Path, keep: int | None = 2, pattern: str = "*") -> Path:
    """A fresh sources folder holding (the first ``keep``) files of one product matching ``pattern``;
    returns that product folder."""
    folder = tmp_path / "sources" / name
    folder.mkdir(parents=True)
    for path in sorted((root / name).glob(pattern))[:keep]:
        shutil.copy(path, folder / path.name)
    return folder


PLAIN_LIGHTS = "*average_masked.dat.tif"  # VNL years served as plain GeoTIFF (rasterio can rewrite them)
V6_PM25 = "V6GL02*.nc"  # ACAG V6 files (variable PM25)
YEARS = WORLDS["tiny"].years  # 2010-2021
V8_EMI = "*_TOTALS_emi.nc"  # EDGAR v8 files in tonnes (variable emissions)


def rejects(name: str, folder: Path, ctx: LoadContext, *fragments: str) -> IngestError:
    with pytest.raises(IngestError) as info:
        read(name, folder.parent, ctx)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    assert "How to fix" in message
    return info.value


# ------------------------------------------------------------------------------------ recovery
def test_sources_are_registered_and_share_one_contract():
    for name, module in SOURCES.items():
        assert name in registry.SOURCE_MODULES
        assert registry.get(name) is module.SOURCE
        assert module.SOURCE.contracts == (RASTER_ZONAL,)
    assert RASTER_ZONAL.shared and RASTER_ZONAL.key == ("source", "variable", "adcode", "year", "stat")


def test_co2_sum_recovers_planted_city_totals(loaded, panel):
    """Tolerance 1e-5 relative. The writer plants each total exactly (whole cells rescaled against the
    exact coverage), so only storage rounding remains: float32 in the NetCDF (relative 6e-8 per cell)
    and 6 significant digits in the .txt (5e-7 per cell); 1e-5 leaves 20x headroom over the latter."""
    frame = loaded["edgar_co2"]
    assert set(frame.stat) == {"sum"} and set(frame.variable) == {"co2"}
    merged = frame.merge(panel, on=["adcode", "year"], validate="one_to_one")
    assert len(merged) == 20 * 12
    rel = (merged["value"] / merged["co2_t"] - 1).abs()
    assert rel.max() < 1e-5, merged.loc[rel.idxmax()]
    # every EDGAR layout the writer uses for the tiny world's years was read: v8 fluxes (2010, 2013-2014), v8
    # tonnes (2011, 2015-2019), v6 fluxes on 0..360 (2012), the text grid with corner coordinates (2020-2021)
    assert planned_layouts("edgar_co2", YEARS) == {"v6_flux", "v8_flx", "v8_emi", "text"}
    by_format = merged.groupby(merged["source_file"].str.extract(r"(\.txt|_flx\.nc|_emi\.nc|0\.1x0\.1\.nc)$",
                                                                 expand=False))["year"].agg(["min", "max"])
    assert by_format.to_dict("index") == {".txt": {"min": 2020, "max": 2021}, "_flx.nc": {"min": 2010, "max": 2014},
                                          "_emi.nc": {"min": 2011, "max": 2019},
                                          "0.1x0.1.nc": {"min": 2012, "max": 2012}}


@pytest.mark.parametrize("name, column", [("pm25", "pm25_ugm3"), ("ntl", "ntl_nw")])
def test_means_recover_planted_city_means(loaded, panel, name, column):
    """Tolerance 1e-6 relative: the planted coverage-weighted means are exact; float32 storage of the
    cells (6e-8 relative) is all that separates them, even next to neighbours 10x brighter."""
    merged = loaded[name].merge(panel, on=["adcode", "year"], validate="one_to_one")
    # the tiny world's 12 years 2010-2021; VIIRS lights begin in 2012
    assert len(merged) == 20 * (12 if name == "pm25" else 10) and set(merged["stat"]) == {"mean"}
    rel = (merged["value"] / merged[column] - 1).abs()
    assert rel.max() < 1e-6
    # PM2.5 through ACAG V6 north to south (2010-2011, 2014-2016), V5 (2012-2013) and CHAP uint16 (2017-2021);
    # lights through plain and gzipped GeoTIFFs with sibling layers beside them
    expected = {"pm25": {"acag_v5", "acag_v6", "chap"}, "ntl": {"vnl_v21_2012", "vnl_v21"}}[name]
    assert planned_layouts(name, YEARS) == expected


def test_coverage_is_a_share_and_files_are_labelled(loaded):
    for name, frame in loaded.items():
        assert ((frame["coverage"] > 0) & (frame["coverage"] <= 1)).all(), name
        assert frame["coverage"].min() > 0.99  # tiny world: the rasters cover every city in full
        assert frame["source_file"].str.startswith(f"{name}/").all()
        RASTER_ZONAL.validate(frame, file=name)  # contract types, ranges and key


def test_dem_relief_is_static_with_std_and_range(loaded):
    frame = loaded["dem"]
    assert set(frame["year"]) == {0} and set(frame["stat"]) == {"std", "range"}
    wide = frame.pivot(index="adcode", columns="stat", values="value")
    assert len(wide) == 20 and (wide["std"] > 0).all() and (wide["range"] > 2 * wide["std"]).all()


def test_tiny_world_years_and_rows(loaded):
    assert sorted(loaded["ntl"]["year"].unique()) == list(range(2012, 2022))
    assert len(loaded["dem"]) == 40


# --------------------------------------------------------------------------------- determinism
def digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_writer_is_deterministic(world, panel, root, tmp_path):
    again = tmp_path / "again"
    write_rasters(world, panel, again, seed=SEED)
    assert digest(again) == digest(root)
    other = tmp_path / "other"
    write_rasters(world, panel, other, seed=SEED + 1)
    changed = [k for k, v in digest(other).items() if digest(root)[k] != v]
    assert any(k.startswith("dem/srtm_") for k in changed) and len(changed) > 20


@pytest.mark.parametrize("product", sorted(SOURCES))
def test_a_product_written_alone_is_byte_identical(world, panel, root, tmp_path, product):
    """Each product draws from its own stream: writing it alone (no other product's draws before it)
    gives the very files it gets when all four are written, and nothing else."""
    alone = tmp_path / product
    files = write_rasters(world, panel, alone, seed=SEED, products=(product,))
    assert sorted(p.name for p in alone.iterdir()) == [product]
    assert files and digest(alone) == {k: v for k, v in digest(root).items() if k.startswith(f"{product}/")}


def test_lights_are_planted_one_year_at_a_time(world, panel, monkeypatch):
    """The full world's lights grid has 107 million cells a year: planting all years before writing any
    held them all in memory at once."""
    from ingestion.sample import rasters

    planted = []
    spread = rasters._spread_means
    monkeypatch.setattr(rasters, "_spread_means", lambda *a, **k: planted.append(1) or spread(*a, **k))
    _, years = rasters.planted_ntl(world, panel.assign(adcode=panel["adcode"].astype(str)),
                                   np.random.default_rng(0), rasters.CellsCache(world))
    assert planted == []
    year, data = next(iter(years))
    assert planted == [1] and year == 2012 and np.isfinite(data).any()


def test_unknown_product_is_refused(world, panel, tmp_path):
    with pytest.raises(ValueError, match="unknown raster products"):
        write_rasters(world, panel, tmp_path, seed=SEED, products=("no2",))
    assert not any(tmp_path.iterdir())


# --------------------------------------------------------------------------------- bad input
def test_truncated_geotiff(root, ctx, tmp_path):
    folder = copy_source(root, "ntl", tmp_path, pattern=PLAIN_LIGHTS)
    victim = sorted(folder.iterdir())[1]
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    rejects("ntl", folder, ctx, victim.name, "corrupt", "truncated")


def test_truncated_gzipped_geotiff(root, ctx, tmp_path):
    folder = copy_source(root, "ntl", tmp_path, pattern="*average_masked.dat.tif.gz")
    victim = sorted(folder.iterdir())[1]
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    rejects("ntl", folder, ctx, victim.name, "corrupt")


def test_a_gzipped_file_is_opened_once(root, ctx, tmp_path, monkeypatch, loaded):
    """Inspecting a .tif.gz and reading it share one open dataset (one inflate up to the header, not two);
    the values are those of the plain load, and nothing is left open after the read."""
    from ingestion.sources import _raster

    folder = copy_source(root, "ntl", tmp_path, keep=None, pattern="*.tif.gz")
    opened: list[str] = []
    real_open = rasterio.open
    monkeypatch.setattr(rasterio, "open", lambda name, *a, **k: opened.append(str(name)) or real_open(name, *a, **k))
    frame = read("ntl", folder.parent, ctx)
    used = [n for n in opened if "average_masked" in n]
    assert used and len(used) == len(set(used)), used  # each file once
    want = loaded["ntl"].set_index(["adcode", "year"])["value"]
    got = frame.set_index(["adcode", "year"])["value"]
    assert np.allclose(got, want.loc[got.index])
    assert _raster.HANDOFF.open == {}


def test_truncated_netcdf(root, ctx, tmp_path):
    folder = copy_source(root, "pm25", tmp_path)
    victim = sorted(folder.iterdir())[0]
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size * 2 // 3])
    rejects("pm25", folder, ctx, victim.name, "corrupt")


def test_not_a_raster(root, ctx, tmp_path):
    folder = copy_source(root, "dem", tmp_path, keep=None)
    (folder / "srtm_60_05.tif").write_text("<html>404 Not Found</html>")
    rejects("dem", folder, ctx, "srtm_60_05.tif", "cannot be opened as a raster")


def rewrite_geotiff(path: Path, **changes) -> None:
    with rasterio.open(path) as src:
        data, profile = src.read(), src.profile
    profile.update(changes)
    data = changes.pop("data", data)
    profile.pop("data", None)
    path.unlink()
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)


def test_geotiff_without_crs(root, ctx, tmp_path):
    folder = copy_source(root, "ntl", tmp_path, pattern=PLAIN_LIGHTS)
    victim = sorted(folder.iterdir())[0]
    rewrite_geotiff(victim, crs=None)
    rejects("ntl", folder, ctx, victim.name, "no coordinate reference system")


def test_geotiff_with_a_wrong_crs(root, ctx, tmp_path):
    """Degrees labelled as UTM metres: the raster lands near the UTM origin, far from every city."""
    folder = copy_source(root, "ntl", tmp_path, keep=1, pattern=PLAIN_LIGHTS)
    victim = next(folder.iterdir())
    rewrite_geotiff(victim, crs="EPSG:32650")
    rejects("ntl", folder, ctx, victim.name, "does not cover any of the cities", "EPSG:32650", "CRS is wrong")


def test_netcdf_without_lat_lon(root, ctx, tmp_path):
    folder = copy_source(root, "pm25", tmp_path, keep=0)
    path = folder / "CHN_PM25_V6GL02_201501-201512.nc"
    with netCDF4.Dataset(path, "w") as ds:
        ds.createDimension("y", 40)
        ds.createDimension("x", 60)
        ds.createVariable("PM25", "f4", ("y", "x"))[:] = np.full((40, 60), 35.0, np.float32)
    rejects("pm25", folder, ctx, path.name, "no lat/lon coordinates")


def test_netcdf_without_the_variable(root, ctx, tmp_path, loaded):
    folder = copy_source(root, "pm25", tmp_path, keep=1, pattern=V6_PM25)
    victim = next(folder.iterdir())
    renamed = victim.with_name("china_pm25_2010.nc")  # not a published name: recognised by its variable
    victim.rename(renamed)
    with netCDF4.Dataset(renamed, "a") as ds:
        ds.renameVariable("PM25", "GWRPM25")  # the name in the V5 releases: still read
    frame = read("pm25", folder.parent, ctx)
    expected = loaded["pm25"].query("year == 2010").set_index("adcode")["value"]  # the first V6 file
    np.testing.assert_allclose(frame.set_index("adcode")["value"].loc[expected.index], expected, rtol=1e-12)
    with netCDF4.Dataset(renamed, "a") as ds:
        ds.renameVariable("GWRPM25", "pm25_mean")
    rejects("pm25", folder, ctx, renamed.name, "no variable 'PM25' or 'GWRPM25'", "pm25_mean")
    renamed.rename(victim)  # under its published name the variable it must hold is named
    rejects("pm25", folder, ctx, victim.name, "no variable 'PM25'", "pm25_mean")


def test_raster_not_covering_the_cities_names_them(root, ctx, tmp_path):
    folder = copy_source(root, "ntl", tmp_path, keep=1, pattern=PLAIN_LIGHTS)
    victim = next(folder.iterdir())
    with rasterio.open(victim) as src:
        keep = int(src.width * 0.4)  # the western 40%: the eastern three columns of cities are missing
        data = src.read(window=((0, src.height), (0, keep)))
    rewrite_geotiff(victim, width=keep, data=data)
    error = rejects("ntl", folder, ctx, victim.name, "does not cover", "of 20 cities", "太原市 (140100)")
    assert "band 1" in error.where


def test_raster_elsewhere_on_earth(root, ctx, tmp_path):
    from rasterio.transform import from_origin

    folder = copy_source(root, "dem", tmp_path, keep=1, pattern="srtm_60_05.tif")
    (folder / "srtm_60_05.tif").rename(folder / "china_dem.tif")  # one DEM file, not a named tile
    rewrite_geotiff(folder / "china_dem.tif", transform=from_origin(0.0, 10.0, 0.05, 0.05))
    rejects("dem", folder, ctx, "does not cover any of the cities")


def test_all_nodata_band(root, ctx, tmp_path):
    folder = copy_source(root, "pm25", tmp_path, keep=1, pattern=V6_PM25)
    victim = next(folder.iterdir())
    with netCDF4.Dataset(victim, "a") as ds:
        ds["PM25"][:] = np.full(ds["PM25"].shape, ds["PM25"]._FillValue, np.float32)
    rejects("pm25", folder, ctx, victim.name, "band 1", "nodata or NaN")


def test_negative_emissions_in_netcdf(root, ctx, tmp_path):
    folder = copy_source(root, "edgar_co2", tmp_path, pattern=V8_EMI)
    victim = sorted(folder.iterdir())[1]
    with netCDF4.Dataset(victim, "a") as ds:
        lat, lon = ds["lat"][:], ds["lon"][:]
        i, j = len(lat) // 2, len(lon) // 2
        ds["emissions"][i, j] = -5.0
    rejects("edgar_co2", folder, ctx, victim.name, "negative value -5.0",
            f"lat {lat[i]:.4f}, lon {lon[j]:.4f}")


def edgar_text(root: Path, folder: Path) -> Path:
    source = sorted((root / "edgar_co2").glob("*.txt"))[0]
    shutil.copy(source, folder / source.name)
    return folder / source.name


def test_negative_emissions_in_text_grid(root, ctx, tmp_path):
    folder = copy_source(root, "edgar_co2", tmp_path, keep=0)
    path = edgar_text(root, folder)
    lines = path.read_text().splitlines()
    lat, lon, _ = lines[100].split(";")
    lines[100] = f"{lat};{lon};-12.5"
    path.write_text("\n".join(lines) + "\n")
    rejects("edgar_co2", folder, ctx, path.name, "line 101", f"lat {float(lat)}", "negative emission -12.5")


def test_truncated_text_grid(root, ctx, tmp_path):
    folder = copy_source(root, "edgar_co2", tmp_path, keep=0)
    path = edgar_text(root, folder)
    text = path.read_text()
    cut = text.rindex(";", 0, len(text) // 2)  # in the middle of a line, just after a separator
    path.write_text(text[: cut + 1])
    rejects("edgar_co2", folder, ctx, path.name, "line", "not 'lat;lon;value'", "truncated")


def test_same_year_in_two_formats(root, ctx, tmp_path):
    folder = copy_source(root, "edgar_co2", tmp_path, keep=0)
    text = edgar_text(root, folder)  # 2020
    twin = folder / "EDGAR_2024_GHG_CO2_2020_TOTALS_emi.nc"
    shutil.copy(root / "edgar_co2" / "EDGAR_2024_GHG_CO2_2019_TOTALS_emi.nc", twin)
    with netCDF4.Dataset(twin, "a") as ds:
        ds["emissions"].year = np.int32(2020)
    rejects("edgar_co2", folder, ctx, "year 2020 of co2 is already given", "two formats", text.name)


def test_unparseable_year_in_file_name(root, ctx, tmp_path):
    folder = copy_source(root, "ntl", tmp_path, keep=1)
    victim = next(folder.iterdir())
    victim.rename(folder / "VNL_npp_latest_average_masked.tif")
    rejects("ntl", folder, ctx, "VNL_npp_latest_average_masked.tif", "no year")


def test_no_cities_loaded_yet(root):
    with pytest.raises(IngestError, match="load the boundaries first"):
        read("pm25", root, LoadContext(cities=None, progress=False))


# ---------------------------------------------------------------------- through the orchestrator
def test_load_source_publishes_and_a_failed_load_changes_nothing(root, world, tmp_path):
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    try:
        ensure_raw_schema(con)
        cities = city_table(world)
        con.register("cities_frame", cities)
        con.execute("create table raw.city_boundaries as select * from cities_frame")
        con.unregister("cities_frame")

        outcome = load_source(con, pm25.SOURCE, root, progress=False)
        assert outcome.status == "loaded" and outcome.rows == {"raster_zonal": 240}
        manifest = con.execute("select file, rows from raw._loads order by file").df()
        assert len(manifest) == 12 and set(manifest["rows"]) == {20}
        assert manifest["file"].iloc[0] == "pm25/CHAP_PM2.5_Y1K_2017_V4.nc"
        before = con.execute("select * from raw.raster_zonal order by all").df()
        loads_before = con.execute("select * from raw._loads order by all").df()

        assert load_source(con, pm25.SOURCE, root, progress=False).status == "unchanged"

        bad_root = tmp_path / "bad"
        shutil.copytree(root / "pm25", bad_root / "pm25")
        victim = sorted((bad_root / "pm25").iterdir())[-1]
        victim.write_bytes(victim.read_bytes()[:2000])
        with pytest.raises(IngestError, match="corrupt"):
            load_source(con, pm25.SOURCE, bad_root, progress=False)

        after = con.execute("select * from raw.raster_zonal order by all").df()
        loads_after = con.execute("select * from raw._loads order by all").df()
        assert after.equals(before) and loads_after.equals(loads_before)
    finally:
        con.close()


# ------------------------------------------------------------------------------- other layouts
def test_years_from_the_netcdf_time_coordinate(root, ctx, tmp_path, loaded):
    """A multi-year NetCDF named without a year: one band per year from its ``time`` coordinate."""
    folder = copy_source(root, "pm25", tmp_path, keep=0)
    src = [root / "pm25" / f"V6GL02.04.CNNPM25.AS.{y}01-{y}12.nc" for y in (2014, 2015)]
    with netCDF4.Dataset(src[0]) as a, netCDF4.Dataset(src[1]) as b, \
            netCDF4.Dataset(folder / "CHN_PM25_V6GL02_annual.nc", "w") as out:
        out.createDimension("time", 2)
        for dim in ("lat", "lon"):
            out.createDimension(dim, len(a[dim]))
            var = out.createVariable(dim, "f8", (dim,))
            var.units = a[dim].units
            var[:] = a[dim][:]
        time = out.createVariable("time", "f8", ("time",))
        time.units, time.calendar = "days since 2000-01-01", "standard"
        time[:] = netCDF4.date2num([__import__("datetime").datetime(y, 7, 1) for y in (2014, 2015)], time.units)
        var = out.createVariable("PM25", "f4", ("time", "lat", "lon"), fill_value=-999.0)
        var.units = "ug/m3"
        var[0], var[1] = a["PM25"][:], b["PM25"][:]
    frame = read("pm25", folder.parent, ctx)
    assert sorted(frame["year"].unique()) == [2014, 2015]
    expected = loaded["pm25"][loaded["pm25"]["year"].isin([2014, 2015])]
    merged = frame.merge(expected, on=["adcode", "year"], suffixes=("", "_single"))
    np.testing.assert_allclose(merged["value"], merged["value_single"], rtol=1e-12)


def test_text_grid_stopping_short_of_some_cities(root, ctx, tmp_path):
    """Absent cells inside the listed extent are zero, but outside it they are no data."""
    folder = copy_source(root, "edgar_co2", tmp_path, keep=0)
    path = edgar_text(root, folder)
    lines = path.read_text().splitlines()
    header = [i for i, line in enumerate(lines) if line.startswith("lat;lon")][0]
    lons = np.array([float(line.split(";")[1]) for line in lines[header + 1:]])
    middle = (lons.min() + lons.max()) / 2
    kept = [line for line, lon in zip(lines[header + 1:], lons) if lon < middle]  # the eastern half is gone
    path.write_text("\n".join(lines[: header + 1] + kept) + "\n")
    rejects("edgar_co2", folder, ctx, path.name, "does not cover")


def test_progress_bar_when_asked(root, world, capsys):
    ctx = LoadContext(cities=city_table(world), progress=True)
    read("dem", root, ctx)
    assert "dem" in capsys.readouterr().err
