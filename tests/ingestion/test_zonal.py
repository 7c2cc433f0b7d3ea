"""Zonal statistics: the coverage fractions equal exact cell areas, and the results exactextract's own
operations, by hand on a small grid and on the tiny world's rasters (also reprojected), through either
executor."""
from __future__ import annotations

import numpy as np
import pytest
import rasterio
import shapely
from exactextract import exact_extract
from pyproj import CRS
from shapely.geometry import box

from ingestion.errors import IngestError
from ingestion.executor import LocalProcessExecutor, SerialExecutor
from ingestion.sample.geography import build_world
from ingestion.sample.rasters import write_rasters
from ingestion.sources import dem, edgar_co2, ntl, pm25
from ingestion.sources._raster import canonical_wkt, inspect_file
from ingestion.zonal import (BandRef, Grid, block_values, coverage_matrix, row_blocks, run_bands_task, summarise,
                             window_over, zonal_stats, zones_in_crs)
from tests.ingestion._rasters import EXACTEXTRACT_RTOL, fake_panel

WGS84 = CRS.from_epsg(4326).to_wkt()
STATS_ALL = ("sum", "mean", "std", "min", "max", "range")


@pytest.fixture(scope="module")
def world():
    return build_world("tiny")


@pytest.fixture(scope="module")
def rasters(world, tmp_path_factory):
    out = tmp_path_factory.mktemp("zonal_rasters")
    write_rasters(world, fake_panel(world), out, seed=5)
    return out


@pytest.fixture(scope="module")
def wkb(world):
    return tuple(shapely.to_wkb(world.cities.geometry.to_numpy()))


# ------------------------------------------------------------------------------------------- by hand
def small_grid() -> tuple[Grid, np.ndarray]:
    values = np.arange(20, dtype=np.float64).reshape(4, 5)  # row 0 is the northern row
    return Grid(WGS84, 0.0, 4.0, 1.0, 1.0, 5, 4), values


def test_summarise_by_hand():
    grid, values = small_grid()
    zones = zones_in_crs([shapely.to_wkb(box(0.5, 0.5, 2, 3)), shapely.to_wkb(box(3, 1, 4.5, 4))], WGS84)
    cov = coverage_matrix(zones, grid)
    out, coverage = summarise(cov, values.ravel(), ("sum", "mean", "min", "max", "range"))
    # zone 0 covers cells 5, 6, 10, 11, 15, 16 with fractions .5, 1, .5, 1, .25, .5
    expected_sum = 5 * .5 + 6 + 10 * .5 + 11 + 15 * .25 + 16 * .5
    assert out[0, 0] == pytest.approx(expected_sum, rel=1e-12)
    assert out[1, 0] == pytest.approx(expected_sum / 3.75, rel=1e-12)
    assert (out[2, 0], out[3, 0], out[4, 0]) == (5, 16, 11)
    np.testing.assert_allclose(coverage, [1.0, 1.0])


def test_nodata_cells_are_excluded_and_lower_coverage():
    grid, values = small_grid()
    values[1, 1] = np.nan  # a whole cell of zone 0 (area 3.75 cells) becomes nodata
    zones = zones_in_crs([shapely.to_wkb(box(0.5, 0.5, 2, 3))], WGS84)
    out, coverage = summarise(coverage_matrix(zones, grid), values.ravel(), ("sum", "mean"))
    assert out[0, 0] == pytest.approx(5 * .5 + 10 * .5 + 11 + 15 * .25 + 16 * .5)
    assert out[1, 0] == pytest.approx(out[0, 0] / 2.75)
    assert coverage[0] == pytest.approx(2.75 / 3.75)


def test_zone_off_the_grid_gets_nan_and_zero_coverage():
    grid, values = small_grid()
    zones = zones_in_crs([shapely.to_wkb(box(10, 10, 11, 11)), shapely.to_wkb(box(4, 0, 6, 1))], WGS84)
    out, coverage = summarise(coverage_matrix(zones, grid), values.ravel(), ("sum", "mean", "std", "range"))
    assert np.isnan(out[:, 0]).all() and coverage[0] == 0
    assert out[0, 1] == pytest.approx(19.0) and coverage[1] == pytest.approx(0.5)  # half the zone is off


def test_window_snaps_outward_and_clips():
    full = Grid(WGS84, 70.0, 55.0, 0.1, 0.1, 700, 400)
    grid, col, row = window_over(full, (80.05, 30.01, 90.0, 40.0))
    assert (col, row) == (100, 150) and (grid.width, grid.height) == (100, 100)
    assert grid.west == pytest.approx(80.0) and grid.north == pytest.approx(40.0)
    assert window_over(full, (0, 0, 10, 10)) is None
    clipped, col, row = window_over(full, (60, 10, 75, 20))
    assert (col, clipped.width, clipped.south) == (0, 50, pytest.approx(15.0))


