"""Sample rasters in the real products' own file formats, planted from a city-year panel.

``write_rasters(world, city_panel, out_dir, seed=...)`` writes, under ``out_dir``:

* ``edgar_co2/EDGAR_2024_GHG_CO2_{year}_TOTALS_emi.nc`` for years <= 2019 and
  ``edgar_co2/v8.0_FT2022_GHG_CO2_{year}_TOTALS.txt`` for years >= 2020 (EDGAR's two formats);
* ``pm25/CHN_PM25_V6GL02_{year}01-{year}12.nc`` (ACAG / van Donkelaar style, ``_FillValue`` over sea);
* ``ntl/VNL_npp_{year}_average_masked.tif`` for the years with lights (VIIRS starts in 2012);
* ``dem/china_dem.tif`` (metres).

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
  coverage fractions from exactextract, as the loaders use -- equals the planted mean.
* DEM: the cnmaps 0.2-degree China DEM resampled bilinearly (sea filled from the nearest land cell
  first) plus small deterministic noise; the tiny world uses a synthetic smooth relief instead.

Everything is a function of (world, panel, seed): same inputs give byte-identical files (no dates,
history or library-chosen timestamps in the files).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ingestion.sample.geography import RasterGrid, World, cnmaps_dem_path

EDGAR_NETCDF_LAST_YEAR = 2019  # EDGAR years up to this one are written as NetCDF, later ones as .txt
NTL_FIRST_YEAR = 2012
PM25_FILL = -999.0
NTL_NODATA = -999.0
DEM_NODATA = -32768.0
CO2_BACKGROUND_T = 20.0  # tonnes per 0.1-degree cell outside whole-city cells (roads, villages, ships)

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
    """Which cells belong to which city on one grid, and the exact coverage fractions (exactextract).

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


# ------------------------------------------------------------------------------------------- writers
def _write_netcdf(path: Path, grid: RasterGrid, name: str, data: np.ndarray, *, var_attrs: dict,
                  global_attrs: dict, fill_value: float | None) -> None:
    """A CF-style lat/lon NetCDF-4 file with ascending latitude (as EDGAR and ACAG publish)."""
    import netCDF4

    lats = grid.lats_north_up()[::-1]
    with netCDF4.Dataset(path, "w", format="NETCDF4") as ds:
        ds.setncatts(global_attrs)
        ds.createDimension("lat", grid.height)
        ds.createDimension("lon", grid.width)
        lat = ds.createVariable("lat", "f8", ("lat",))
        lat.setncatts({"standard_name": "latitude", "long_name": "latitude", "units": "degrees_north"})
        lat[:] = np.round(lats, 6)
        lon = ds.createVariable("lon", "f8", ("lon",))
        lon.setncatts({"standard_name": "longitude", "long_name": "longitude", "units": "degrees_east"})
        lon[:] = np.round(grid.lons(), 6)
        var = ds.createVariable(name, "f4", ("lat", "lon"), zlib=True, complevel=4, shuffle=True,
                                fill_value=fill_value)
        var.setncatts(var_attrs)
        flipped = data[::-1].astype(np.float32)
        if fill_value is not None:
            flipped = np.where(np.isnan(flipped), np.float32(fill_value), flipped)
        var[:, :] = flipped


def _write_geotiff(path: Path, grid: RasterGrid, data: np.ndarray, *, nodata: float, tags: dict) -> None:
    import rasterio

    profile = {
        "driver": "GTiff", "width": grid.width, "height": grid.height, "count": 1, "dtype": "float32",
        "crs": "EPSG:4326", "transform": grid.transform(), "nodata": nodata, "compress": "deflate",
        "predictor": 3, "tiled": True, "blockxsize": 256, "blockysize": 256,
    }
    out = np.where(np.isnan(data), nodata, data).astype(np.float32)
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(out, 1)
        ds.update_tags(**tags)


