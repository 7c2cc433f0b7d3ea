"""Sample rasters in the real products' own layouts, planted from a city-year panel.

``write_rasters(world, city_panel, out_dir, seed=...)`` writes, under ``out_dir``, one file per product
and year in the layout that ``LAYOUT_PLAN`` assigns to that year, so that across the default world's
years every published layout the loaders accept appears (``ingestion/sources/*.LAYOUTS``; file names
from ``*.FILE_NAMES``, the one home of each product's naming):

* ``edgar_co2/``: EDGAR v8 ``emi`` (tonnes per cell) and ``flx`` (kg m-2 s-1) NetCDF, the v6.0-style
  ``emi_co2`` NetCDF in kg m-2 s-1 on longitudes 0..360 (every longitude of the world's latitude rows),
  and the ``lat;lon;emission`` text grid with lower-left-corner coordinates;
* ``pm25/``: ACAG V5 (``GWRPM25``, latitude ascending, NaN over water), ACAG V6 (``PM25``, latitude
  north to south) and ChinaHighPM2.5 (``PM2.5`` uint16 x ``scale_factor`` 0.01, ``_FillValue`` 65535,
  north to south);
* ``ntl/`` (VIIRS starts in 2012): VNL v2.1 (the 2012 ``201204-201212`` composite and the annual
  names) and v2.2 names, gzipped (``.tif.gz``, deterministic gzip headers) in some years and plain in
  others, with non-radiance layers (``cf_cvg``, ``lit_mask``, ``median_masked``) served beside the
  radiance in some years;
* ``dem/``: SRTM-style 5 x 5 degree tiles ``srtm_XX_YY.tif`` (int16 metres, nodata -32768), at the
  world's DEM resolution rather than SRTM's 3 arc-seconds; tiles without land are not written, as
  CGIAR publishes no ocean tiles.

The grids cover the world's extent (not the globe), except the v6-style file, whose longitudes span
0..360 so that its convention matters; the resolutions are the world's (``WorldSpec``).

How values are planted, so that the loaders' zonal statistics recover the panel:

* CO2: each city's total is spread over the cells lying *wholly* inside its polygon (cells not touched
  by any city boundary), in proportion to a smooth density surface, with a small background on every
  other cell. A coverage-weighted zonal sum counts whole cells with weight 1 and no other city counts
  them at all, so rescaling them absorbs the background that boundary cells add: the sum returns the
  planted total. A city without a whole cell (Zhoushan's islands at 0.1 degree) is planted on the
  cells whose centre it contains, solved jointly with its neighbours (``CityCells.match``).
* PM2.5 and lights: the city mean times a mean-one smooth pattern over the cells whose centre lies in
  the city; a smooth background elsewhere; PM2.5 nodata over sea (cells neither on land nor touching a
  city). Boundary cells shared with a brighter or dimmer neighbour would bias the coverage-weighted
  mean, so each city's whole cells are then rescaled until the exact coverage-weighted mean --
  the loaders' own coverage fractions (``zonal.coverage_matrix``) -- equals the planted mean.
* DEM: the cnmaps 0.2-degree China DEM resampled bilinearly (sea filled from the nearest land cell
  first) plus small deterministic noise; the tiny world uses a synthetic smooth relief instead.

Fluxes are written as tonnes / (cell area x seconds of the year) with ``ingestion.geodesy`` -- the
formula the loader inverts. CHAP's uint16 values are rounded to the 0.01 ug/m3 step and the rounding
is then spread back over each city's cells (``CityCells.quantize``) so the city means stay planted.

Everything is a function of (world, panel, seed): same inputs give byte-identical files (no dates,
history or library-chosen timestamps in the files; gzip headers without name or time).
"""
from __future__ import annotations

import gzip
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ingestion import geodesy
from ingestion.sample.geography import RasterGrid, World, cnmaps_dem_path
from ingestion.sources import dem as dem_source, edgar_co2, ntl as ntl_source, pm25 as pm25_source

NTL_FIRST_YEAR = 2012
PM25_FILL = -999.0
NTL_NODATA = -999.0
DEM_NODATA = -32768  # SRTM voids and sea
CHAP_SCALE = 0.01  # ug/m3 per uint16 step
CHAP_FILL = 65535
CO2_BACKGROUND_T = 20.0  # tonnes per 0.1-degree cell outside whole-city cells (roads, villages, ships)


# ------------------------------------------------------------------------------------------ layout plan
@dataclass(frozen=True)
class NtlFile:
    """How one year of lights is served: layout, gzipped or not, the other layers beside it, and for
    v2.2 from 2023 the later names (``VNL_npp_2023_global_vcmslcfg_v2_c...``)."""

    layout: str
    gz: bool = False
    siblings: tuple[str, ...] = ()
    stamp: str = "202303062300"
    names_from_2023: bool = False