# ------------------------------------------------------------------- against exactextract's own ops
def ours_vs_exactextract(path, product, wkb, world, ops, stats, bands=None):
    (band, grid), *_ = bands or inspect_file(path, product, wkb)
    table = zonal_stats([(band, grid)], wkb, stats)
    with rasterio.open(band.options[0].open_name) as ds:
        theirs = exact_extract(ds, world.cities[["adcode", "geometry"]], ops, output="pandas")
    return table, theirs


def dem_mosaic(rasters, wkb):
    """The tiny world's DEM tiles as the loader reads them: one VRT over the tiles."""
    from ingestion.sources._raster import file_label, inspect_mosaic

    tiles = sorted((rasters / "dem").glob("srtm_*.tif"))
    recs = [dem.PRODUCT.recognise(t, file_label(t, "dem")) for t in tiles]
    return inspect_mosaic(recs, dem.PRODUCT, wkb).bands


def test_sum_matches_exactextract_on_edgar_netcdf(rasters, wkb, world):
    path = rasters / "edgar_co2" / "EDGAR_2024_GHG_CO2_2015_TOTALS_emi.nc"
    table, theirs = ours_vs_exactextract(path, edgar_co2.PRODUCT, wkb, world, ["sum", "mean"], ("sum", "mean"))
    np.testing.assert_allclose(table.values[0, 0], theirs["sum"], rtol=EXACTEXTRACT_RTOL)
    np.testing.assert_allclose(table.values[0, 1], theirs["mean"], rtol=EXACTEXTRACT_RTOL)


def test_mean_matches_exactextract_with_nodata_cells(rasters, wkb, world, tmp_path):
    """Cells at the fill value (sea in the real product) drop out of both sum and mean."""
    import shutil

    import netCDF4

    path = tmp_path / "pm25" / "V6GL02.04.CNNPM25.AS.201501-201512.nc"
    path.parent.mkdir()
    shutil.copy(rasters / "pm25" / path.name, path)
    with netCDF4.Dataset(path, "a") as ds:
        ds["PM25"][10:30, 20:50] = np.ma.masked  # written as _FillValue, through several cities
    table, theirs = ours_vs_exactextract(path, pm25.PRODUCT, wkb, world, ["mean", "sum"], ("mean", "sum"))
    np.testing.assert_allclose(table.values[0, 0], theirs["mean"], rtol=EXACTEXTRACT_RTOL)
    np.testing.assert_allclose(table.values[0, 1], theirs["sum"], rtol=EXACTEXTRACT_RTOL)
    assert 0 < table.coverage.min() < 0.9 and table.coverage.max() == pytest.approx(1.0)


def test_relief_matches_exactextract_stdev_min_max(rasters, wkb, world):
    """Over the mosaic of SRTM-style tiles (a VRT), as exactextract sees the same VRT."""
    table, theirs = ours_vs_exactextract(None, dem.PRODUCT, wkb, world, ["stdev", "min", "max"],
                                         ("std", "min", "max", "range"), bands=dem_mosaic(rasters, wkb))
    np.testing.assert_allclose(table.values[0, 0], theirs["stdev"], rtol=EXACTEXTRACT_RTOL)
    np.testing.assert_allclose(table.values[0, 1], theirs["min"], rtol=1e-12)
    np.testing.assert_allclose(table.values[0, 2], theirs["max"], rtol=1e-12)
    np.testing.assert_allclose(table.values[0, 3], theirs["max"] - theirs["min"], rtol=EXACTEXTRACT_RTOL)


def test_polygons_are_reprojected_to_a_projected_raster(rasters, wkb, world, tmp_path):
    """A raster in UTM 50N (the tiny world's native CRS): our WGS84 polygons must be reprojected."""
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    src_path = rasters / "dem" / "srtm_60_05.tif"
    dst_path = tmp_path / "dem_utm.tif"
    with rasterio.open(src_path) as src:
        transform, width, height = calculate_default_transform(src.crs, "EPSG:32650", src.width, src.height,
                                                               *src.bounds, resolution=5000)
        profile = src.profile | {"crs": "EPSG:32650", "transform": transform, "width": width, "height": height}
        with rasterio.open(dst_path, "w", **profile) as dst:
            reproject(rasterio.band(src, 1), rasterio.band(dst, 1), resampling=Resampling.bilinear)
    (band, grid), = inspect_file(dst_path, dem.PRODUCT, wkb)
    assert CRS.from_wkt(grid.crs_wkt).to_epsg() == 32650
    table = zonal_stats([(band, grid)], wkb, ("mean",))
    with rasterio.open(dst_path) as ds:
        theirs = exact_extract(ds, world.cities.to_crs("EPSG:32650")[["geometry"]], ["mean", "coverage"],
                               output="pandas")
    np.testing.assert_allclose(table.values[0, 0], theirs["mean"], rtol=EXACTEXTRACT_RTOL, equal_nan=True)
    covered = table.coverage[0] > 0.99  # 100 km squares in their own CRS, wholly inside the tile
    assert covered.sum() >= 5 and np.isfinite(table.values[0, 0][covered]).all()