def _write_edgar_text(path: Path, grid: RasterGrid, data: np.ndarray, year: int) -> None:
    """EDGAR's text grid: header lines, then ``lat;lon;emission YEAR (tons)`` for non-zero cells."""
    rows, cols = np.nonzero(data > 0)
    order = np.lexsort((cols, -rows))  # ascending latitude, then longitude
    rows, cols = rows[order], cols[order]
    lat_text = [f"{v:.2f}" for v in grid.lats_north_up()]  # formatted once per grid row / column
    lon_text = [f"{v:.2f}" for v in grid.lons()]
    body = "\n".join(f"{lat_text[r]};{lon_text[c]};{v:.6g}"
                     for r, c, v in zip(rows.tolist(), cols.tolist(), data[rows, cols].tolist()))
    header = (
        "EDGAR v8.0 Global Greenhouse Gas Emissions (FT2022 fast track)\n"
        f"Substance: CO2 (fossil) - Sector: TOTALS - Year: {year}\n"
        "Grid: 0.1 x 0.1 degree, WGS84; coordinates are cell centres; cells without emissions are omitted\n"
        "Sample written by dualcarbon (synthetic values, published layout)\n"
        f"lat;lon;emission {year} (tons)\n"
    )
    path.write_text(header + body + "\n", encoding="utf-8")


# -------------------------------------------------------------------------------------------- products
def _write_edgar(world: World, panel: pd.DataFrame, folder: Path, rng: np.random.Generator,
                 cells_on: CellsCache) -> list[Path]:
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
    files = []
    for t, year in enumerate(years):
        grid_t = np.where(owned, 0.0, background)
        grid_t[owned] = co2[t, cells.owner[owned] - 1] * share[owned]
        grid_t = cells.match(grid_t, co2[t], "sum")
        if year <= EDGAR_NETCDF_LAST_YEAR:
            path = folder / f"EDGAR_2024_GHG_CO2_{year}_TOTALS_emi.nc"
            _write_netcdf(path, grid, "emissions", grid_t, fill_value=None, var_attrs={
                "long_name": "Emissions", "units": "Tonnes", "substance": "CO2", "sector": "TOTALS",
                "year": np.int32(year)}, global_attrs={
                "Conventions": "CF-1.8", "title": f"EDGAR v8.0 CO2 emissions {year} TOTALS",
                "institution": "European Commission, Joint Research Centre (JRC)",
                "source": "EDGAR - Emissions Database for Global Atmospheric Research (sample layout)",
                "comment": "dualcarbon sample world: synthetic values planted from the city panel",
                "grid_resolution": "0.1 degree"})
        else:
            path = folder / f"v8.0_FT2022_GHG_CO2_{year}_TOTALS.txt"
            _write_edgar_text(path, grid, grid_t, year)
        files.append(path)
    return files


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


def _write_pm25(world: World, panel: pd.DataFrame, folder: Path, rng: np.random.Generator,
                cells_on: CellsCache) -> list[Path]:
    grid = world.grid(world.spec.pm25_res)
    years = sorted(panel["year"].unique())
    pm25 = _panel_matrix(world, panel, "pm25_ugm3", years)
    pattern = np.exp(0.15 * smooth_field(grid, rng))
    background = 25.0 + 8.0 * smooth_field(grid, rng, wavelength_deg=(5.0, 20.0))
    cells = cells_on(grid)
    land = cells.land
    files = []
    for t, year in enumerate(years):
        data = _spread_means(cells, pm25[t], pattern, background * (0.97 ** (year - years[0])), land)
        path = folder / f"CHN_PM25_V6GL02_{year}01-{year}12.nc"
        _write_netcdf(path, grid, "PM25", data, fill_value=PM25_FILL, var_attrs={
            "long_name": "annual mean surface PM2.5", "units": "ug/m3"}, global_attrs={
            "Conventions": "CF-1.6", "title": f"Annual mean surface PM2.5 over China, {year}",
            "institution": "Atmospheric Composition Analysis Group (sample layout)",
            "source": "V6.GL.02 style: satellite AOD, GEOS-Chem, ground-based GWR (synthetic sample)",
            "comment": "dualcarbon sample world: synthetic values planted from the city panel"})
        files.append(path)
    return files