# year ranges (first, last) -> layout; across 2003-2023 (default world) every layout occurs, and the tiny
# world's 2012-2021 still meets several of each product
LAYOUT_PLAN = {
    "edgar_co2": (((2003, 2006), "v6_flux"), ((2007, 2010), "v8_flx"), ((2011, 2011), "v8_emi"),
                  ((2012, 2012), "v6_flux"), ((2013, 2014), "v8_flx"), ((2015, 2019), "v8_emi"),
                  ((2020, 2022), "text"), ((2023, 2023), "v8_emi")),
    "pm25": (((2003, 2007), "acag_v5"), ((2008, 2011), "acag_v6"), ((2012, 2013), "acag_v5"),
             ((2014, 2016), "acag_v6"), ((2017, 2023), "chap")),
    "ntl": (((2012, 2012), NtlFile("vnl_v21_2012", gz=True, siblings=("cf_cvg",))),
            ((2013, 2013), NtlFile("vnl_v21")),
            ((2014, 2014), NtlFile("vnl_v21", siblings=("lit_mask",))),
            ((2015, 2016), NtlFile("vnl_v21")),
            ((2017, 2018), NtlFile("vnl_v21", gz=True)),
            ((2019, 2019), NtlFile("vnl_v21", gz=True, siblings=("cf_cvg", "median_masked"))),
            ((2020, 2021), NtlFile("vnl_v21", gz=True)),
            ((2022, 2022), NtlFile("vnl_v22", gz=True, siblings=("cf_cvg",))),
            ((2023, 2023), NtlFile("vnl_v22", gz=True, stamp="202402081600", names_from_2023=True))),
}
NTL_2023_NAME = "VNL_npp_{year}_global_vcmslcfg_v2_c{stamp}.{layer}.dat.tif"  # v2.2 names from 2023


def planned(product: str, year: int):
    """The layout (for lights: the ``NtlFile``) that ``year`` of ``product`` is written in."""
    for (first, last), layout in LAYOUT_PLAN[product]:
        if first <= year <= last:
            return layout
    raise ValueError(f"no layout planned for {product} {year}")


def planned_layouts(product: str, years) -> set[str]:
    """The loader layouts (``ingestion.sources.<product>.LAYOUTS`` keys) the sample writes over ``years``."""
    out = set()
    for year in years:
        if product == "ntl" and year < NTL_FIRST_YEAR:
            continue
        layout = planned(product, year)
        out.add(layout.layout if isinstance(layout, NtlFile) else layout)
    return out

PRODUCTS = ("edgar_co2", "pm25", "ntl", "dem")
PANEL_COLUMNS = ("adcode", "year", "co2_t", "pm25_ugm3", "ntl_nw")


# ------------------------------------------------------------------------------------------ grid tools
def city_ids(world: World, grid: RasterGrid, *, all_touched: bool = False) -> np.ndarray:
    """(height, width) int32: k + 1 for cells (centre, or any touch) in city k of ``world.cities``, else 0."""
    from rasterio.features import rasterize

    shapes = ((geom, k + 1) for k, geom in enumerate(world.cities.geometry))
    return rasterize(shapes, out_shape=(grid.height, grid.width), transform=grid.transform(), fill=0,
                     all_touched=all_touched, dtype="int32")


def boundary_cells(world: World, grid: RasterGrid) -> np.ndarray:
    """Cells touched by any city boundary line (so not wholly inside one city)."""
    from rasterio.features import rasterize

    lines = [geom.boundary for geom in world.cities.geometry]
    return rasterize(((line, 1) for line in lines), out_shape=(grid.height, grid.width),
                     transform=grid.transform(), fill=0, all_touched=True, dtype="uint8").astype(bool)


def land_cells(world: World, grid: RasterGrid) -> np.ndarray:
    """Land (``world.land``) or touching a city: the cells that carry values in land-only products."""
    from rasterio.features import rasterize

    land = rasterize(((g, 1) for g in world.land), out_shape=(grid.height, grid.width),
                     transform=grid.transform(), fill=0, dtype="uint8").astype(bool)
    return land | (city_ids(world, grid, all_touched=True) > 0)


def smooth_field(grid: RasterGrid, rng: np.random.Generator, *, waves: int = 6,
                 wavelength_deg: tuple[float, float] = (2.0, 15.0)) -> np.ndarray:
    """A smooth random surface (sum of plane waves), mean about 0 and SD about 1, on the grid."""
    lon = grid.lons()[None, :]
    lat = grid.lats_north_up()[:, None]
    out = np.zeros((grid.height, grid.width))
    for _ in range(waves):
        wavelength = rng.uniform(*wavelength_deg)
        angle = rng.uniform(0, np.pi)
        phase = rng.uniform(0, 2 * np.pi)
        k = 2 * np.pi / wavelength
        out += np.sin(k * (np.cos(angle) * lon + np.sin(angle) * lat) + phase)
    return out / np.sqrt(waves / 2)