def test_process_executor_gives_the_serial_result(rasters, wkb):
    """Tasks of every reader (NetCDF with uint16 scaling, fluxes, text grid, gzipped GeoTIFF, a VRT
    mosaic) cross process boundaries and give the serial result."""
    files = sorted((rasters / "pm25").glob("*.nc"))[:3]
    bands = [b for f in files for b in inspect_file(f, pm25.PRODUCT, wkb)]
    serial = zonal_stats(bands, wkb, ("mean",), executor=SerialExecutor())
    pooled = zonal_stats(bands, wkb, ("mean",), executor=LocalProcessExecutor(max_workers=2))
    np.testing.assert_array_equal(serial.values, pooled.values)
    assert [b.year for b in pooled.bands] == [2017, 2018, 2019]
    mixed = [b for f in sorted((rasters / "edgar_co2").iterdir())[:3] + sorted((rasters / "edgar_co2").glob("*.txt"))
             for b in inspect_file(f, edgar_co2.PRODUCT, wkb)]
    mixed += [b for f in sorted((rasters / "ntl").glob("*average_masked*"))[:2] for b in inspect_file(f, ntl.PRODUCT, wkb)]
    mixed += dem_mosaic(rasters, wkb)
    serial = zonal_stats(mixed, wkb, ("mean",), executor=SerialExecutor())
    pooled = zonal_stats(mixed, wkb, ("mean",), executor=LocalProcessExecutor(max_workers=2))
    np.testing.assert_array_equal(serial.values, pooled.values)


def test_executors_keep_task_order():
    done = []
    assert SerialExecutor().map(abs, [-3, 1, -2], on_result=done.append) == [3, 1, 2]
    assert done == [0, 1, 2]
    assert LocalProcessExecutor(2).map(abs, list(range(-6, 0))) == [6, 5, 4, 3, 2, 1]
    with pytest.raises(ValueError):
        LocalProcessExecutor(0)


def test_one_coverage_matrix_per_grid(rasters, wkb, monkeypatch):
    """All 2010-2021 EDGAR files (NetCDF in tonnes and fluxes, the 0..360 file, .txt) sit on one 0.1-degree
    grid once longitudes are canonical: coverage computed once."""
    import ingestion.zonal as zonal

    calls = []
    original = zonal.coverage_matrix
    monkeypatch.setattr(zonal, "coverage_matrix", lambda zones, grid: calls.append(grid) or original(zones, grid))
    files = sorted((rasters / "edgar_co2").iterdir())
    assert {f.suffix for f in files} == {".nc", ".txt"}
    bands = [b for f in files for b in inspect_file(f, edgar_co2.PRODUCT, wkb)]
    zonal_stats(bands, wkb, ("sum",))
    assert len(calls) == 1


def test_task_errors_come_back_as_data(rasters, wkb):
    """IngestError does not survive pickling across processes, so tasks return its fields."""
    path = rasters / "pm25" / "V5GL02.HybridPM25.Asia.201201-201212.nc"
    (band, grid), = inspect_file(path, pm25.PRODUCT, wkb)
    broken = BandRef(band.file, band.label, band.band, band.year, band.variable, band.reader, 10_000, 10_000,
                     band.options)
    from ingestion.zonal import BandsTask, run_coverage_task, CoverageTask

    cov = run_coverage_task(CoverageTask(grid, wkb))
    result = run_bands_task(BandsTask((broken,), grid, cov, ("mean",)))
    assert result.error is not None and result.error[0] == band.label


def test_canonical_wkt_groups_gdal_and_proj_spellings():
    assert canonical_wkt(rasterio.crs.CRS.from_epsg(4326)) == canonical_wkt("EPSG:4326")