def _write_ntl(world: World, panel: pd.DataFrame, folder: Path, rng: np.random.Generator,
               cells_on: CellsCache) -> list[Path]:
    grid = world.grid(world.spec.ntl_res)
    lit = panel[panel["year"] >= NTL_FIRST_YEAR].dropna(subset=["ntl_nw"])
    years = sorted(lit["year"].unique())
    if not years:
        return []
    ntl = _panel_matrix(world, lit, "ntl_nw", years)
    pattern = np.exp(0.4 * smooth_field(grid, rng, wavelength_deg=(0.5, 4.0)))
    background = 0.3 * np.exp(0.5 * smooth_field(grid, rng))
    cells = cells_on(grid)
    background[~cells.land] = 0.0  # the masked product zeroes unlit background and sea
    files = []
    for t, year in enumerate(years):
        data = _spread_means(cells, ntl[t], pattern, background)
        path = folder / f"VNL_npp_{year}_average_masked.tif"
        _write_geotiff(path, grid, data, nodata=NTL_NODATA, tags={
            "product": "VIIRS VNL V2 annual average_masked (sample layout)", "units": "nW/cm2/sr",
            "year": str(year)})
        files.append(path)
    return files


def _dem_values(world: World, grid: RasterGrid, rng: np.random.Generator) -> np.ndarray:
    lon = grid.lons()[None, :]
    lat = grid.lats_north_up()[:, None]
    if world.spec.name == "tiny":
        # west high, east low (as in China), with hills
        ramp = 2500.0 / (1.0 + np.exp((lon - 112.0) / 1.5))
        return np.maximum(ramp + 400.0 + 300.0 * smooth_field(grid, rng, wavelength_deg=(0.5, 3.0)), 0.0)
    import netCDF4
    from scipy.ndimage import distance_transform_edt, map_coordinates

    with netCDF4.Dataset(cnmaps_dem_path()) as ds:
        src = np.asarray(ds["dem"][:], dtype=np.float64)
        src_lat = np.asarray(ds["lat"][:], dtype=np.float64)
        src_lon = np.asarray(ds["lon"][:], dtype=np.float64)
    sea = ~np.isfinite(src) | (src > 1e30)
    _, (ii, jj) = distance_transform_edt(sea, return_indices=True)
    src = src[ii, jj]  # nearest land value, so coastal cells interpolate from land only
    rows = (lat - src_lat[0]) / (src_lat[1] - src_lat[0]) * np.ones_like(lon)
    cols = (lon - src_lon[0]) / (src_lon[1] - src_lon[0]) * np.ones_like(lat)
    out = map_coordinates(src, [rows, cols], order=1, mode="nearest")
    return out + rng.normal(0.0, 5.0, size=out.shape)


def _write_dem(world: World, folder: Path, rng: np.random.Generator, cells_on: CellsCache) -> list[Path]:
    grid = world.grid(world.spec.dem_res)
    data = _dem_values(world, grid, rng)
    data[~cells_on(grid).land] = np.nan
    path = folder / "china_dem.tif"
    _write_geotiff(path, grid, data, nodata=DEM_NODATA, tags={"units": "m", "product": "elevation (sample)"})
    return [path]


def write_rasters(world: World, city_panel: pd.DataFrame, out_dir: Path, *, seed: int) -> list[Path]:
    """Write the four raster products under ``out_dir/{edgar_co2,pm25,ntl,dem}/``; return the files written.

    ``city_panel``: adcode, year, co2_t (tonnes), pm25_ugm3 (city mean), ntl_nw (city mean, NaN before 2012).
    """
    missing = [c for c in PANEL_COLUMNS if c not in city_panel.columns]
    if missing:
        raise ValueError(f"city_panel lacks columns {missing}")
    panel = city_panel.assign(adcode=city_panel["adcode"].astype(str), year=city_panel["year"].astype(int))
    out_dir = Path(out_dir)
    folders = {name: out_dir / name for name in PRODUCTS}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    # one independent stream per product: adding draws to one product never shifts another
    streams = {name: np.random.default_rng([seed, k]) for k, name in enumerate(PRODUCTS)}
    cells_on = CellsCache(world)  # products on the same resolution share their city masks
    return [
        *_write_edgar(world, panel, folders["edgar_co2"], streams["edgar_co2"], cells_on),
        *_write_pm25(world, panel, folders["pm25"], streams["pm25"], cells_on),
        *_write_ntl(world, panel, folders["ntl"], streams["ntl"], cells_on),
        *_write_dem(world, folders["dem"], streams["dem"], cells_on),
    ]