def _panel_matrix(world: World, panel: pd.DataFrame, column: str, years: list[int]) -> np.ndarray:
    """(n_years, n_cities) values of ``column`` in the order of ``world.cities``."""
    wide = panel.pivot(index="year", columns="adcode", values=column)
    missing = [a for a in world.cities["adcode"] if a not in wide.columns]
    if missing:
        raise ValueError(f"city_panel has no rows for {len(missing)} cities, e.g. {missing[:5]}")
    return wide.reindex(index=years, columns=list(world.cities["adcode"])).to_numpy(dtype=np.float64)


class CityCells:
    """Which cells belong to which city on one grid, and the exact coverage fractions (the loaders').

    ``owner`` marks the cells a city's value is planted on: its cells lying wholly inside it (touched
    by no boundary), or, for a city too small or too fragmented to contain one, the cells whose centre
    it contains.
    """

    def __init__(self, world: World, grid: RasterGrid):
        from pyproj import CRS

        from ingestion.zonal import Grid, coverage_matrix

        self.n = len(world.cities)
        self.centre = city_ids(world, grid)  # k + 1 where the cell centre lies in city k
        whole = np.where(boundary_cells(world, grid), 0, self.centre)  # k + 1 where wholly inside k
        has_whole = np.bincount(whole[whole > 0] - 1, minlength=self.n) > 0
        fallback = (whole == 0) & (self.centre > 0) & ~has_whole[np.maximum(self.centre - 1, 0)]
        self.owner = np.where(fallback, self.centre, whole)
        zonal_grid = Grid(CRS.from_epsg(4326).to_wkt(), grid.west, grid.north, grid.res, grid.res,
                          grid.width, grid.height)
        coverage = coverage_matrix(world.cities.geometry.reset_index(drop=True), zonal_grid)
        self.coverage = coverage.matrix()  # zones x cells (CSR) for the per-city sums below
        self._world, self._grid, self._land = world, grid, None

    @property
    def land(self) -> np.ndarray:
        """Cells on land or touching a city (``land_cells``), computed on first use."""
        if self._land is None:
            self._land = land_cells(self._world, self._grid)
        return self._land

    def per_city_mean(self, values: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Plain mean of ``values`` over each city's cells in ``ids`` (1 for a city without any)."""
        inside = ids > 0
        total = np.bincount(ids[inside] - 1, weights=values[inside], minlength=self.n)
        count = np.bincount(ids[inside] - 1, minlength=self.n)
        return np.divide(total, count, out=np.ones(self.n), where=count > 0)

    def match(self, data: np.ndarray, targets: np.ndarray, kind: str, *, iterations: int = 20) -> np.ndarray:
        """Rescale each city's owned cells until its coverage-weighted ``kind`` ("sum" or "mean", over
        valid cells, as ``ingestion.zonal.summarise`` computes it) equals ``targets``.

        Owned whole cells have coverage 1 in their city and 0 in all others, so a city with whole cells
        is matched exactly in one step; cities planted on shared cells couple with their neighbours
        and are solved by a few Jacobi sweeps.
        """
        flat = data.ravel().copy()
        valid = np.isfinite(flat)
        m = self.coverage
        rows = np.repeat(np.arange(self.n), np.diff(m.indptr))
        own = self.owner.ravel()[m.indices] == rows + 1
        weight = m @ valid.astype(np.float64)
        goal = targets * weight if kind == "mean" else targets
        owner = self.owner.ravel()
        owned = (owner > 0) & valid
        for _ in range(iterations):
            values = np.where(valid, flat, 0.0)
            total = m @ values
            own_part = np.bincount(rows[own], weights=m.data[own] * values[m.indices[own]], minlength=self.n)
            with np.errstate(invalid="ignore", divide="ignore"):
                scale = np.where(own_part > 0, (goal - (total - own_part)) / own_part, 1.0)
            scale = np.maximum(np.nan_to_num(scale, nan=1.0), 0.0)
            flat[owned] *= scale[owner[owned] - 1]
            if np.max(np.abs(scale - 1.0)) < 1e-10:  # relative error left is below this
                break
        return flat.reshape(data.shape)

    def quantize(self, steps: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """Integer ``steps`` (rounded values, NaN invalid) nudged by one step on some of each city's owned
        cells so that its coverage-weighted mean comes within a step / (the city's cells) of ``targets``."""
        flat = steps.ravel().copy()
        valid = np.isfinite(flat)
        m = self.coverage
        residual = targets * (m @ valid.astype(np.float64)) - m @ np.where(valid, flat, 0.0)
        owner = self.owner.ravel()
        owned = np.flatnonzero((owner > 0) & valid)
        by_city = np.split(owned[np.argsort(owner[owned], kind="stable")],
                           np.cumsum(np.bincount(owner[owned] - 1, minlength=self.n))[:-1])
        for k, cells in enumerate(by_city):
            n = int(round(residual[k]))
            if n and len(cells):
                per_cell, extra = divmod(abs(n), len(cells))
                nudge = np.full(len(cells), per_cell, dtype=np.float64)
                nudge[:extra] += 1
                flat[cells] += np.sign(n) * nudge
        return flat.reshape(steps.shape)


# ------------------------------------------------------------------------------------------- writers
def _write_netcdf(path: Path, grid: RasterGrid, name: str, data: np.ndarray, *, var_attrs: dict,
                  global_attrs: dict, fill_value: float | None, north_to_south: bool = False, dtype: str = "f4",
                  lons: np.ndarray | None = None, encode=None) -> None:
    """A CF-style lat/lon NetCDF-4 file, latitude ascending (EDGAR, ACAG V5) or north to south (ACAG V6,
    CHAP). ``data`` is north-up on ``grid`` (or on ``lons`` columns); ``encode`` turns it into the stored
    values (CHAP's uint16 steps)."""
    import netCDF4

    lats = grid.lats_north_up() if north_to_south else grid.lats_north_up()[::-1]
    lons = grid.lons() if lons is None else lons
    with netCDF4.Dataset(path, "w", format="NETCDF4") as ds:
        ds.setncatts(global_attrs)
        ds.createDimension("lat", grid.height)
        ds.createDimension("lon", len(lons))
        lat = ds.createVariable("lat", "f8", ("lat",))
        lat.setncatts({"standard_name": "latitude", "long_name": "latitude", "units": "degrees_north"})
        lat[:] = np.round(lats, 6)
        lon = ds.createVariable("lon", "f8", ("lon",))
        lon.setncatts({"standard_name": "longitude", "long_name": "longitude", "units": "degrees_east"})
        lon[:] = np.round(lons, 6)
        var = ds.createVariable(name, dtype, ("lat", "lon"), zlib=True, complevel=4, shuffle=True,
                                fill_value=fill_value)
        var.setncatts(var_attrs)
        var.set_auto_maskandscale(False)  # values below are written as stored
        ordered = data if north_to_south else data[::-1]
        if encode is not None:
            stored = encode(ordered)
        else:
            stored = ordered.astype(np.float32)
            if fill_value is not None:
                stored = np.where(np.isnan(stored), np.float32(fill_value), stored)
        var[:, :] = stored


def _write_geotiff(path: Path, grid: RasterGrid, data: np.ndarray, *, nodata: float | None, tags: dict,
                   dtype: str = "float32", gz: bool = False) -> Path:
    """A tiled, deflated GeoTIFF; with ``gz`` the GeoTIFF gzipped as EOG serves it (``path`` + .gz)."""
    import rasterio
    from rasterio.io import MemoryFile

    profile = {
        "driver": "GTiff", "width": grid.width, "height": grid.height, "count": 1, "dtype": dtype,
        "crs": "EPSG:4326", "transform": grid.transform(), "nodata": nodata, "compress": "deflate",
        "predictor": 3 if dtype.startswith("float") else 2, "tiled": True, "blockxsize": 256, "blockysize": 256,
    }
    out = data if nodata is None else np.where(np.isnan(data), nodata, data)
    out = out.astype(dtype)
    if not gz:
        with rasterio.open(path, "w", **profile) as ds:
            ds.write(out, 1)
            ds.update_tags(**tags)
        return path
    with MemoryFile() as memory:
        with memory.open(**profile) as ds:
            ds.write(out, 1)
            ds.update_tags(**tags)
        raw = memory.read()
    target = path.with_name(path.name + ".gz")
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=6) as fh:
        fh.write(raw)
    target.write_bytes(buffer.getvalue())
    return target


def _write_edgar_text(path: Path, grid: RasterGrid, data: np.ndarray, year: int) -> None:
    """EDGAR's text grid: header lines, then ``lat;lon;emission YEAR (tons)`` for the non-zero cells, the
    coordinates being each cell's lower-left (south-west) corner as in the published files."""
    rows, cols = np.nonzero(data > 0)
    order = np.lexsort((cols, -rows))  # ascending latitude, then longitude
    rows, cols = rows[order], cols[order]
    south = grid.lats_north_up() - grid.res / 2
    west = grid.lons() - grid.res / 2
    lat_text = [f"{v:.2f}" for v in south]  # formatted once per grid row / column
    lon_text = [f"{v:.2f}" for v in west]
    body = "\n".join(f"{lat_text[r]};{lon_text[c]};{v:.8g}"
                     for r, c, v in zip(rows.tolist(), cols.tolist(), data[rows, cols].tolist()))
    header = (
        f"EDGAR v8.0 FT2022 Global Greenhouse Gas Emissions - CO2 (fossil) - TOTALS - {year}\n"
        "Gridmap 0.1 x 0.1 degree; lat and lon of the lower-left corner of each cell; cells without emissions omitted\n"
        f"lat;lon;emission {year} (tons)\n"
    )
    path.write_text(header + body + "\n", encoding="utf-8")


# -------------------------------------------------------------------------------------------- products
EDGAR_GLOBAL_ATTRS = {"Conventions": "CF-1.8", "institution": "European Commission, Joint Research Centre (JRC)",
                      "source": "EDGAR - Emissions Database for Global Atmospheric Research (sample layout)",
                      "comment": "dualcarbon sample world: synthetic values planted from the city panel"}


def write_edgar_file(layout: str, folder: Path, grid: RasterGrid, tonnes: np.ndarray, year: int) -> Path:
    """One year of EDGAR fossil CO2 TOTALS in ``layout`` from tonnes per cell (north-up on ``grid``)."""
    path = folder / edgar_co2.FILE_NAMES[layout].format(year=year)
    attrs = {**EDGAR_GLOBAL_ATTRS, "title": f"EDGAR CO2 {year} TOTALS ({layout})", "grid_resolution": "0.1 degree"}
    if layout == "text":
        _write_edgar_text(path, grid, tonnes, year)
        return path
    if layout == "v8_emi":
        _write_netcdf(path, grid, "emissions", tonnes, fill_value=None, global_attrs=attrs, var_attrs={
            "long_name": "Emissions", "units": "Tonnes", "substance": "CO2", "year": np.int32(year)})
        return path
    areas = geodesy.row_areas_m2(grid.north, grid.res, grid.height, grid.res)[:, None]
    flux = geodesy.tonnes_to_flux(tonnes, areas, year)
    if layout == "v8_flx":
        _write_netcdf(path, grid, "fluxes", flux, fill_value=None, global_attrs=attrs, var_attrs={
            "long_name": "Fluxes", "units": "kg m-2 s-1", "substance": "CO2", "year": np.int32(year)})
        return path
    # v6.0 style: every longitude 0..360 of the world's latitude rows (the grid is aligned on 0.1 degree)
    lons = (np.arange(int(round(360 / grid.res))) + 0.5) * grid.res
    wide = np.zeros((grid.height, len(lons)))
    first = int(round((grid.west % 360) / grid.res))
    wide[:, first:first + grid.width] = flux
    _write_netcdf(path, grid, "emi_co2", wide, fill_value=None, lons=lons, global_attrs={
        **attrs, "title": f"EDGARv6.0 CO2_excl_short-cycle_org_C {year} TOTALS"}, var_attrs={
        "long_name": "Emissions of CO2 - ", "units": "kg m-2 s-1",
        "standard_name": "tendency_of_atmosphere_mass_content_of_carbon_dioxide_due_to_emission"})
    return path


def planted_edgar(world: World, panel: pd.DataFrame, rng: np.random.Generator, cells_on: CellsCache):
    """(grid, [(year, tonnes per cell)]): each city's planted total on its owned cells, a background
    elsewhere, matched so the coverage-weighted city sums equal the panel's ``co2_t``."""
    grid = world.grid(world.spec.edgar_res)
    years = sorted(panel["year"].unique())
    co2 = _panel_matrix(world, panel, "co2_t", years)
    cells = cells_on(grid)
    density = np.exp(0.5 * smooth_field(grid, rng))
    owned = cells.owner > 0
    density_sum = np.bincount(cells.owner[owned] - 1, weights=density[owned], minlength=cells.n)
    share = np.zeros_like(density)
    share[owned] = density[owned] / density_sum[cells.owner[owned] - 1]  # sums to 1 over each city
    background = CO2_BACKGROUND_T * density * (world.spec.edgar_res / 0.1) ** 2
    out = []
    for t, year in enumerate(years):
        grid_t = np.where(owned, 0.0, background)
        grid_t[owned] = co2[t, cells.owner[owned] - 1] * share[owned]
        out.append((int(year), cells.match(grid_t, co2[t], "sum")))
    return grid, out


def _write_edgar(world: World, panel: pd.DataFrame, folder: Path, rng: np.random.Generator,
                 cells_on: CellsCache) -> list[Path]:
    grid, planted = planted_edgar(world, panel, rng, cells_on)
    return [write_edgar_file(planned("edgar_co2", year), folder, grid, tonnes, year) for year, tonnes in planted]


class CellsCache:
    """``CityCells`` per grid, built once per ``write_rasters`` call (EDGAR and PM2.5 often share a grid)."""

    def __init__(self, world: World):
        self.world = world
        self._cells: dict[RasterGrid, CityCells] = {}

    def __call__(self, grid: RasterGrid) -> CityCells:
        if grid not in self._cells:
            self._cells[grid] = CityCells(self.world, grid)
        return self._cells[grid]


def _spread_means(cells: CityCells, means: np.ndarray, pattern: np.ndarray, background: np.ndarray,
                  valid: np.ndarray | None = None) -> np.ndarray:
    """City mean x mean-one pattern on cells whose centre is in the city, ``background`` elsewhere,
    NaN off ``valid``; then matched to the coverage-weighted means (``CityCells.match``)."""
    ids = cells.centre
    norm = cells.per_city_mean(pattern, ids)
    inside = ids > 0
    out = background.copy()
    out[inside] = means[ids[inside] - 1] * pattern[inside] / norm[ids[inside] - 1]
    if valid is not None:
        out[~valid] = np.nan
    return cells.match(out, means, "mean")


PM25_GLOBAL_ATTRS = {"institution": "Atmospheric Composition Analysis Group (sample layout)",
                     "comment": "dualcarbon sample world: synthetic values planted from the city panel"}


def write_pm25_file(layout: str, folder: Path, grid: RasterGrid, data: np.ndarray, year: int,
                    cells: CityCells | None = None, means: np.ndarray | None = None) -> Path:
    """One year of annual mean PM2.5 (ug/m3, north-up, NaN off land) in ``layout``. For CHAP, ``cells``
    and ``means`` let the uint16 rounding be spread back so the city means stay as planted."""
    path = folder / pm25_source.FILE_NAMES[layout].format(year=year)
    if layout == "acag_v5":
        _write_netcdf(path, grid, "GWRPM25", data, fill_value=None, global_attrs={
            **PM25_GLOBAL_ATTRS, "title": f"V5.GL.02 annual mean surface PM2.5 {year} (Asia)"},
            var_attrs={"long_name": "Hybrid PM2.5 with geographically weighted regression", "units": "ug/m3"})
    elif layout == "acag_v6":
        _write_netcdf(path, grid, "PM25", data, fill_value=PM25_FILL, north_to_south=True, global_attrs={
            **PM25_GLOBAL_ATTRS, "title": f"V6.GL.02.04 annual mean surface PM2.5 {year} (AS)"},
            var_attrs={"long_name": "PM2.5 (CNN-calibrated)", "units": "ug/m3"})
    else:
        write_chap_file(path, grid, data, f"ChinaHighPM2.5 yearly 1 km {year} (sample layout)", cells, means)
    return path


def write_chap_file(path: Path, grid: RasterGrid, data: np.ndarray, title: str, cells: CityCells | None = None,
                    means: np.ndarray | None = None) -> Path:
    """A ChinaHighPM2.5 NetCDF (yearly ``Y1K`` or daily ``D1K``): ``PM2.5`` as uint16 steps of
    ``CHAP_SCALE``, ``_FillValue`` 65535 (NaN), north to south. With ``cells`` and ``means`` the rounding is
    spread back so the coverage-weighted city means stay as planted."""
    steps = np.round(data / CHAP_SCALE)
    if cells is not None and means is not None:
        steps = cells.quantize(steps, means / CHAP_SCALE)
    steps = np.where(np.isnan(steps), CHAP_FILL, np.clip(steps, 0, CHAP_FILL - 1))
    _write_netcdf(path, grid, "PM2.5", steps, fill_value=np.uint16(CHAP_FILL), north_to_south=True,
                  dtype="u2", encode=lambda v: v.astype(np.uint16), global_attrs={
                      "title": title, "institution": "ChinaHighAirPollutants (CHAP), sample layout",
                      "comment": "dualcarbon sample world: synthetic values planted from the city panel"},
                  var_attrs={"long_name": "PM2.5", "units": "ug/m3", "scale_factor": np.float32(CHAP_SCALE),
                             "add_offset": np.float32(0.0)})
    return path


def pm25_background(grid: RasterGrid, rng: np.random.Generator) -> np.ndarray:
    """PM2.5 away from the cities, ug/m3: 25 x exp(0.32 x a smooth field), positive everywhere (an additive
    25 + 8 x field went below zero where the field's waves add up, about -3.5 at worst, and the loader
    rightly refused the negative concentrations: seed 20240603 of the default world)."""
    return 25.0 * np.exp(0.32 * smooth_field(grid, rng, wavelength_deg=(5.0, 20.0)))


def planted_pm25(world: World, panel: pd.DataFrame, rng: np.random.Generator, cells_on: CellsCache):
    """(grid, cells, [(year, ug/m3 per cell (NaN off land), city means)]) matched to the panel's means."""
    grid = world.grid(world.spec.pm25_res)
    years = sorted(panel["year"].unique())
    pm25 = _panel_matrix(world, panel, "pm25_ugm3", years)
    pattern = np.exp(0.15 * smooth_field(grid, rng))
    background = pm25_background(grid, rng)
    cells = cells_on(grid)
    land = cells.land
    out = [(int(year), _spread_means(cells, pm25[t], pattern, background * (0.97 ** (year - years[0])), land),
            pm25[t]) for t, year in enumerate(years)]
    return grid, cells, out


def _write_pm25(world: World, panel: pd.DataFrame, folder: Path, rng: np.random.Generator,
                cells_on: CellsCache) -> list[Path]:
    grid, cells, planted = planted_pm25(world, panel, rng, cells_on)
    return [write_pm25_file(planned("pm25", year), folder, grid, data, year, cells, means)
            for year, data, means in planted]


def ntl_name(plan: NtlFile, year: int, layer: str) -> str:
    """The VNL file name (without .gz) of ``layer`` in ``year`` as ``plan`` serves it."""
    if plan.names_from_2023:
        return NTL_2023_NAME.format(year=year, stamp=plan.stamp, layer=layer)
    return ntl_source.FILE_NAMES[plan.layout].format(year=year, layer=layer, stamp=plan.stamp)


def write_ntl_files(plan: NtlFile, folder: Path, grid: RasterGrid, data: np.ndarray, year: int,
                    rng: np.random.Generator) -> list[Path]:
    """One year of lights as ``plan`` serves it: the average_masked radiance and its sibling layers."""
    tags = {"units": "nW/cm2/sr", "year": str(year)}
    files = [_write_geotiff(folder / ntl_name(plan, year, "average_masked"), grid, data, nodata=NTL_NODATA,
                            tags={**tags, "layer": "average_masked"}, gz=plan.gz)]
    for layer in plan.siblings:
        if layer == "cf_cvg":  # cloud-free observations per cell: a count
            values, dtype, nodata = rng.integers(5, 300, size=data.shape).astype(np.float64), "uint16", None
        elif layer == "lit_mask":
            values, dtype, nodata = (np.nan_to_num(data) > 1.0).astype(np.float64), "uint8", None
        else:  # another statistic of radiance
            values, dtype, nodata = data * 0.93, "float32", NTL_NODATA
        files.append(_write_geotiff(folder / ntl_name(plan, year, layer), grid, values, nodata=nodata,
                                    tags={"layer": layer, "year": str(year)}, dtype=dtype, gz=plan.gz))
    return files


def planted_ntl(world: World, panel: pd.DataFrame, rng: np.random.Generator, cells_on: CellsCache):
    """(grid, (year, radiance per cell) for each year) matched to the panel's city means, 2012 on. The
    years are planted one at a time as they are iterated (the draws are all taken here, before), so that
    memory holds one year of the full world's 15-arc-second grid (107 million cells) rather than all."""
    grid = world.grid(world.spec.ntl_res)
    lit = panel[panel["year"] >= NTL_FIRST_YEAR].dropna(subset=["ntl_nw"])
    years = sorted(lit["year"].unique())
    if not years:
        return grid, []
    ntl = _panel_matrix(world, lit, "ntl_nw", years)
    pattern = np.exp(0.4 * smooth_field(grid, rng, wavelength_deg=(0.5, 4.0)))
    background = 0.3 * np.exp(0.5 * smooth_field(grid, rng))
    cells = cells_on(grid)
    background[~cells.land] = 0.0  # the masked product zeroes unlit background and sea
    return grid, ((int(year), _spread_means(cells, ntl[t], pattern, background)) for t, year in enumerate(years))


def _write_ntl(world: World, panel: pd.DataFrame, folder: Path, rng: np.random.Generator,
               cells_on: CellsCache) -> list[Path]:
    grid, planted = planted_ntl(world, panel, rng, cells_on)
    files = []
    for year, data in planted:
        files += write_ntl_files(planned("ntl", year), folder, grid, data, year, rng)
    return files


def _dem_surface(world: World, grid: RasterGrid, rng: np.random.Generator) -> Callable[[int, int], np.ndarray]:
    """Elevation (m) on rows ``r0:r1`` of ``grid``, for one row of tiles at a time: at SRTM's 3
    arc-seconds a whole grid over China would be 3 billion cells. The noise is drawn row band after row
    band, the same numbers as one draw over the whole grid."""
    if world.spec.name == "tiny":
        lon = grid.lons()[None, :]
        # west high, east low (as in China), with hills
        ramp = 2500.0 / (1.0 + np.exp((lon - 112.0) / 1.5))
        whole = np.maximum(ramp + 400.0 + 300.0 * smooth_field(grid, rng, wavelength_deg=(0.5, 3.0)), 0.0)
        return lambda r0, r1: whole[r0:r1]
    import netCDF4
    from scipy.ndimage import distance_transform_edt, map_coordinates

    with netCDF4.Dataset(cnmaps_dem_path()) as ds:
        src = np.asarray(ds["dem"][:], dtype=np.float64)
        src_lat = np.asarray(ds["lat"][:], dtype=np.float64)
        src_lon = np.asarray(ds["lon"][:], dtype=np.float64)
    sea = ~np.isfinite(src) | (src > 1e30)
    _, (ii, jj) = distance_transform_edt(sea, return_indices=True)
    src = src[ii, jj]  # nearest land value, so coastal cells interpolate from land only
    lon = grid.lons()[None, :]
    cols = (lon - src_lon[0]) / (src_lon[1] - src_lon[0])

    lats = grid.lats_north_up()
    step = max(1, 20_000_000 // grid.width)  # rows interpolated at a time (their coordinates: 2 x 8 bytes a cell)

    def rows_of(r0: int, r1: int) -> np.ndarray:
        out = np.empty((r1 - r0, grid.width))
        for a in range(r0, r1, step):
            lat = lats[a:min(a + step, r1), None]
            rows = (lat - src_lat[0]) / (src_lat[1] - src_lat[0])
            part = map_coordinates(src, [rows * np.ones_like(lon), cols * np.ones_like(lat)], order=1, mode="nearest")
            out[a - r0:a - r0 + part.shape[0]] = part + rng.normal(0.0, 5.0, size=part.shape)
        return out

    return rows_of


def tile_grid(grid: RasterGrid) -> RasterGrid:
    """The smallest block of whole 5 x 5 degree SRTM tiles containing ``grid`` (same resolution)."""
    size = 5.0
    return RasterGrid(np.floor(grid.west / size) * size, np.floor(grid.south / size) * size,
                      np.ceil(grid.east / size) * size, np.ceil(grid.north / size) * size, grid.res)


def write_srtm_tiles(folder: Path, grid: RasterGrid, metres: np.ndarray) -> list[Path]:
    """SRTM-style tiles of ``metres`` (north-up on a ``tile_grid``, NaN = void/sea): int16, nodata -32768;
    a tile without a single land cell is not written."""
    per_tile = int(round(5.0 / grid.res))
    files = []
    for r0 in range(0, grid.height, per_tile):
        for c0 in range(0, grid.width, per_tile):
            block = metres[r0:r0 + per_tile, c0:c0 + per_tile]
            if np.isnan(block).all():
                continue
            west, north = grid.west + c0 * grid.res, grid.north - r0 * grid.res
            column, row = dem_source.srtm_tile(west + 2.5, north - 2.5)
            tile = RasterGrid(west, north - 5.0, west + 5.0, north, grid.res)
            path = folder / dem_source.FILE_NAMES["srtm_tiles"].format(column=column, row=row)
            files.append(_write_geotiff(path, tile, np.round(block), nodata=DEM_NODATA, dtype="int16",
                                        tags={"units": "m", "product": "SRTM-style 5x5 degree tile (sample)"}))
    return files


def _write_dem(world: World, folder: Path, rng: np.random.Generator) -> list[Path]:
    """SRTM-style tiles, one row of tiles at a time (its values, land mask and tiles), so the memory is a
    row of tiles whatever the resolution."""
    grid = tile_grid(world.grid(world.spec.dem_res))
    surface = _dem_surface(world, grid, rng)
    per_tile = int(round(5.0 / grid.res))
    files = []
    for r0 in range(0, grid.height, per_tile):
        r1 = min(r0 + per_tile, grid.height)
        band = RasterGrid(grid.west, grid.north - r1 * grid.res, grid.east, grid.north - r0 * grid.res, grid.res)
        data = surface(r0, r1)
        data[~land_cells(world, band)] = np.nan
        files += write_srtm_tiles(folder, band, data)
    return files


def write_rasters(world: World, city_panel: pd.DataFrame, out_dir: Path, *, seed: int,
                  products=PRODUCTS) -> list[Path]:
    """Write the raster products under ``out_dir/{edgar_co2,pm25,ntl,dem}/``; return the files written.

    ``city_panel``: adcode, year, co2_t (tonnes), pm25_ugm3 (city mean), ntl_nw (city mean, NaN before 2012).
    ``products``: the subset of ``PRODUCTS`` to write (default all); each product draws from its own
    stream, so its files are the same whether written alone or with the others.
    """
    unknown = [p for p in products if p not in PRODUCTS]
    if unknown:
        raise ValueError(f"unknown raster products {unknown}; choose among {list(PRODUCTS)}")
    missing = [c for c in PANEL_COLUMNS if c not in city_panel.columns]
    if missing:
        raise ValueError(f"city_panel lacks columns {missing}")
    panel = city_panel.assign(adcode=city_panel["adcode"].astype(str), year=city_panel["year"].astype(int))
    out_dir = Path(out_dir)
    folders = {name: out_dir / name for name in PRODUCTS if name in products}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    # one independent stream per product: adding draws to one product never shifts another
    streams = {name: np.random.default_rng([seed, k]) for k, name in enumerate(PRODUCTS)}
    cells_on = CellsCache(world)  # products on the same resolution share their city masks
    writers = {
        "edgar_co2": lambda: _write_edgar(world, panel, folders["edgar_co2"], streams["edgar_co2"], cells_on),
        "pm25": lambda: _write_pm25(world, panel, folders["pm25"], streams["pm25"], cells_on),
        "ntl": lambda: _write_ntl(world, panel, folders["ntl"], streams["ntl"], cells_on),
        "dem": lambda: _write_dem(world, folders["dem"], streams["dem"]),
    }
    return [path for name in PRODUCTS if name in folders for path in writers[name]()]