def test_blocks_of_rows_give_the_one_block_result(rasters, wkb, monkeypatch, tmp_path):
    """Reading and reducing a band in blocks of rows (bounded memory) changes nothing but rounding,
    including std (pairwise-merged moments) and min / max, and still places a bad cell correctly."""
    import shutil

    import netCDF4

    import ingestion.zonal as zonal

    bands = dem_mosaic(rasters, wkb)
    bands += inspect_file(rasters / "pm25" / "V6GL02.04.CNNPM25.AS.201401-201412.nc", pm25.PRODUCT, wkb)
    bands += inspect_file(rasters / "edgar_co2" / "v8.0_FT2022_GHG_CO2_2020_TOTALS.txt", edgar_co2.PRODUCT, wkb)
    bands += inspect_file(rasters / "edgar_co2" / "EDGAR_2024_GHG_CO2_2013_TOTALS_flx.nc", edgar_co2.PRODUCT, wkb)
    stats = ("sum", "mean", "std", "min", "max", "range")
    whole = zonal_stats(bands, wkb, stats)
    width = bands[0][1].width
    monkeypatch.setattr(zonal, "MAX_CELLS_PER_BLOCK", 7 * width + 3)  # blocks of 7 rows
    grid = bands[0][1]
    assert len(list(zonal.row_blocks(grid, zonal.rows_per_block(grid)))) > 5
    blocks = zonal_stats(bands, wkb, stats)
    np.testing.assert_allclose(blocks.values, whole.values, rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(blocks.coverage, whole.coverage, rtol=1e-12)

    path = tmp_path / "edgar_co2" / "EDGAR_2024_GHG_CO2_2016_TOTALS_emi.nc"
    path.parent.mkdir()
    shutil.copy(rasters / "edgar_co2" / path.name, path)
    with netCDF4.Dataset(path, "a") as ds:
        i, j = len(ds["lat"]) // 3, len(ds["lon"]) // 2
        ds["emissions"][i, j] = -1.0
        lat, lon = float(ds["lat"][i]), float(ds["lon"][j])
    with pytest.raises(IngestError, match=f"lat {lat:.4f}, lon {lon:.4f}"):
        zonal_stats(inspect_file(path, edgar_co2.PRODUCT, wkb), wkb, ("sum",), nonnegative=True)


def _exactextract_cells(zones, grid: Grid) -> list[dict[int, float]]:
    """exactextract's own (cell id -> fraction) per zone, fractions > 0."""
    from exactextract.raster import NumPyRasterSource

    raster = NumPyRasterSource(np.zeros((grid.height, grid.width)), grid.west, grid.south, grid.east, grid.north,
                               srs_wkt=grid.crs_wkt)
    frame = exact_extract(raster, zones.to_frame("geometry"), ["cell_id", "coverage"], output="pandas")
    return [{int(i): float(c) for i, c in zip(ids, cover) if c > 0}
            for ids, cover in zip(frame["cell_id"], frame["coverage"])]


def _zigzag_zones():
    """Three polygons on a 40 x 30 grid of 0.1 degree: a star, a ring (a hole) and a box, some cells
    wholly inside, boundaries crossing cells, the box reaching off the grid."""
    star = shapely.Polygon([(100.2, 31.1), (101.05, 31.83), (101.9, 31.1), (101.4, 32.45), (101.95, 32.87),
                            (100.9, 32.7), (100.25, 32.93)])
    ring = shapely.Point(102.3, 31.9).buffer(0.75).difference(shapely.Point(102.3, 31.9).buffer(0.3))
    off = box(103.2, 30.6, 104.6, 31.44)
    return zones_in_crs([shapely.to_wkb(g) for g in (star, ring, off)], WGS84)


def _exact_cells(zones, grid: Grid) -> list[dict[int, float]]:
    """Each zone's (cell id -> fraction) from shapely's intersection of the zone with every cell box of
    the grid: float64 areas, a reference that shares no code with the coverage's edge accumulation."""
    cells = []
    for geom in zones:
        inside = {}
        for r in range(grid.height):
            for c in range(grid.width):
                x0, y1 = grid.west + c * grid.dx, grid.north - r * grid.dy
                area = geom.intersection(box(x0, y1 - grid.dy, x0 + grid.dx, y1)).area / (grid.dx * grid.dy)
                if area > 1e-12:
                    inside[r * grid.width + c] = area
        cells.append(inside)
    return cells


def _cells_of(cov, n_zones: int) -> list[dict[int, float]]:
    zone, cell, fraction = cov.entries()
    return [dict(zip(cell[zone == k].tolist(), fraction[zone == k].tolist())) for k in range(n_zones)]


def _assert_same_cells(got: list[dict[int, float]], expected: list[dict[int, float]], atol: float) -> None:
    for k, (mine, theirs) in enumerate(zip(got, expected)):
        assert mine.keys() == theirs.keys(), (k, sorted(mine.keys() ^ theirs.keys())[:10])
        worst = max((abs(mine[c] - theirs[c]) for c in mine), default=0.0)
        assert worst <= atol, (k, worst)


def _edge_cases():
    """Zones on a 40 x 30 grid of 0.1 degree (west 100, north 33) that test the edge accumulation: a comb
    (rows of many additions), off each edge of the grid, vertices on cell corners, horizontal and vertical edges, both orientations, a
    hole, parts in one zone, a zone inside one cell, a zone wholly off the grid, a collection holding a
    line, an empty zone."""
    square = box(100.3, 31.0, 101.0, 31.7)  # corners on cell corners
    teeth = [(100.0 + 0.1 * i + dx, y) for i in range(38) for dx, y in ((0, 32.35), (0.05, 32.35), (0.05, 32.1),
                                                                        (0.1, 32.1))]
    comb = shapely.Polygon([(100.0, 32.0)] + teeth + [(103.8, 32.0)])  # 150 additions a row: sorted by quicksort
    return [
        comb,
        box(99.5, 31.05, 100.45, 32.0),  # off the west edge
        box(103.2, 30.62, 104.6, 31.44),  # off the east edge: horizontal edges across cut rows
        shapely.Polygon([(101.5, 33.5), (102.33, 32.1), (103.07, 33.8)]),  # off the north edge
        shapely.Polygon([(99.0, 29.0), (105.0, 34.5), (103.0, 29.5)]),  # off every edge but one
        square,
        shapely.Polygon(list(square.exterior.coords)[::-1]),  # the same, the other way round
        shapely.Polygon([(101.12, 30.12), (101.18, 30.12), (101.15, 30.19)]),  # inside one cell
        shapely.MultiPolygon([box(100.0, 30.0, 100.1, 30.1), box(100.33, 30.33, 100.37, 30.36)]),
        shapely.GeometryCollection([box(102.0, 30.2, 102.25, 30.45), shapely.LineString([(100, 30), (103, 31)])]),
        box(104.5, 31.0, 105.5, 32.0),  # east of the grid, within its rows
        box(110.0, 40.0, 111.0, 41.0),  # off the grid
        shapely.Polygon(),
    ]


def test_coverage_is_the_exact_area_of_each_cell_in_each_zone():
    """The fractions equal shapely's float64 cell-by-cell intersection areas to 1e-12, the same cells
    (none below 1e-12 dropped, none added), whatever the blocks of rows; a run never crosses a block and
    the entries are the cells cut, strictly between 0 and 1."""
    grid = Grid(WGS84, 100.0, 33.0, 0.1, 0.1, 40, 30)
    zones = list(_zigzag_zones()) + _edge_cases()
    expected = _exact_cells(zones, grid)
    assert all(expected[k] for k in range(len(zones) - 3)) and not any(expected[-3:])
    for block_rows in (None, 4, 7, 1):
        cov = coverage_matrix(np.array(zones, dtype=object), grid, block_rows=block_rows)
        _assert_same_cells(_cells_of(cov, len(zones)), expected, atol=1e-12)
        assert cov.run_zone.size > 0 and ((cov.fraction > 0) & (cov.fraction < 1)).all()
        block_cells = cov.block_rows * grid.width
        last = cov.run_start + cov.run_length - 1
        assert (cov.run_start // grid.width == last // grid.width).all()  # one row, so one block
        for b in range(len(cov.block_starts) - 1):
            _, starts, _, _, cells, _ = cov.block(b)
            assert (starts // block_cells == b).all() and (cells // block_cells == b).all()
    np.testing.assert_allclose(cov.zone_cells[:3], [shapely.area(z) / 0.01 for z in zones[:3]], rtol=1e-12)


def test_coverage_of_random_polygons_with_holes_on_oblong_cells():
    """Random star-shaped polygons (3 to 40 vertices, either orientation, some with a hole, some reaching
    off the grid) on cells twice as wide as tall: the fractions are shapely's exact areas to 1e-12."""
    rng = np.random.default_rng(19)
    grid = Grid(WGS84, 10.0, 5.0, 0.4, 0.2, 14, 11)
    zones = []
    for _ in range(40):
        centre = rng.uniform([9.5, 2.3], [16.1, 5.4])
        angles = np.sort(rng.uniform(0, 2 * np.pi, rng.integers(3, 41)))
        radii = rng.uniform(0.2, 1.6, angles.size)
        shell = np.column_stack([centre[0] + radii * np.cos(angles), centre[1] + 0.6 * radii * np.sin(angles)])
        polygon = shapely.Polygon(shell if rng.random() < 0.5 else shell[::-1])
        if rng.random() < 0.3:
            polygon = polygon.difference(shapely.Point(centre).buffer(0.15))
        zones.append(shapely.make_valid(polygon))
    cov = coverage_matrix(np.array(zones, dtype=object), grid, block_rows=3)
    _assert_same_cells(_cells_of(cov, len(zones)), _exact_cells(zones, grid), atol=1e-12)


def test_coverage_agrees_with_exactextract():
    """exactextract's cells and fractions (it reports them as float32: 6e-8) on the tiny world's cities,
    a finer grid than any test above."""
    world = build_world("tiny")
    grid = Grid(WGS84, 114.5, 38.0, 0.02, 0.02, 300, 200)  # its cities, some running off the south edge
    zones = zones_in_crs([shapely.to_wkb(g) for g in world.cities.geometry], WGS84)
    cov = coverage_matrix(zones, grid, block_rows=17)
    assert cov.run_length.sum() > 30_000
    _assert_same_cells(_cells_of(cov, len(zones)), _exactextract_cells(zones, grid), atol=1e-7)


def test_coverage_is_sized_by_the_boundaries_not_the_area():
    """At a fine resolution the coverage holds about two runs per zone and row plus the cut cells, not an
    entry (16 bytes) per covered cell."""
    grid = Grid(WGS84, 100.0, 33.0, 0.002, 0.002, 2000, 1500)
    zones = _zigzag_zones()
    cov = coverage_matrix(zones, grid)
    covered = int(cov.run_length.sum()) + cov.cell.size
    assert covered > 400_000
    assert cov.nbytes < covered * 16 / 20
    assert cov.run_zone.size < 3 * 2 * grid.height


def test_moments_equal_the_dense_formulas_with_invalid_cells_and_blocks():
    """std, min, max, sum and mean over blocks of rows, with NaN cells inside runs and on cut cells, and
    a zone whose every cell is NaN, equal the formulas of the module docstring evaluated densely."""
    from ingestion.zonal import ZoneMoments

    grid = Grid(WGS84, 100.0, 33.0, 0.1, 0.1, 40, 30)
    zones = _zigzag_zones()
    rng = np.random.default_rng(11)
    values = 3000 + 50 * rng.standard_normal(grid.n_cells)  # elevation-like: a large mean, a small spread
    values[rng.random(grid.n_cells) < 0.15] = np.nan
    one = coverage_matrix(zones, grid)
    zone, cell, fraction = one.entries()
    values[cell[zone == 1]] = np.nan  # the ring: nothing valid
    stats = ("sum", "mean", "std", "min", "max", "range")
    dense = one.matrix().toarray()
    valid = ~np.isnan(values)
    v = np.where(valid, values, 0.0)
    w = dense @ valid
    with np.errstate(invalid="ignore", divide="ignore"):  # the ring: no weight
        mean = dense @ v / w
        std = np.sqrt((dense * (values[None, :] - mean[:, None]) ** 2).sum(axis=1, where=valid[None, :]) / w)
    touched = (dense > 0) & valid
    low = np.array([values[row].min() if row.any() else np.nan for row in touched])
    high = np.array([values[row].max() if row.any() else np.nan for row in touched])
    for block_rows in (None, 3):
        cov = coverage_matrix(zones, grid, block_rows=block_rows)
        moments = ZoneMoments(cov.n_zones, stats)
        for b, (r0, block) in enumerate(row_blocks(grid, cov.block_rows)):
            chunk = values[r0 * grid.width:(r0 + block.height) * grid.width]
            before = chunk.copy()
            moments.add(cov, b, chunk)
            np.testing.assert_array_equal(chunk, before)  # the band is not written to
        out, coverage = moments.finish(cov.zone_cells)
        for k in (0, 2):
            np.testing.assert_allclose(out[:, k], [dense[k] @ v, mean[k], std[k], low[k], high[k],
                                                   high[k] - low[k]], rtol=1e-12)
        assert np.isnan(out[:, 1]).all() and coverage[1] == 0
        np.testing.assert_allclose(coverage[[0, 2]], w[[0, 2]] / cov.zone_cells[[0, 2]], rtol=1e-12)


@pytest.mark.parametrize("dtype, nodata, scale, offset", [("uint16", 65535, 0.01, 0.0), ("uint16", 65535, 0.1, 2.5),
                                                          ("float32", -999.0, 1.0, 0.0), ("float32", None, 1.0, 0.0)])
def test_gdal_reader_scales_in_one_pass_and_marks_nodata_nan_and_inf(tmp_path, dtype, nodata, scale, offset):
    """The reader's values are float64(stored) * scale + offset exactly, with nodata, NaN and +-inf cells NaN."""
    from rasterio.transform import from_origin

    from ingestion.sources._raster import GdalRead, read_gdal_stored

    rng = np.random.default_rng(3)
    raw = (rng.random((6, 7)) * 5000).astype(dtype)
    bad = np.zeros(raw.shape, bool)
    if nodata is not None:
        raw[0, :3] = nodata
        bad[0, :3] = True
    if dtype == "float32":
        raw[2, 2], raw[3, 4], raw[5, 0] = np.inf, -np.inf, np.nan
        bad[2, 2] = bad[3, 4] = bad[5, 0] = True
    path = tmp_path / "band.tif"
    with rasterio.open(path, "w", driver="GTiff", width=7, height=6, count=1, dtype=dtype, crs="EPSG:4326",
                       transform=from_origin(100, 30, 0.5, 0.5), nodata=nodata) as ds:
        ds.write(raw, 1)
        ds.scales, ds.offsets = (scale,), (offset,)
    grid = Grid(WGS84, 100.0, 30.0, 0.5, 0.5, 7, 6)
    band = BandRef(str(path), "band.tif", 1, 2020, "x", read_gdal_stored, options=(GdalRead(str(path), 7),))
    blocks = read_gdal_stored(band, [(0, Grid(WGS84, 100.0, 30.0, 0.5, 0.5, 7, 4)),
                                     (4, Grid(WGS84, 100.0, 28.0, 0.5, 0.5, 7, 2))])
    got = np.concatenate([block_values(block) for block in blocks])
    expected = raw.astype(np.float64) * scale + offset
    expected[bad] = np.nan
    np.testing.assert_array_equal(got, expected.ravel())  # exact, NaN where invalid
    assert grid.n_cells == got.size


@pytest.mark.parametrize("dtype, nodata, scale, offset", [
    ("int16", -32768.0, 1.0, 0.0),  # SRTM: the integer kernel
    ("int16", 70000.0, 1.0, 0.0),  # a nodata no int16 can hold: none is nodata
    ("int16", -9999.5, 1.0, 0.0),  # nor a fractional one
    ("uint16", 65535.0, 0.1, 2.5),  # scaled integers (the float kernel)
    ("uint8", None, 1.0, 0.0),
    ("float32", 0.1, 1.0, 0.0),  # a nodata float32 cannot hold exactly: compared in float32, as numpy does
    ("float32", float("nan"), 1.0, 0.0),
    ("float64", -3.4e38, 2.0, 0.0),
])
def test_stored_blocks_give_the_converted_blocks_results_bit_for_bit(dtype, nodata, scale, offset):
    """Blocks handed to the kernels as stored (``Linear``: converted cell by cell) give the statistics,
    the coverage and the range check of the same blocks converted to float64 first, bit for bit; with
    nodata cells, NaN and infinities, over blocks of rows and with std (two passes)."""
    from ingestion.zonal import Cells, Linear, Stored, ZoneMoments, check_range

    grid = Grid(WGS84, 100.0, 33.0, 0.1, 0.1, 40, 30)
    cov = coverage_matrix(_zigzag_zones(), grid, block_rows=7)
    rng = np.random.default_rng(5)
    raw = rng.integers(0, 250, grid.n_cells).astype(dtype) if dtype == "uint8" else \
        (rng.normal(300, 80, grid.n_cells) * (1 if dtype.startswith("float") else 10)).astype(dtype)
    if nodata is not None and not np.isnan(nodata):
        with np.errstate(over="ignore", invalid="ignore"):
            raw[rng.random(grid.n_cells) < 0.1] = np.array(nodata).astype(dtype)
    if dtype.startswith("float"):
        raw[rng.integers(0, grid.n_cells, 30)] = np.nan
        raw[rng.integers(0, grid.n_cells, 5)] = np.inf
    linear = Linear(nodata, scale, offset)

    def convert(r):  # as the GDAL reader's conversion does
        from ingestion.sources._raster import _gdal_values

        return _gdal_values(r, nodata=nodata, scale=scale, offset=offset, flux_year=None, grid=grid)

    results = []
    for as_stored in (True, False):
        moments = ZoneMoments(cov.n_zones, STATS_ALL)
        for b, (r0, block) in enumerate(row_blocks(grid, cov.block_rows)):
            part = raw[r0 * grid.width:(r0 + block.height) * grid.width].reshape(block.height, grid.width)
            stored = Stored(part, convert, linear)
            cells = Cells.of(stored) if as_stored else Cells.of(convert(part))
            moments.add(cov, b, cells)
            with pytest.raises(IngestError) as caught:
                check_range(cells, BandRef("f", "f", 1, 2020, "x", None), block, (300.0, 310.0), "")
            results.append(str(caught.value))
        results.append(moments.finish(cov.zone_cells))
    half = len(results) // 2
    assert results[:half - 1] == results[half:-1]  # the same first cell, value and count named
    for a, b in zip(results[half - 1], results[-1]):
        np.testing.assert_array_equal(a, b)
    assert Cells.of(Stored(raw, convert, linear)).integers == (dtype in ("int16", "uint8"))  # unscaled integers


def test_zonal_statistics_with_and_without_read_ahead_are_identical(rasters, wkb):
    """Every reader (NetCDF with uint16 scaling, fluxes, the text grid, gzipped GeoTIFF, the VRT mosaic),
    with a budget so small that the thread waits after every block: the same numbers, bit for bit."""
    bands = [b for f in sorted((rasters / "pm25").glob("*.nc"))[:4] for b in inspect_file(f, pm25.PRODUCT, wkb)]
    bands += [b for f in sorted((rasters / "edgar_co2").iterdir())[:4] for b in inspect_file(f, edgar_co2.PRODUCT, wkb)]
    bands += [b for f in sorted((rasters / "ntl").glob("*average_masked*"))[:3] for b in inspect_file(f, ntl.PRODUCT, wkb)]
    bands += dem_mosaic(rasters, wkb)
    stats = ("sum", "mean", "std", "min", "max", "range")
    plain = zonal_stats(bands, wkb, stats, read_ahead_bytes=0)
    for budget in (1, 512 * 2**20):
        ahead = zonal_stats(bands, wkb, stats, read_ahead_bytes=budget)
        np.testing.assert_array_equal(ahead.values, plain.values)
        np.testing.assert_array_equal(ahead.coverage, plain.coverage)


def test_the_first_bad_file_is_reported_as_without_read_ahead(rasters, wkb, tmp_path):
    """A negative emission in the second of three files: the same one error (file, cell) either way, and
    the third file is still read (the serial loop reports the first failing file in plan order)."""
    import shutil

    import netCDF4

    folder = tmp_path / "edgar_co2"
    folder.mkdir()
    names = sorted(p.name for p in (rasters / "edgar_co2").glob("EDGAR_2024_*_emi.nc"))[:3]
    for name in names:
        shutil.copy(rasters / "edgar_co2" / name, folder / name)
    with netCDF4.Dataset(folder / names[1], "a") as ds:
        ds["emissions"][len(ds["lat"]) // 3, len(ds["lon"]) // 2] = -1.0
    bands = [b for name in names for b in inspect_file(folder / name, edgar_co2.PRODUCT, wkb)]
    errors = []
    for budget in (0, 1, 512 * 2**20):
        with pytest.raises(IngestError) as caught:
            zonal_stats(bands, wkb, ("sum",), nonnegative=True, read_ahead_bytes=budget)
        errors.append(str(caught.value))
    assert errors[0] == errors[1] == errors[2] and names[1] in errors[0]


def test_invalid_zones_are_repaired_unless_declared_valid(rasters, wkb):
    """zonal_stats repairs invalid polygons (a bow tie) by default, so it equals the repaired polygon's
    result; zones_valid=True (the loaders' raw.city_boundaries, repaired when loaded) skips the repair."""
    from shapely.geometry import Polygon

    (band, grid), = inspect_file(rasters / "pm25" / "V5GL02.HybridPM25.Asia.201201-201212.nc", pm25.PRODUCT, wkb)
    w, s, e, n = shapely.from_wkb(wkb[0]).bounds
    bow = Polygon([(w, s), (e, n), (e, s), (w, n)])
    repaired = shapely.make_valid(bow)
    assert not bow.is_valid and repaired.is_valid
    by_default = zonal_stats([(band, grid)], [bow.wkb], ("mean",))
    declared = zonal_stats([(band, grid)], [repaired.wkb], ("mean",), zones_valid=True)
    np.testing.assert_array_equal(by_default.values, declared.values)
    assert by_default.coverage[0, 0] == pytest.approx(1.0, rel=1e-6)  # both triangles counted
    # declared valid, the bow tie goes in as it is (its signed area cancels: no coverage), so no repair ran
    unrepaired = zonal_stats([(band, grid)], [bow.wkb], ("mean",), zones_valid=True)
    assert unrepaired.coverage[0, 0] != pytest.approx(1.0, rel=1e-6)
