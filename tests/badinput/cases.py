"""The bad-input cases: for every loader, the ways its files break in practice (the issue's list, where it
applies to the loader's format), each with the words its one error message must contain.

A case copies one source folder of the tiny world, changes one thing (``apply``) and says what must
happen: rejected with one message naming the file (``file``), the location (``where``) and the problem
(``words``), or -- for real-world spellings the parsers accept ('2019年', '1,234', a unit the header
converts) -- accepted with the values it must give (``values``, computed from the intact folder).

Row numbers are those a user sees: the line of a CSV, the row of a worksheet (title rows included).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import openpyxl

from ingestion.sample.geography import WORLDS
from tests.badinput import edits as e

# the tiny world's years: sheets and files are named for them (the first sheet is FIRST's)
YEARS = WORLDS["tiny"].years
FIRST = YEARS[0]


def sheet(year: int) -> int:
    """The position of a year's sheet in the tiny world's workbooks (one sheet per year)."""
    return YEARS.index(year)

# what the issue lists, as the categories of the summary table
ISSUES = {
    "corrupt": "truncated or corrupt file",
    "crs": "missing or wrong CRS",
    "coverage": "raster not covering the cities",
    "nodata": "all-nodata band, NaN cells",
    "negative": "negative or missing values",
    "columns": "renamed or missing columns",
    "duplicate": "duplicated city-years (keys)",
    "names": "unknown city or province names",
    "encoding": "GBK data labelled UTF-8, mixed or binary bytes",
    "excel": "Excel with merged header rows",
    "formats": "'2019年' and '1,234' values",
    "unit": "unit mismatches (万元 vs 亿元 ...)",
    "empty": "empty file, header without rows",
    "quantity": "right layout, wrong quantity (substance, sector, layer, statistic, period)",
    "other": "loader-specific (dates, file names, years)",
}


@dataclass(frozen=True)
class Case:
    id: str
    source: str
    issue: str  # key of ISSUES
    broken: str  # what was done to the file, in words
    file: str  # the changed file, relative to the source folder (the message must name it)
    apply: Callable[[Path], None] = field(repr=False)  # changes the copied source folder
    words: tuple = ()  # the problem: the message contains each (a function of the intact folder: this world's)
    where: tuple = ()  # the location: the message contains each (same)
    values: Callable[[Path], list[dict]] | None = field(default=None, repr=False)  # accepted: expected values

    @property
    def accepted(self) -> bool:
        return self.values is not None

    def expected_text(self, folder: Path) -> tuple[list[str], list[str]]:
        """``words`` and ``where`` with the entries that depend on the world (functions of the intact
        source folder, e.g. the code of the city a row holds) evaluated on ``folder``."""
        def text(items):
            return [item(folder) if callable(item) else item for item in items]

        return text(self.words), text(self.where)

    def record(self, values: list[dict] | None, expected: tuple[list[str], list[str]] | None = None) -> dict:
        """The case as cases.json holds it (no functions): ``expected`` from :meth:`expected_text`."""
        out = {"id": self.id, "source": self.source, "issue": self.issue, "broken": self.broken,
               "file": f"{self.source}/{self.file}", "expect": "accepted" if self.accepted else "rejected"}
        if self.accepted:
            out["values"] = values
        else:
            out["words"], out["where"] = expected or (list(self.words), list(self.where))
        return out


CASES: list[Case] = []


def case(id, source, issue, broken, file, apply, words=(), where=(), values=None) -> None:
    assert issue in ISSUES, issue
    CASES.append(Case(id, source, issue, broken, file, apply, tuple(words), tuple(where), values))


def empty_file(prefix: str, source: str, file: str, what: str) -> None:
    case(f"{prefix}-empty", source, "empty", f"a 0-byte {what}", file, lambda d: e.empty(at(d, file)),
         ["the file is empty"], ["0 bytes"])


def text_table_breaks(prefix: str, source: str, file: str, what: str = "CSV") -> None:
    """What every CSV export meets: empty, a header without rows, cut mid-line, GBK behind a UTF-8 BOM."""
    empty_file(prefix, source, file, what)
    case(f"{prefix}-header-only", source, "empty", f"the {what}'s header without any rows", file,
         lambda d: e.header_only(at(d, file)), ["no data rows"], ["below the header"])
    case(f"{prefix}-truncated", source, "corrupt", f"the {what} cut in the middle of a line", file,
         lambda d: e.cut_mid_line(at(d, file)), ["truncated"], ["line"])
    case(f"{prefix}-gbk-labelled-utf8", source, "encoding", f"the {what} in GBK behind a UTF-8 byte-order mark",
         file, lambda d: e.gbk(at(d, file), bom=True), ["UTF-8 byte-order mark", "not UTF-8"], ["line 1"])
    case(f"{prefix}-utf16", source, "encoding", f"the {what} re-saved as UTF-16 (Excel's 'Unicode text')", file,
         lambda d: e.utf16(at(d, file)), ["UTF-16 text"], ["byte 1"])


def workbook_breaks(prefix: str, source: str, file: str, sheet: str, keys: int, group: str) -> None:
    """What every xlsx meets: cut short, empty, its first sheet without rows or with a two-row merged header
    (``keys`` key columns merged over both rows, ``group`` over the others)."""
    case(f"{prefix}-corrupt", source, "corrupt", "the workbook cut to a third of its bytes", file,
         lambda d: e.truncate(at(d, file)), ["not a readable .xlsx workbook"], ["whole file"])
    empty_file(prefix, source, file, "workbook")
    case(f"{prefix}-header-only", source, "empty", f"sheet {sheet!r} with its header but no rows", file,
         lambda d: e.edit_xlsx(at(d, file), e.xlsx_header_only(0)), ["no data rows"],
         [f"sheet {sheet!r}, below the header"])
    case(f"{prefix}-merged-header", source, "excel", f"sheet {sheet!r} with a two-row merged header", file,
         lambda d: e.edit_xlsx(at(d, file), e.xlsx_merged_header(0, keys=keys, group=group)),
         ["no header label", "merged"], [f"sheet {sheet!r}, row 3"])


def raster_breaks(prefix: str, source: str, file: str, signature: bytes) -> None:
    """What every raster download meets: cut short, something else under its name, empty."""
    case(f"{prefix}-truncated", source, "corrupt", f"{file} cut to a third of its bytes", file,
         lambda d: e.truncate(at(d, file)), ["cannot be opened as a raster", "truncated"], ["whole file"])
    case(f"{prefix}-corrupt", source, "corrupt", f"{file} replaced by its format's signature and noise", file,
         lambda d: e.garbage(at(d, file), signature), ["cannot be opened as a raster"], ["whole file"])
    empty_file(prefix, source, file, "raster")


def at(folder: Path, name: str) -> Path:
    return folder / name


def value(table: str, key: dict, column: str, expected) -> dict:
    return {"table": table, "key": key, "column": column, "value": expected}


def xlsx_value(path: Path, sheet: int, row: int, col: int):
    return openpyxl.load_workbook(path, read_only=True).worksheets[sheet].cell(row=row, column=col).value


# ================================================================================================ boundaries
GEOJSON = "tiny_cities_utm50n.geojson"


def _features(edit):
    return lambda d: e.edit_geojson(at(d, GEOJSON), edit)


def _set_property(feature: int, key: str, new):
    def edit(data):
        data["features"][feature]["properties"][key] = new
    return edit


def _rename_property(old: str, new: str):
    def edit(data):
        for f in data["features"]:
            f["properties"][new] = f["properties"].pop(old)
    return edit


def _set_crs(name: str):
    def edit(data):
        data["crs"]["properties"]["name"] = name
    return edit


def _null_geometry(feature: int):
    def edit(data):
        data["features"][feature]["geometry"] = None
    return edit


case("boundaries-no-crs", "boundaries", "crs", "the crs member of the GeoJSON removed (UTM metres read as degrees)",
     GEOJSON, _features(lambda data: data.pop("crs")), ["are not degrees", "CRS"], ["CRS"])
case("boundaries-degrees-labelled-utm", "boundaries", "crs",
     "coordinates converted to longitude/latitude while the file still declares UTM zone 50N", GEOJSON,
     _features(e.geojson_to_degrees_keeping_label), ["outside China", "CRS is missing or wrong"], ["CRS"])
case("boundaries-wrong-utm-zone", "boundaries", "crs", "CRS declared as UTM zone 10N instead of 50N", GEOJSON,
     _features(_set_crs("urn:ogc:def:crs:EPSG::32610")), ["outside China", "EPSG:32610"], ["CRS"])
case("boundaries-bad-adcode", "boundaries", "names", "adcode 110100 written as 11010X", GEOJSON,
     lambda d: e.replace_text(at(d, GEOJSON), '"110100"', '"11010X"'), ["not a 6-digit adcode"],
     ["feature 1", "column adcode"])
case("boundaries-missing-adcode", "boundaries", "columns", "the adcode property renamed to id", GEOJSON,
     _features(_rename_property("adcode", "id")), ["no adcode column", "looked for"], ["fields"])
case("boundaries-missing-name", "boundaries", "columns", "the name property renamed to city_name", GEOJSON,
     _features(_rename_property("name", "city_name")), ["no name column"], ["fields"])
case("boundaries-duplicate-adcode", "boundaries", "duplicate", "feature 2 carries the adcode of feature 1",
     GEOJSON, _features(_set_property(1, "adcode", "110100")), ["rows share a key", "110100"],
     ["feature 1", "feature 2"])
case("boundaries-null-geometry", "boundaries", "nodata", "feature 3 without geometry", GEOJSON,
     _features(_null_geometry(2)), ["empty geometry"], ["feature 3"])
case("boundaries-truncated", "boundaries", "corrupt", "the GeoJSON cut after half its bytes", GEOJSON,
     lambda d: e.truncate(at(d, GEOJSON), 0.5), ["not a readable vector file"], ["whole file"])

SHAPEFILE = "tiny_cities_albers_gbk.shp"  # GBK .dbf, no .cpg: the encoding is detected from its bytes


def _cpg(code_page: str):
    return lambda d: at(d, "tiny_cities_albers_gbk.cpg").write_text(code_page, encoding="ascii")


case("boundaries-wrong-code-page", "boundaries", "encoding", "a .cpg declaring ISO-8859-1 beside the GBK .dbf",
     SHAPEFILE, _cpg("ISO-8859-1"), ["is garbled", "GBK text read as Latin-1"], ["feature 1", "column name"])
case("boundaries-gbk-code-page", "boundaries", "encoding", "a .cpg declaring GBK beside the GBK .dbf", SHAPEFILE,
     _cpg("GBK"), values=lambda d: [value("city_boundaries", {"adcode": "370200"}, "name_zh", "青岛市")])
empty_file("boundaries", "boundaries", GEOJSON, "GeoJSON")

# ================================================================================================ edgar_co2
NC15 = "EDGAR_2024_GHG_CO2_2015_TOTALS_emi.nc"  # the v8 layout in tonnes per cell
FLX13 = "EDGAR_2024_GHG_CO2_2013_TOTALS_flx.nc"  # the v8 flux twin (kg m-2 s-1)
TXT20 = "v8.0_FT2022_GHG_CO2_2020_TOTALS.txt"


def _centre_cell(values: np.ndarray, new: float) -> np.ndarray:
    values = values.copy()
    values[values.shape[0] // 2, values.shape[1] // 2] = new
    return values


def _edgar_txt_line(line: int, change: Callable[[str], str]):
    def apply(d):
        lines = at(d, TXT20).read_text(encoding="utf-8").splitlines(keepends=True)
        lines[line - 1] = change(lines[line - 1])
        at(d, TXT20).write_text("".join(lines), encoding="utf-8")
    return apply


def _negate_value(line: str) -> str:
    lat, lon, v = line.strip().split(";")
    return f"{lat};{lon};-{v}\n"


def _nan_value(line: str) -> str:
    lat, lon, _ = line.strip().split(";")
    return f"{lat};{lon};nan\n"


def _edgar_txt_as_2019(d):
    text = at(d, TXT20).read_text(encoding="utf-8").replace("2020", "2019")
    at(d, "v8.0_FT2022_GHG_CO2_2019_TOTALS.txt").write_text(text, encoding="utf-8")


def _edgar_instead(new_name: str, substance: str | None = None):
    """The 2015 file replaced by another substance's or sector's file of the same release (renamed, with
    the attribute the release writes)."""
    def apply(d):
        at(d, NC15).rename(at(d, new_name))
        if substance:
            e.edit_netcdf(at(d, new_name), lambda ds: ds["emissions"].setncattr("substance", substance))
    return apply


case("edgar-negative-netcdf", "edgar_co2", "negative", "one cell of the 2015 NetCDF set to -10 t", NC15,
     lambda d: e.edit_netcdf(at(d, NC15), e.netcdf_values("emissions", lambda v: _centre_cell(v, -10.0))),
     ["negative value -10.0", "emissions cannot be negative"], ["band 1", "cell at lat"])
case("edgar-nan-netcdf", "edgar_co2", "nodata", "one cell over a city set to NaN in the 2015 NetCDF", NC15,
     lambda d: e.edit_netcdf(at(d, NC15), e.netcdf_values("emissions", lambda v: _centre_cell(v, np.nan))),
     ["NaN or nodata cells", "a missing cell is not zero"], ["band 1", "city "])
case("edgar-wrong-variable", "edgar_co2", "columns", "the variable emissions renamed to emi", NC15,
     lambda d: e.rewrite_netcdf(at(d, NC15), "emissions", rename="emi"), ["no variable 'emissions'", "found"],
     ["variables"])
case("edgar-not-covering", "edgar_co2", "coverage", "longitudes of the 2015 grid shifted by 60 degrees", NC15,
     lambda d: e.edit_netcdf(at(d, NC15), e.netcdf_shift_lon(60.0)), ["does not cover any of the cities"],
     ["raster bounds"])
case("edgar-partial-cover", "edgar_co2", "coverage", "the 2015 grid cropped to its western half", NC15,
     lambda d: e.rewrite_netcdf(at(d, NC15), "emissions", lon_slice=slice(0, 31)),
     ["does not cover", "of 20 cities"], ["band 1"])
case("edgar-all-nodata", "edgar_co2", "nodata", "every cell of the 2015 grid NaN", NC15,
     lambda d: e.edit_netcdf(at(d, NC15), e.netcdf_values("emissions", lambda v: np.full_like(v, np.nan))),
     ["every cell over the cities is nodata or NaN"], ["band 1"])
case("edgar-txt-negative", "edgar_co2", "negative", "line 9 of the 2020 text grid with a negative emission", TXT20,
     _edgar_txt_line(9, _negate_value), ["negative emission", "emissions cannot be negative"], ["line 9"])
case("edgar-txt-nan", "edgar_co2", "negative", "line 12 of the 2020 text grid with 'nan' as the emission", TXT20,
     _edgar_txt_line(12, _nan_value), [";nan'", "three numbers"], ["line 12"])
case("edgar-txt-truncated", "edgar_co2", "corrupt", "the 2020 text grid cut in the middle of a line", TXT20,
     lambda d: e.cut_mid_line(at(d, TXT20)), ["three numbers", "truncated"], ["line"])
case("edgar-same-year-twice", "edgar_co2", "duplicate", "2019 given as NetCDF and as a text grid",
     "v8.0_FT2022_GHG_CO2_2019_TOTALS.txt", _edgar_txt_as_2019, ["year 2019", "same year in two formats"], ["band 1"])
case("edgar-biogenic", "edgar_co2", "quantity", "the 2015 fossil CO2 file replaced by the CO2bio (biogenic) one",
     "EDGAR_2024_GHG_CO2bio_2015_TOTALS_emi.nc",
     _edgar_instead("EDGAR_2024_GHG_CO2bio_2015_TOTALS_emi.nc", substance="CO2bio"),
     ["holds substance CO2bio (biogenic CO2", "where substance CO2 (fossil CO2) is expected"], ["substance"])
case("edgar-methane", "edgar_co2", "quantity", "the 2015 CO2 file replaced by the CH4 one",
     "EDGAR_2024_GHG_CH4_2015_TOTALS_emi.nc", _edgar_instead("EDGAR_2024_GHG_CH4_2015_TOTALS_emi.nc", substance="CH4"),
     ["holds substance CH4 (methane)", "fossil CO2"], ["substance"])
case("edgar-one-sector", "edgar_co2", "quantity", "the 2015 TOTALS file replaced by the power-industry (ENE) one",
     "EDGAR_2024_GHG_CO2_2015_ENE_emi.nc", _edgar_instead("EDGAR_2024_GHG_CO2_2015_ENE_emi.nc"),
     ["holds sector ENE (the ENE sector only)", "where sector TOTALS (all sectors) is expected"], ["file name"])
case("edgar-renamed-biogenic", "edgar_co2", "quantity", "a CO2bio file renamed as the 2015 CO2 file (its attribute "
     "says CO2bio)", NC15, lambda d: e.edit_netcdf(at(d, NC15), lambda ds: ds["emissions"].setncattr("substance",
                                                                                                       "CO2bio")),
     ["holds substance CO2bio", "fossil CO2"], ["attribute substance"])
case("edgar-flux-unit", "edgar_co2", "unit", "the 2013 flux file's unit changed to g m-2 s-1", FLX13,
     lambda d: e.edit_netcdf(at(d, FLX13), lambda ds: ds["fluxes"].setncattr("units", "g m-2 s-1")),
     ["unit 'g m-2 s-1' where kg m-2 s-1 is expected"], ["attribute units"])

raster_breaks("edgar", "edgar_co2", NC15, b"CDF\x01")

# ================================================================================================ pm25
PM14 = "V6GL02.04.CNNPM25.AS.201401-201412.nc"  # ACAG V6, variable PM25, latitude north to south
PM12 = "V5GL02.HybridPM25.Asia.201201-201212.nc"  # ACAG V5, variable GWRPM25
PM19 = "CHAP_PM2.5_Y1K_2019_V4.nc"  # ChinaHighPM2.5, uint16 with scale_factor


def _pm25_fill_west(v):
    return e.west_half(v, -999.0)


def _rename(old: str, new: str):
    return lambda d: at(d, old).rename(at(d, new))


case("pm25-damaged-header", "pm25", "corrupt", "the 2014 NetCDF replaced by 'CDF\\x01garbage'", PM14,
     lambda d: at(d, PM14).write_bytes(b"CDF\x01garbage"), ["cannot be opened as a raster"], ["whole file"])
case("pm25-wrong-variable", "pm25", "columns", "the variable PM25 renamed to pm2_5", PM14,
     lambda d: e.rewrite_netcdf(at(d, PM14), "PM25", rename="pm2_5", fill_value=-999.0),
     ["no variable 'PM25'", "pm2_5"], ["variables"])
case("pm25-not-covering", "pm25", "coverage", "longitudes of the 2014 grid shifted by 60 degrees", PM14,
     lambda d: e.edit_netcdf(at(d, PM14), e.netcdf_shift_lon(60.0)), ["does not cover any of the cities"],
     ["raster bounds"])
case("pm25-partial-cover", "pm25", "coverage", "the western half of the 2014 grid set to the fill value", PM14,
     lambda d: e.edit_netcdf(at(d, PM14), e.netcdf_values("PM25", _pm25_fill_west)),
     ["does not cover", "of 20 cities"], ["band 1"])
case("pm25-all-nodata", "pm25", "nodata", "every cell of the 2014 grid set to the fill value -999", PM14,
     lambda d: e.edit_netcdf(at(d, PM14), e.netcdf_values("PM25", lambda v: np.full_like(v, -999.0))),
     ["every cell over the cities is nodata or NaN"], ["band 1"])
case("pm25-undeclared-fill", "pm25", "negative", "-999 over the western half and no _FillValue declared", PM14,
     lambda d: e.rewrite_netcdf(at(d, PM14), "PM25", fill_value=False, values=_pm25_fill_west),
     ["negative value -999.0", "undeclared nodata"], ["band 1", "cell at lat"])
case("pm25-same-year-twice", "pm25", "duplicate", "a second file for 2019 (a browser's re-download)",
     "CHAP_PM2.5_Y1K_2019_V4 (1).nc",
     lambda d: at(d, "CHAP_PM2.5_Y1K_2019_V4 (1).nc").write_bytes(at(d, PM19).read_bytes()),
     ["year 2019 of pm25 is already given by"], ["band 1"])
case("pm25-several-years", "pm25", "other", "the 2014 file named for 2014-2015", "V6GL02.04.CNNPM25.AS.201401-201512.nc",
     _rename(PM14, "V6GL02.04.CNNPM25.AS.201401-201512.nc"), ["spans several years"], ["file name"])
case("pm25-chap-daily", "pm25", "quantity", "the 2019 yearly CHAP file replaced by a daily one (D1K)",
     "CHAP_PM2.5_D1K_20190101_V4.nc", _rename(PM19, "CHAP_PM2.5_D1K_20190101_V4.nc"),
     ["holds period daily (daily mean (20190101))", "where period annual (annual mean) is expected"], ["file name"])
case("pm25-acag-monthly", "pm25", "quantity", "the 2012 annual ACAG file replaced by the January one",
     "V5GL02.HybridPM25.Asia.201201-201201.nc", _rename(PM12, "V5GL02.HybridPM25.Asia.201201-201201.nc"),
     ["holds period monthly", "period annual"], ["file name"])
case("pm25-standard-deviation", "pm25", "quantity", "the 2014 variable's long_name says it is the standard deviation",
     PM14, lambda d: e.edit_netcdf(at(d, PM14), lambda ds: ds["PM25"].setncattr(
         "long_name", "Standard deviation of annual PM2.5")),
     ["holds statistic standard deviation", "where statistic mean (mean concentration) is expected"], ["variable 'PM25'"])
case("pm25-count-layer", "pm25", "quantity", "the 2012 file holding only a GWRPM25_N count layer", PM12,
     lambda d: e.rewrite_netcdf(at(d, PM12), "GWRPM25", rename="GWRPM25_N", fill_value=-999.0),
     ["holds statistic count", "statistic mean"], ["variable 'GWRPM25_N'"])
case("pm25-unit", "pm25", "unit", "the 2014 file's unit changed to mg/m3", PM14,
     lambda d: e.edit_netcdf(at(d, PM14), lambda ds: ds["PM25"].setncattr("units", "mg/m3")),
     ["unit 'mg/m3' where ug/m3 is expected"], ["attribute units"])

raster_breaks("pm25", "pm25", PM14, b"CDF\x01")

# ========================================================================================== pm25_daily
# An optional product: the tiny world has none, so the corpus seeds the folder (``OPTIONAL_SEEDS``) with a
# year of ChinaHighPM2.5 daily files, each day the tiny world's 2019 CHAP grid, before breaking it.
DAY = "CHAP_PM2.5_D1K_20190101_V4.nc"


def seed_daily(tiny_sources: Path, folder: Path) -> None:
    import datetime as dt

    folder.mkdir(parents=True)
    template = (tiny_sources / "pm25" / PM19).read_bytes()
    for d in range(365):
        date = dt.date(2019, 1, 1) + dt.timedelta(days=d)
        (folder / f"CHAP_PM2.5_D1K_{date:%Y%m%d}_V4.nc").write_bytes(template)


OPTIONAL_SEEDS = {"pm25_daily": seed_daily}  # source -> writes its intact folder from the tiny world's files

case("pm25-daily-missing-day", "pm25_daily", "other", "the file of 7 March 2019 missing", "",
     lambda d: at(d, "CHAP_PM2.5_D1K_20190307_V4.nc").unlink(),
     ["364 of its 365 daily files", "first missing: 2019-03-07"], ["year 2019"])
case("pm25-daily-day-twice", "pm25_daily", "duplicate", "1 January 2019 also as a V5 file",
     "CHAP_PM2.5_D1K_20190101_V5.nc",
     lambda d: at(d, "CHAP_PM2.5_D1K_20190101_V5.nc").write_bytes(at(d, DAY).read_bytes()),
     ["day 2019-01-01 is already given by"], ["file name"])
case("pm25-daily-standard-deviation", "pm25_daily", "quantity", "one day's long_name says standard deviation", DAY,
     lambda d: e.edit_netcdf(at(d, DAY), lambda ds: ds["PM2.5"].setncattr("long_name", "Standard deviation of PM2.5")),
     ["holds statistic standard deviation", "daily mean"], ["variable 'PM2.5'"])
case("pm25-daily-yearly-file", "pm25_daily", "quantity", "the yearly 2019 file among the daily ones",
     PM19, lambda d: at(d, PM19).write_bytes(at(d, DAY).read_bytes()),
     ["holds period annual", "period daily (daily mean) is expected"], ["file name"])
case("pm25-daily-impossible-date", "pm25_daily", "other", "a day renamed to 30 February 2019",
     "CHAP_PM2.5_D1K_20190230_V4.nc", _rename("CHAP_PM2.5_D1K_20190228_V4.nc", "CHAP_PM2.5_D1K_20190230_V4.nc"),
     ["no valid date YYYYMMDD"], ["file name"])

raster_breaks("pm25-daily", "pm25_daily", DAY, b"CDF\x01")

# ================================================================================================ ntl
NTL13 = "VNL_v21_npp_2013_global_vcmslcfg_c202205302300.average_masked.dat.tif"  # served plain
NTL19 = "VNL_v21_npp_2019_global_vcmslcfg_c202205302300.average_masked.dat.tif.gz"  # served gzipped
CVG19 = "VNL_v21_npp_2019_global_vcmslcfg_c202205302300.cf_cvg.dat.tif.gz"


def _shift_transform(d, name, degrees):
    import rasterio

    with rasterio.open(at(d, name)) as src:
        t = src.transform
    e.rewrite_tif(at(d, name), transform=rasterio.Affine(t.a, t.b, t.c + degrees, t.d, t.e, t.f))


case("ntl-no-crs", "ntl", "crs", "the 2013 GeoTIFF written without its CRS", NTL13,
     lambda d: e.rewrite_tif(at(d, NTL13), crs=None), ["no coordinate reference system"], ["CRS"])
case("ntl-wrong-crs", "ntl", "crs", "the 2013 GeoTIFF (degrees) labelled EPSG:3857 (metres)", NTL13,
     lambda d: e.rewrite_tif(at(d, NTL13), crs="EPSG:3857"),
     ["does not cover any of the cities", "the file's CRS is wrong"], ["raster bounds"])
case("ntl-not-covering", "ntl", "coverage", "the 2013 grid moved 50 degrees east", NTL13,
     lambda d: _shift_transform(d, NTL13, 50.0), ["does not cover any of the cities"], ["raster bounds"])
case("ntl-partial-cover", "ntl", "coverage", "the western half of the 2013 grid set to nodata", NTL13,
     lambda d: e.rewrite_tif(at(d, NTL13), data=lambda v, nodata: e.west_half(v, nodata)),
     ["does not cover", "of 20 cities"], ["band 1"])
case("ntl-all-nodata", "ntl", "nodata", "every cell of the 2013 grid set to nodata", NTL13,
     lambda d: e.rewrite_tif(at(d, NTL13), data=lambda v, nodata: np.full_like(v, nodata)),
     ["every cell over the cities is nodata or NaN"], ["band 1"])
case("ntl-no-year", "ntl", "other", "the 2019 file renamed without its year", "VNL_npp_average_masked.tif",
     _rename(NTL19, "VNL_npp_average_masked.tif"), ["no year can be read"], ["file name"])
case("ntl-gz-truncated", "ntl", "corrupt", "the gzipped 2019 file cut to a third of its bytes", NTL19,
     lambda d: e.truncate(at(d, NTL19)), ["cannot be opened as a raster", "truncated"], ["whole file"])
case("ntl-coverage-counts", "ntl", "quantity", "2019's radiance file missing: only its cf_cvg and median_masked "
     "layers in the folder", CVG19, lambda d: at(d, NTL19).unlink(),
     ["holds layer cf_cvg (cloud-free coverage: a count of observations", "where layer average_masked"],
     ["file name"])

raster_breaks("ntl", "ntl", NTL13, b"II*\x00")

# ================================================================================================ dem
TILE = "srtm_60_05.tif"  # the tile under most of the tiny world's cities


def _tile_voids_undeclared(d):
    e.rewrite_tif(at(d, TILE), data=lambda v, nodata: e.west_half(v, -32768), nodata=None)


case("dem-no-crs", "dem", "crs", "an SRTM tile written without its CRS", TILE,
     lambda d: e.rewrite_tif(at(d, TILE), crs=None), ["no coordinate reference system"], ["CRS"])
case("dem-tile-misplaced", "dem", "coverage", "an SRTM tile georeferenced 50 degrees east of its name", TILE,
     lambda d: _shift_transform(d, TILE, 50.0), ["but an SRTM tile of that name covers lon 115 .. 120"],
     ["raster bounds"])
case("dem-tile-all-nodata", "dem", "nodata", "every cell of an SRTM tile set to nodata", TILE,
     lambda d: e.rewrite_tif(at(d, TILE), data=lambda v, nodata: np.full_like(v, nodata)),
     ["does not cover", "of 20 cities"], ["band 1"])
case("dem-undeclared-nodata", "dem", "negative", "SRTM voids (-32768) over a tile's western half, nodata not "
     "declared", TILE, _tile_voids_undeclared, ["nodata None", "undeclared nodata"], ["band 1"])
case("dem-overlap", "dem", "duplicate", "a mosaic of one tile saved beside the tiles (the same cells twice)",
     "china_dem.tif", lambda d: at(d, "china_dem.tif").write_bytes(at(d, TILE).read_bytes()),
     ["overlaps china_dem.tif", "the same cells twice"], ["raster bounds"])

raster_breaks("dem", "dem", TILE, b"II*\x00")

# ================================================================================================ ceads
CEADS = "CEADs_city_CO2_inventory.xlsx"


def _ceads(edit):
    return lambda d: e.edit_xlsx(at(d, CEADS), edit)


def _ceads_2019_sheet_value(d):
    total = xlsx_value(at(d, CEADS), sheet(2019), 4, 3)  # sheet '2019', first city (北京市), total in Mt
    return [value("ceads_co2", {"adcode": "110100", "year": 2019}, "co2_total_t", total * 1e6)]


def tiny_code(name: str) -> str:
    """The adcode of a tiny-world city named in a file (its name, or an address containing it)."""
    from ingestion.sample.geography import TINY_CITIES

    return next(code for code, city in TINY_CITIES if city in name)


def _ceads_2013_tonnes_value(d):
    total = xlsx_value(at(d, CEADS), sheet(2013), 4, 3)
    city = xlsx_value(at(d, CEADS), sheet(2013), 4, 2)
    return [value("ceads_co2", {"adcode": tiny_code(city), "year": 2013}, "co2_total_t", total * 1e6)]


CEADS_WAN_T = {3: "二氧化碳排放总量(万吨)", 4: "能源活动排放(万吨)", 5: "工业过程排放(万吨)"}

def _ceads_appended_row(d) -> str:
    """The Excel row the appended copy lands on: after the last row of the first sheet."""
    import openpyxl

    return f"row {openpyxl.load_workbook(at(d, CEADS), read_only=True).worksheets[0].max_row + 1}"


case("ceads-duplicate-city", "ceads", "duplicate", f"the first city of sheet {FIRST} appended again", CEADS,
     _ceads(e.xlsx_append_copy(0, 4)), ["rows share a key", "remove the duplicated rows"],
     [f"sheet '{FIRST}', row 4", _ceads_appended_row])
case("ceads-negative", "ceads", "negative", f"sheet {FIRST}, row 4: total emissions -5 Mt", CEADS,
     _ceads(e.xlsx_cell(0, 4, 3, -5.0)), ["outside the allowed range", "negative"],
     [f"sheet '{FIRST}', row 4", "co2_total_t"])
case("ceads-blank-total", "ceads", "negative", f"sheet {FIRST}, row 5: total emissions left blank", CEADS,
     _ceads(e.xlsx_cell(0, 5, 3, None)), ["missing value"], [f"sheet '{FIRST}', row 5", "co2_total_t"])
case("ceads-renamed-total", "ceads", "columns", f"the total column renamed CO2总量(百万吨) in sheet {FIRST}", CEADS,
     _ceads(e.xlsx_cell(0, 3, 3, "CO2总量(百万吨)")), ["no column 二氧化碳排放总量"], [f"sheet '{FIRST}'"])
case("ceads-no-unit", "ceads", "unit", f"sheet {FIRST}: the total column's unit (百万吨) dropped from the header",
     CEADS, _ceads(e.xlsx_cell(0, 3, 3, "二氧化碳排放总量")), ["unit '' cannot be converted to '吨'"],
     [f"sheet '{FIRST}', column '二氧化碳排放总量'"])
case("ceads-unknown-city", "ceads", "names", f"sheet {FIRST}, row 6: city 北景市", CEADS,
     _ceads(e.xlsx_cell(0, 6, 2, "北景市")), ["unknown city '北景市'", "closest current units"], ["row 6", "column 城市"])
case("ceads-city-of-another-period", "ceads", "names", "sheet 2019, row 4: city 山东莱芜 (merged into 济南 in 2018)",
     CEADS, _ceads(e.xlsx_cell(sheet(2019), 4, 2, "山东莱芜")),
     ["莱芜市 (371200) existed until 2018; this row is 2019", "merged into 济南市 (370100)"],
     ["sheet '2019', row 4, column 城市"])
case("ceads-sheet-not-a-year", "ceads", "other", "sheet 2015 renamed Sheet4", CEADS,
     _ceads(e.xlsx_rename_sheet(sheet(2015), "Sheet4")), ["'Sheet4' is not a year"], ["sheet name"])
case("ceads-unit-mislabelled", "ceads", "unit", "sheet 2015 headers say 万吨 but the values are still Mt", CEADS,
     _ceads(e.xlsx_scale(sheet(2015), [], 1.0, CEADS_WAN_T)), ["times those of the other years", "unit"],
     ["sheet '2015'", "二氧化碳排放总量(万吨)"])
case("ceads-year-sheet-2019年", "ceads", "formats", "sheet 2019 renamed 2019年", CEADS,
     _ceads(e.xlsx_rename_sheet(sheet(2019), "2019年")), values=_ceads_2019_sheet_value)
case("ceads-unit-wan-tonnes", "ceads", "unit", "sheet 2013 in 万吨 (values x100, headers say 万吨)", CEADS,
     _ceads(e.xlsx_scale(sheet(2013), [3, 4, 5], 100.0, CEADS_WAN_T)), values=_ceads_2013_tonnes_value)

workbook_breaks("ceads", "ceads", CEADS, str(FIRST), keys=2, group="二氧化碳排放(百万吨)")
# the 290-city workbook as published: NOTE (sheet 0), emission vector (1: ID, city, year, emission), emission matrix
# (2: city, then one column per year)
CEADS290 = f"The_Emission_Inventories_for_290_Chinese_Cities_from_{YEARS[0]}_to_{YEARS[-1]}.xlsx"


def _ceads290_wan_t(wb):
    """NOTE restated in 万吨 and every emission of the vector and the matrix x100 (the same tonnes)."""
    wb.worksheets[0].cell(row=3, column=1).value = "Unit: 万吨 CO2 (ten thousand tonnes)."
    for ws, columns in ((wb.worksheets[1], [4]), (wb.worksheets[2], range(2, wb.worksheets[2].max_column + 1))):
        for r in range(2, ws.max_row + 1):
            for c in columns:
                if ws.cell(row=r, column=c).value is not None:
                    ws.cell(row=r, column=c).value = ws.cell(row=r, column=c).value * 100


def _ceads290_first_value(d):
    from ingestion.sample.geography import TINY_CITIES

    city, year, mt = (xlsx_value(at(d, CEADS290), 1, 2, c) for c in (2, 3, 4))  # 安徽合肥: short names
    code = next(code for code, name in TINY_CITIES if name.removesuffix("市") in city)
    return [value("ceads_co2", {"adcode": code, "year": int(year)}, "co2_total_t", mt * 1e6)]


case("ceads290-no-note", "ceads", "columns", "the NOTE sheet deleted from the 290-city workbook", CEADS290,
     lambda d: e.edit_xlsx(at(d, CEADS290), lambda wb: wb.remove(wb.worksheets[0])),
     ["no sheet NOTE", "states its unit only there"], ["sheets"])
case("ceads290-note-without-unit", "ceads", "unit", "NOTE's unit line replaced by a line without a unit", CEADS290,
     lambda d: e.edit_xlsx(at(d, CEADS290), e.xlsx_cell(0, 3, 1, "Emissions of the administrative area.")),
     ["NOTE does not state the unit"], ["sheet 'NOTE'"])
case("ceads290-unknown-city", "ceads", "names", "emission vector, row 3: city 山东北景", CEADS290,
     lambda d: e.edit_xlsx(at(d, CEADS290), e.xlsx_cell(1, 3, 2, "山东北景")),
     ["unknown city '山东北景'"], ["sheet 'emission vector', row 3, column city"])
case("ceads290-blank-emission", "ceads", "negative", "emission vector, row 4: emission left blank", CEADS290,
     lambda d: e.edit_xlsx(at(d, CEADS290), e.xlsx_cell(1, 4, 4, None)),
     ["missing value"], ["sheet 'emission vector', row 4, column emission"])
case("ceads290-note-in-wan-tonnes", "ceads", "unit", "NOTE states 万吨 and the emissions are x100", CEADS290,
     lambda d: e.edit_xlsx(at(d, CEADS290), _ceads290_wan_t), values=_ceads290_first_value)


def _ceads290_matrix_cell(wb) -> tuple[str, int, float, int]:
    """The matrix's first city, its first year with a figure, that figure and its (1-based) column."""
    ws = wb.worksheets[2]
    header = [ws.cell(row=1, column=k).value for k in range(1, ws.max_column + 1)]
    row = [ws.cell(row=2, column=k).value for k in range(1, ws.max_column + 1)]
    c = next(k for k in range(1, len(row)) if row[k] is not None)
    return row[0], int(header[c]), row[c], c + 1


def _ceads290_matrix_off_by_a_tenth(wb):
    *_, mt, column = _ceads290_matrix_cell(wb)
    wb.worksheets[2].cell(row=2, column=column).value = mt + 0.1


def _ceads290_mismatch_words(d) -> str:
    city, year, mt, _ = _ceads290_matrix_cell(openpyxl.load_workbook(at(d, CEADS290)))
    return f"{city} {year}: the emission matrix gives {mt + 0.1!r}"


def _ceads290_mismatch_where(d) -> str:
    from ingestion.parsing import _column_letter

    column = _ceads290_matrix_cell(openpyxl.load_workbook(at(d, CEADS290)))[3]
    return f"sheet 'emission matrix', row 2, column {_column_letter(column - 1)}"


case("ceads290-matrix-disagrees", "ceads", "other", "emission matrix, row 2: the first city's first figure +0.1 Mt "
     "(the vector unchanged)", CEADS290, lambda d: e.edit_xlsx(at(d, CEADS290), _ceads290_matrix_off_by_a_tenth),
     [_ceads290_mismatch_words, "but the emission vector (row", "differ between the two sheets"],
     [_ceads290_mismatch_where])



# ================================================================================================ yearbook
POP = "城市统计年鉴_人口就业_全市.csv"
ECON = "城市统计年鉴_综合经济_全市.csv"
FIN = "城市统计年鉴_财政金融.xlsx"
PROV = "中国统计年鉴_分省年度数据.xlsx"


def _csv(name, edit):
    return lambda d: e.edit_csv(at(d, name), edit)


def _fin_text_value(d):
    return [value("yearbook", {"adcode": "110100", "year": FIRST, "indicator": "教育支出", "scope": "全市"}, "value",
                  float(xlsx_value(at(d, FIN), 0, 4, 5)))]


def _prov_year_value(d):
    gdp = xlsx_value(at(d, PROV), 0, 4, 3)
    return [value("yearbook", {"adcode": "110000", "year": FIRST, "indicator": "地区生产总值", "scope": "全市"}, "value", gdp * 1e4)]


def _fin_group_value(d):
    return [value("yearbook", {"adcode": "110100", "year": FIRST, "indicator": "地方一般公共预算收入", "scope": "全市"}, "value",
                  xlsx_value(at(d, FIN), 0, 4, 3) * 1e4)]


def _econ_gdp_value(d):
    gdp = e.read_csv(at(d, ECON))["地区生产总值(万元)"].iloc[0]
    return [value("yearbook", {"adcode": "110100", "year": FIRST, "indicator": "地区生产总值", "scope": "全市"}, "value",
                  float(gdp.replace(",", "")))]


case("yearbook-renamed-column", "yearbook", "columns", "地区生产总值(万元) renamed GDP总值(万元)", ECON,
     _csv(ECON, lambda f: f.rename(columns={"地区生产总值(万元)": "GDP总值(万元)"})),
     ["unknown indicator 'GDP总值'", "known indicators"], ["column 'GDP总值(万元)'"])
case("yearbook-missing-year-column", "yearbook", "columns", "the 年份 column deleted", POP,
     _csv(POP, lambda f: f.drop(columns=["年份"])), ["no header row with a city column", "a year column (年份 / SGNYEAR)"], ["rows 1-"])
case("yearbook-unknown-city", "yearbook", "names", "row 5: city 北景市", POP,
     _csv(POP, e.set_cell("城市", 3, "北景市")), ["unknown city '北景市'", "closest current units: 北京市 (110100)"],
     ["row 5, column 城市"])
case("yearbook-city-after-its-period", "yearbook", "names", "row 2: 莱芜市 in 2020 (merged into 济南 in 2018)", POP,
     _csv(POP, lambda f: e.set_cell("年份", 0, "2020年")(e.set_cell("城市", 0, "莱芜市")(f))),
     ["莱芜市 (371200) existed until 2018; this row is 2020", "merged into 济南市 (370100) in 2018"],
     ["row 2, column 城市"])
case("yearbook-city-before-its-period", "yearbook", "names", f"row 2: 海东市 in {FIRST} (海东地区 until 2012)", ECON,
     _csv(ECON, e.set_cell("城市", 0, "海东市")),
     [f"海东市 (630200) exists from 2013; this row is {FIRST}", "海东地区 (632100)"], ["row 2, column 城市"])
case("yearbook-county-level-city", "yearbook", "names", "row 3: 昆山市, a county-level city of 苏州, as a city row", POP,
     _csv(POP, e.set_cell("城市", 1, "昆山市")), ["昆山市 (320583) is a county-level city in 苏州市 (320500)",
                                                  "not a prefecture-level unit"], ["row 3, column 城市"])
case("yearbook-blank-city", "yearbook", "names", "row 6: city left blank", POP, _csv(POP, e.set_cell("城市", 4, "")),
     ["unknown city ''", "blank"], ["row 6, column 城市"])
case("yearbook-unit-suffix", "yearbook", "formats", "row 7: '12万' in 工业增加值(万元)", ECON,
     _csv(ECON, e.set_cell("工业增加值(万元)", 5, "12万")), ["'12万' is not a number", "remove unit suffixes"],
     ["row 7, column 工业增加值(万元)"])
case("yearbook-year-in-number-column", "yearbook", "formats", "row 3: '2019年' as a GDP value", ECON,
     _csv(ECON, e.set_cell("地区生产总值(万元)", 1, "2019年")), ["'2019年' is not a number"],
     ["row 3, column 地区生产总值(万元)"])
case("yearbook-decimal-comma", "yearbook", "formats", "row 4: 246,85 (a decimal comma) as population", POP,
     _csv(POP, e.set_cell("年末户籍人口(万人)", 2, "246,85")), ["'246,85' is not a number", "thousands"],
     ["row 4, column 年末户籍人口(万人)"])
case("yearbook-bad-year", "yearbook", "other", "row 4: year 二〇一九", POP, _csv(POP, e.set_cell("年份", 2, "二〇一九")),
     ["'二〇一九' is not a year"], ["row 4, column 年份"])
case("yearbook-duplicate-city-year", "yearbook", "duplicate", "row 11 (北京市 2019) appended again", POP,
     _csv(POP, e.append_copy(YEARS.index(2019))), ["rows share a key", "110100"], ["row 11", "row 257"])
case("yearbook-negative", "yearbook", "negative", "row 6: population -3", POP,
     _csv(POP, e.set_cell("年末常住人口(万人)", 4, "-3")), ["negative value -3"], ["row 6", "年末常住人口(万人)"])
case("yearbook-unknown-unit", "yearbook", "unit", "header 工业增加值(万万元)", ECON,
     _csv(ECON, lambda f: f.rename(columns={"工业增加值(万元)": "工业增加值(万万元)"})), ["unknown unit '万万元'"],
     ["column '工业增加值(万万元)'"])
case("yearbook-yi-yuan-header-wan-yuan-values", "yearbook", "unit", "GDP header says 亿元, values are 万元", ECON,
     _csv(ECON, lambda f: f.rename(columns={"地区生产总值(万元)": "地区生产总值(亿元)"})),
     ["the values look like 万元", "unit in the header"], ["column '地区生产总值(亿元)'"])
case("yearbook-wan-yuan-header-yi-yuan-values", "yearbook", "unit", "provincial GDP header says 万元, values are 亿元",
     PROV, lambda d: e.edit_xlsx(at(d, PROV), e.xlsx_cell(0, 3, 3, "地区生产总值(万元)")),
     ["the values look like 亿元"], ["sheet '分省年度数据', column '地区生产总值(万元)'"])
case("yearbook-mixed-encoding", "yearbook", "encoding", "lines 1-20 UTF-8, the rest GBK", ECON,
     lambda d: e.mixed_encoding(at(d, ECON), 20), ["mixed encodings", "UTF-8 up to line 20"], ["line 21"])
case("yearbook-xlsx-named-csv", "yearbook", "encoding", "a workbook saved under the CSV's name", POP,
     lambda d: at(d, POP).write_bytes(at(d, FIN).read_bytes()), ["binary data", "not text"], ["byte", "line"])
case("yearbook-merged-header", "yearbook", "excel", "财政金融 with a two-row merged header", FIN,
     lambda d: e.edit_xlsx(at(d, FIN), e.xlsx_merged_header(0, keys=2, group="财政金融")),
     ["no header label", "merged"], ["sheet '数据', row 3"])
case("yearbook-merged-group-row", "yearbook", "excel", "a merged group label row above an intact header", FIN,
     lambda d: e.edit_xlsx(at(d, FIN), e.xlsx_group_row(0, keys=2, group="财政金融")), values=_fin_group_value)
case("yearbook-thousands-text", "yearbook", "formats", "a workbook cell typed as text with a thousands separator "
     "('299,398')", FIN,
     lambda d: e.edit_xlsx(at(d, FIN), e.xlsx_cell(0, 4, 5, f"{int(xlsx_value(at(d, FIN), 0, 4, 5)):,}")),
     values=_fin_text_value)
case("yearbook-year-text", "yearbook", "formats", f"'{FIRST}年' as text in the provincial workbook's year column",
     PROV, lambda d: e.edit_xlsx(at(d, PROV), e.xlsx_cell(0, 4, 2, f"{FIRST}年")), values=_prov_year_value)
case("yearbook-utf8-resave", "yearbook", "encoding", "the GBK export re-saved as UTF-8: read as UTF-8", ECON,
     lambda d: at(d, ECON).write_text(at(d, ECON).read_bytes().decode("gbk"), encoding="utf-8"),
     values=_econ_gdp_value)

# ---- the layouts of real exports (issue 18): scope, price basis, group rows, Excel rows, full-width digits
ENV = "城市统计年鉴_资源环境.xlsx"  # a 全市 / 市辖区 group row (row 3) above a repeated header (row 4)
EPS = "城市面板数据_EPS.csv"  # 地区生产总值_当年价格_市辖区_万元 ..., footnote rows


def _blank_line_at(name: str, line: int):
    """A blank line inserted before ``line`` of a CSV (the lines below move down by one)."""
    def apply(d):
        path = at(d, name)
        encoding = e.encoding_of(path)
        lines = path.read_bytes().decode(encoding).split("\n")
        path.write_bytes("\n".join(lines[:line - 1] + [""] + lines[line - 1:]).encode(encoding))
    return apply


def _full_width_gdp_value(d):
    gdp = e.read_csv(at(d, ECON))["地区生产总值(万元)"].iloc[0]
    return [value("yearbook", {"adcode": "110100", "year": FIRST, "indicator": "地区生产总值", "scope": "全市"}, "value",
                  float(gdp.replace(",", "")))]


def _full_width(text: str) -> str:
    return text.translate(str.maketrans("0123456789,.", "０１２３４５６７８９，．"))


case("yearbook-scope-untold", "yearbook", "other", "the 全市 table renamed without its scope (城市统计年鉴_综合经济.csv)",
     "城市统计年鉴_综合经济.csv", lambda d: at(d, ECON).rename(at(d, "城市统计年鉴_综合经济.csv")),
     ["cannot tell whether the figures are 全市", "市辖区"], ["column '地区生产总值(万元)'"])
case("yearbook-group-row-cleared", "yearbook", "excel", "the 全市 / 市辖区 group row of 资源环境 cleared (the header "
     "repeats the indicators)", ENV,
     lambda d: e.edit_xlsx(at(d, ENV), lambda wb: [e.xlsx_cell(0, 3, c, None)(wb) for c in (3, 10)]),
     ["cannot tell whether the figures are 全市"], ["sheet '数据', column"])
case("yearbook-constant-prices", "yearbook", "unit", "GDP header 地区生产总值(可比价格)(万元)", ECON,
     _csv(ECON, lambda f: f.rename(columns={"地区生产总值(万元)": "地区生产总值(可比价格)(万元)"})),
     ["constant-price series", "当年价格"], ["column '地区生产总值(可比价格)(万元)'"])
case("yearbook-district-spelling-unknown", "yearbook", "columns", "a 市辖区 column of an indicator the seed has for "
     "全市 only (普通高等学校在校学生数_市辖区_人)", EPS,
     _csv(EPS, lambda f: f.rename(columns={"行政区域土地面积_市辖区_平方公里": "普通高等学校在校学生数_市辖区_人"})),
     ["is in the seed for 全市 but not for 市辖区", "add a row", "seed_yearbook_indicators.csv"],
     ["column '普通高等学校在校学生数_市辖区_人'"])
case("yearbook-excel-row-after-blank-line", "yearbook", "negative", "a blank line inserted at line 4, then row 7 "
     "(line 6 before) has population -3", POP,
     lambda d: (_csv(POP, e.set_cell("年末常住人口(万人)", 4, "-3"))(d), _blank_line_at(POP, 4)(d)),
     ["negative value -3"], ["row 7", "年末常住人口(万人)"])
case("yearbook-full-width-digits", "yearbook", "formats", "row 2: GDP typed in full-width digits (１２３，４５６)", ECON,
     lambda d: _csv(ECON, e.set_cell("地区生产总值(万元)", 0, _full_width(e.read_csv(at(d, ECON))["地区生产总值(万元)"].iloc[0])))(d),
     values=_full_width_gdp_value)

text_table_breaks("yearbook", "yearbook", POP)

# ================================================================================================ energy
ENERGY = "中国能源统计年鉴_分地区九类能源消费.xlsx"


def _energy(edit):
    return lambda d: e.edit_xlsx(at(d, ENERGY), edit)


def _energy_gas_value(d):
    gas = xlsx_value(at(d, ENERGY), sheet(2013), 4, 10)
    return [value("province_energy", {"province_adcode": "110000", "year": 2013, "fuel": "天然气"}, "value", gas)]


def _energy_text_value(d):
    coal = xlsx_value(at(d, ENERGY), 0, 5, 2)
    return [value("province_energy", {"province_adcode": "120000", "year": FIRST, "fuel": "原煤"}, "value", coal * 1e4)]


case("energy-missing-fuel", "energy", "columns", f"the 天然气 column deleted from sheet {FIRST}年", ENERGY,
     _energy(e.xlsx_delete_column(0, 10)), ["missing fuel column", "天然气"], [f"sheet '{FIRST}年'"])
case("energy-unknown-province", "energy", "names", f"sheet {FIRST}年, row 5: province 火星省", ENERGY,
     _energy(e.xlsx_cell(0, 5, 1, "火星省")), ["unknown province '火星省'"], ["row 5, column 地区"])
case("energy-duplicate-province", "energy", "duplicate", f"sheet {FIRST}年: row 4 (北京市) appended again", ENERGY,
     _energy(e.xlsx_append_copy(0, 4)), ["rows share a key", "110000"], [f"sheet '{FIRST}年', row 4"])
case("energy-negative", "energy", "negative", f"sheet {FIRST}年, row 4: coal -1", ENERGY,
     _energy(e.xlsx_cell(0, 4, 2, -1.0)), ["negative value -1.0"], [f"sheet '{FIRST}年'", "row 4", "原煤(万吨)"])
case("energy-unit-dimension", "energy", "unit", "coal header in 亿立方米 (a volume)", ENERGY,
     _energy(e.xlsx_cell(0, 3, 2, "原煤(亿立方米)")), ["unit '亿立方米' cannot be converted to '吨'"],
     [f"sheet '{FIRST}年', column '原煤(亿立方米)'"])
case("energy-unit-mislabelled", "energy", "unit", "sheet 2015年: coal header says 吨 but values are 万吨", ENERGY,
     _energy(e.xlsx_cell(sheet(2015), 3, 2, "原煤(吨)")), ["times those of the other years", "unit"],
     ["sheet '2015年', column '原煤(吨)'"])
case("energy-sheet-not-a-year", "energy", "other", "sheet 2014年 renamed 能源", ENERGY,
     _energy(e.xlsx_rename_sheet(sheet(2014), "能源")), ["'能源' is not a year"], ["sheet name"])
case("energy-gas-wan-m3", "energy", "unit", "sheet 2013年: natural gas in 万立方米 (values x10^4)", ENERGY,
     _energy(e.xlsx_scale(sheet(2013), [10], 1e4, {10: "天然气(万立方米)"})), values=_energy_gas_value)
case("energy-thousands-text", "energy", "formats", f"sheet {FIRST}年: coal of 天津市 typed as text with a comma", ENERGY,
     lambda d: e.edit_xlsx(at(d, ENERGY), e.xlsx_cell(0, 5, 2, f"{xlsx_value(at(d, ENERGY), 0, 5, 2):,}")),
     values=_energy_text_value)

workbook_breaks("energy", "energy", ENERGY, f"{FIRST}年", keys=1, group="实物量")

# ================================================================================================ patents
PAT = "CNIPA_patent_applications_2012.csv"


def _pat_gbk_value(d):
    row = e.read_csv(at(d, PAT)).iloc[2]
    return [value("patents", {"application_no": row["申请号"]}, "adcode", tiny_code(row["申请人地址"]))]


case("patents-bad-date", "patents", "other", "row 6: application date 2015/13/45", PAT,
     _csv(PAT, e.set_cell("申请日", 4, "2015/13/45")), ["'2015/13/45' is not a date"], ["row 6, column 申请日"])
case("patents-grant-before-application", "patents", "other", "row 4: granted in 2001", PAT,
     _csv(PAT, e.set_cell("授权公告日", 2, "2001-01-01")), ["grant date before application date"], ["row 4"])
case("patents-unknown-type", "patents", "other", "row 2: patent type 商标", PAT, _csv(PAT, e.set_cell("专利类型", 0, "商标")),
     ["unknown patent type '商标'"], ["row 2, column 专利类型"])
case("patents-duplicate-application", "patents", "duplicate", "row 4 repeats the application number of row 3", PAT,
     lambda d: e.edit_csv(at(d, PAT), lambda f: f.assign(申请号=f.申请号.where(f.index != 2, f.申请号[1]))),
     ["rows share a key"], ["row 3", "row 4"])
case("patents-missing-column", "patents", "columns", "the IPC分类号 column deleted", PAT,
     _csv(PAT, lambda f: f.drop(columns=["IPC分类号"])), ["missing column(s) ['IPC分类号']"], ["header"])
case("patents-unknown-city", "patents", "names", "row 5: an address without a known city", PAT,
     _csv(PAT, e.set_cell("申请人地址", 3, "火星省奥林匹斯山高新区")), ["no known city in address"], ["row 5, column 申请人地址"])
case("patents-gbk", "patents", "encoding", "the CSV re-saved as GBK (no label): read as GBK", PAT,
     lambda d: e.gbk(at(d, PAT)), values=_pat_gbk_value)

case("patents-city-of-another-period", "patents", "names", "row 2 of the 2020 file: an address in 莱芜市 (to 2018)",
     "CNIPA_patent_applications_2020.csv",
     _csv("CNIPA_patent_applications_2020.csv", e.set_cell("申请人地址", 0, "山东省莱芜市钢城区")),
     ["address '山东省莱芜市钢城区'", "莱芜市 (371200) existed until 2018; this row is 2020"],
     ["row 2, column 申请人地址"])

PAT_SEARCH = f"CNIPA_patent_applications_{YEARS[-1]}.csv"  # the search system's export (公开（公告）号 ...)


def _pat_search_value(d):
    row = e.read_csv(at(d, PAT_SEARCH)).iloc[0]
    return [value("patents", {"application_no": row["申请号"]}, "adcode", tiny_code(row["申请人地址"])),
            value("patents", {"application_no": row["申请号"]}, "patent_type",
                  "invention" if row["发明类型"].startswith("发明") else "utility")]


case("patents-search-missing-address", "patents", "columns", "the search export's 申请人地址 column deleted", PAT_SEARCH,
     _csv(PAT_SEARCH, lambda f: f.drop(columns=["申请人地址"])), ["missing column(s) ['申请人地址']", "search export"],
     ["header"])
case("patents-search-unknown-type", "patents", "other", "row 2 of the search export: 发明类型 商标", PAT_SEARCH,
     _csv(PAT_SEARCH, e.set_cell("发明类型", 0, "商标")), ["unknown patent type '商标'"], ["row 2, column 专利类型"])
case("patents-search-postal-codes-dropped", "patents", "formats", "the search export's addresses without their postal "
     "codes", PAT_SEARCH, _csv(PAT_SEARCH, lambda f: f.assign(申请人地址=f["申请人地址"].str.split(" ", n=1).str[1])),
     values=_pat_search_value)

text_table_breaks("patents", "patents", PAT)

# ================================================================================================ ai_firms
FIRMS = "tianyancha_enterprise_export.csv"


def _firms_gbk_value(d):
    row = e.read_csv(at(d, FIRMS)).iloc[1]
    return [value("firms", {"firm_id": row["统一社会信用代码"]}, "firm_name", row["企业名称"])]


case("firms-deregistered-first", "ai_firms", "other", "row 4: deregistered in 1990", FIRMS,
     _csv(FIRMS, e.set_cell("注销日期", 2, "1990-01-01")), ["deregistered before it was registered"], ["row 4"])
case("firms-bad-date", "ai_firms", "other", "row 3: founded 2015年13月", FIRMS,
     _csv(FIRMS, e.set_cell("成立日期", 1, "2015年13月")), ["'2015年13月' is not a date"], ["row 3, column 成立日期"])
case("firms-missing-column", "ai_firms", "columns", "the 经营范围 column deleted", FIRMS,
     _csv(FIRMS, lambda f: f.drop(columns=["经营范围"])), ["missing column(s) ['经营范围']"], ["header"])
case("firms-renamed-column", "ai_firms", "columns", "所属城市 renamed 城市", FIRMS,
     _csv(FIRMS, lambda f: f.rename(columns={"所属城市": "城市"})), ["missing column(s) ['所属城市']"], ["header"])
case("firms-duplicate-id", "ai_firms", "duplicate", "row 3 (a firm) appended again at the end", FIRMS,
     _csv(FIRMS, e.append_copy(1)), ["rows share a key", "91110100MA00000001"], ["row 3"])
case("firms-unknown-city", "ai_firms", "names", "row 8: city 北景市", FIRMS, _csv(FIRMS, e.set_cell("所属城市", 6, "北景市")),
     ["unknown city '北景市'"], ["row 8, column 所属城市"])
case("firms-gbk", "ai_firms", "encoding", "the export re-saved as GBK (no label): read as GBK", FIRMS,
     lambda d: e.gbk(at(d, FIRMS)), values=_firms_gbk_value)

text_table_breaks("firms", "ai_firms", FIRMS, "export")

# ================================================================================================ ifr_robots
IFR = "IFR_World_Robotics_CN_US_by_industry.xlsx"


def _ifr(edit):
    return lambda d: e.edit_xlsx(at(d, IFR), edit)


def _ifr_text_values(d):
    ws = openpyxl.load_workbook(at(d, IFR), read_only=True).worksheets[0]
    rows = [r for r in ws.iter_rows(min_row=4, max_row=40, values_only=True)]
    return [value("ifr_robots", {"country": rows[1][0], "isic_code": rows[1][1], "year": 2001}, "installations",
                  float(rows[1][4])),
            value("ifr_robots", {"country": rows[2][0], "isic_code": rows[2][1], "year": rows[2][3]},
                  "operational_stock", 1234.0)]


case("ifr-missing-column", "ifr_robots", "columns", "the Operational stock column deleted", IFR,
     _ifr(e.xlsx_delete_column(0, 6)), ["missing column(s) ['Operational stock']"], ["sheet 'Data'"])
case("ifr-negative", "ifr_robots", "negative", "row 5: -3 installations", IFR, _ifr(e.xlsx_cell(0, 5, 5, -3)),
     ["outside the allowed range"], ["sheet 'Data', row 5", "installations"])
case("ifr-blank-value", "ifr_robots", "negative", "row 6: installations left blank", IFR, _ifr(e.xlsx_cell(0, 6, 5, None)),
     ["missing value"], ["sheet 'Data', row 6", "installations"])
case("ifr-duplicate", "ifr_robots", "duplicate", "row 4 appended again", IFR, _ifr(e.xlsx_append_copy(0, 4)),
     ["rows share a key"], ["sheet 'Data', row 4", "row 708"])
case("ifr-bad-year", "ifr_robots", "other", "row 7: year '19年'", IFR, _ifr(e.xlsx_cell(0, 7, 4, "19年")),
     ["'19年' is not a year"], ["row 7, column Year"])
case("ifr-year-and-thousands-text", "ifr_robots", "formats", "row 5: year '2001年', row 6: stock '1,234' as text", IFR,
     _ifr(lambda wb: (e.xlsx_cell(0, 5, 4, "2001年")(wb), e.xlsx_cell(0, 6, 6, "1,234")(wb))), values=_ifr_text_values)

workbook_breaks("ifr", "ifr_robots", IFR, "Data", keys=4, group="Robots")

# ================================================================================================ employment
CENSUS = "第一次全国经济普查_分行业从业人员_2004.xlsx"
US = "US_employment_by_industry_1990.csv"


def _census(edit):
    return lambda d: e.edit_xlsx(at(d, CENSUS), edit)


def _first_row(level: str, col: int, new):
    def edit(wb):
        ws = wb.worksheets[0]
        row = next(r for r in range(4, ws.max_row + 1) if ws.cell(row=r, column=1).value == level)
        ws.cell(row=row, column=col).value = new
    return edit


def _census_wan_ren_value(d):
    persons = xlsx_value(at(d, CENSUS), 0, 4, 6)
    return [value("employment", {"geo_level": "country", "geo_code": "CHN", "industry": "农林牧渔业", "year": 2004},
                  "employment", float(persons))]


def _us_thousands_value(d):
    return [value("employment", {"geo_level": "country", "geo_code": "USA", "industry": "A-B", "year": 1990},
                  "employment", 1800000.0)]


case("employment-unknown-province", "employment", "names", "the first 省 row names 火星省", CENSUS,
     _census(_first_row("省", 2, "火星省")), ["unknown province '火星省'"], ["row 20, column 地区"])
case("employment-unknown-city", "employment", "names", "the first 地级市 row names 火星市", CENSUS,
     _census(_first_row("地级市", 2, "火星市")), ["unknown city '火星市'"], ["row 276, column 地区"])
case("employment-city-of-another-period", "employment", "names", "the first 地级市 row names 襄阳市 (襄樊 in 2004)",
     CENSUS, _census(_first_row("地级市", 2, "襄阳市")),
     ["襄阳市 (420600) exists from 2010; this row is 2004", "襄樊市 (420600)"], ["row 276, column 地区"])
case("employment-bad-level", "employment", "other", "level 县 in row 4", CENSUS, _census(e.xlsx_cell(0, 4, 1, "县")),
     ["levels must be 全国, 省 or 地级市", "'县'"], ["row 4, column 地区级别"])
case("employment-missing-column", "employment", "columns", "the 从业人员 column deleted", CENSUS,
     _census(e.xlsx_delete_column(0, 6)), ["no 从业人员 column"], ["sheet '从业人员'"])
case("employment-unit-dimension", "employment", "unit", "employment header in 万元 (money)", CENSUS,
     _census(e.xlsx_cell(0, 3, 6, "从业人员(万元)")), ["unit '万元' cannot be converted to '万人'"],
     ["column '从业人员(万元)'"])
case("employment-duplicate", "employment", "duplicate", "row 4 appended again", CENSUS,
     _census(e.xlsx_append_copy(0, 4)), ["rows share a key"], ["sheet '从业人员', row 4"])
case("employment-negative", "employment", "negative", "row 5: -100 persons", CENSUS, _census(e.xlsx_cell(0, 5, 6, -100)),
     ["outside the allowed range"], ["sheet '从业人员', row 5"])
case("employment-us-missing-column", "employment", "columns", "the US table's employment column renamed jobs", US,
     _csv(US, lambda f: f.rename(columns={"employment": "jobs"})), ["no header row with the columns"], ["rows 1-"])
case("employment-wan-ren", "employment", "unit", "the census in 万人 (header and values)", CENSUS,
     _census(e.xlsx_scale(0, [6], 1e-4, {6: "从业人员(万人)"})), values=_census_wan_ren_value)
case("employment-us-thousands", "employment", "formats", "US employment written '1,800,000'", US,
     _csv(US, e.set_cell("employment", 0, "1,800,000")), values=_us_thousands_value)

empty_file("employment-us", "employment", US, "US table")

# ================================================================================================ gov_reports
REPORT = "2012/110100_北京市_2012年政府工作报告.txt"


def _report_n_chars(d):
    text = at(d, REPORT).read_text(encoding="utf-8").strip()
    return [value("gov_reports", {"adcode": "110100", "year": 2012}, "n_chars", len(text))]


def _rename_report(new: str):
    return lambda d: at(d, REPORT).rename(at(d, new))


case("gov-report-bad-name", "gov_reports", "other", "a report renamed report.txt", "2012/report.txt",
     _rename_report("2012/report.txt"), ["file name does not say city and year"], ["file name"])
case("gov-report-blank", "gov_reports", "empty", "a report of blank lines", REPORT,
     lambda d: at(d, REPORT).write_text("\n \n\t\n", encoding="utf-8"), ["empty report"], ["text"])
case("gov-report-gbk-labelled-utf8", "gov_reports", "encoding", "a report in GBK behind a UTF-8 byte-order mark",
     REPORT, lambda d: e.gbk(at(d, REPORT), bom=True), ["UTF-8 byte-order mark", "not UTF-8"], ["line 1"])
case("gov-report-binary", "gov_reports", "encoding", "a PDF saved with the .txt name", REPORT,
     lambda d: e.garbage(at(d, REPORT), b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"), ["binary"], ["byte"])
case("gov-report-unknown-city", "gov_reports", "names", "a report named for 北景市 (no adcode)",
     "2012/北景市_2012年政府工作报告.txt", _rename_report("2012/北景市_2012年政府工作报告.txt"),
     ["unknown city '北景市'"], ["file name"])
case("gov-report-adcode-name-mismatch", "gov_reports", "names", "adcode of 北京市 with the name 天津市",
     "2012/110100_天津市_2012年政府工作报告.txt", _rename_report("2012/110100_天津市_2012年政府工作报告.txt"),
     ["adcode 110100 is 北京市 (110100) in 2012, not 天津市"], ["file name"])
case("gov-report-city-of-another-period", "gov_reports", "names", "a 2020 report named for 莱芜市 (merged in 2018)",
     "2020/莱芜市_2020年政府工作报告.txt",
     lambda d: at(d, "2020/110100_北京市_2020年政府工作报告.txt").rename(at(d, "2020/莱芜市_2020年政府工作报告.txt")),
     ["莱芜市 (371200) existed until 2018; this row is 2020"], ["file name"])
case("gov-report-duplicate", "gov_reports", "duplicate", "北京市 2012 a second time, named without adcode",
     "2013/北京市_2012年政府工作报告.txt",
     lambda d: at(d, "2013/北京市_2012年政府工作报告.txt").write_bytes(at(d, REPORT).read_bytes()),
     ["rows share a key", "110100"], ["110100_北京市_2012年政府工作报告.txt"])
case("gov-report-gbk", "gov_reports", "encoding", "a report re-saved as GBK (no label): read as GBK", REPORT,
     lambda d: e.gbk(at(d, REPORT)), values=_report_n_chars)

empty_file("gov-report", "gov_reports", REPORT, "report")

# ================================================================================================ baidu_index
BAIDU = "百度指数_人工智能_城市年度日均值.csv"


def _baidu_formats_value(d):
    return [value("baidu_index", {"adcode": "110100", "year": 2012, "keyword": "人工智能"}, "value", 1234.5)]


case("baidu-negative", "baidu_index", "negative", "row 3: index -3", BAIDU, _csv(BAIDU, e.set_cell("日均值", 1, "-3")),
     ["outside the allowed range"], ["row 3", "value"])
case("baidu-missing-column", "baidu_index", "columns", "the 关键词 column deleted", BAIDU,
     _csv(BAIDU, lambda f: f.drop(columns=["关键词"])), ["missing column(s) ['关键词']"], ["header"])
case("baidu-unknown-city", "baidu_index", "names", "row 12: city Atlantis", BAIDU,
     _csv(BAIDU, e.set_cell("城市", 10, "Atlantis")), ["unknown city 'Atlantis'"], ["row 12, column 城市"])
case("baidu-duplicate-city-year", "baidu_index", "duplicate", "row 2 appended again", BAIDU, _csv(BAIDU, e.append_copy(0)),
     ["rows share a key", "110100"], ["row 2", "row 222"])
case("baidu-unit-suffix", "baidu_index", "formats", "row 4: '13.9万'", BAIDU, _csv(BAIDU, e.set_cell("日均值", 2, "13.9万")),
     ["'13.9万' is not a number"], ["row 4, column 日均值"])
case("baidu-thousands-in-year", "baidu_index", "formats", "row 5: year '2,015'", BAIDU,
     _csv(BAIDU, e.set_cell("年份", 3, "2,015")), ["'2,015' is not a year"], ["row 5, column 年份"])
case("baidu-year-and-thousands", "baidu_index", "formats", "row 3 (北京市 2012): year '2012年', index '1,234.5'", BAIDU,
     _csv(BAIDU, lambda f: e.set_cell("日均值", 1, "1,234.5")(e.set_cell("年份", 1, "2012年")(f))),
     values=_baidu_formats_value)

text_table_breaks("baidu", "baidu_index", BAIDU)

# ================================================================================================ policy_lists
LOWC = "低碳城市试点名单.csv"


def _policy_year_value(d):
    return [value("policy_lists", {"policy": "low_carbon", "adcode": tiny_code(e.read_csv(at(d, LOWC)).iloc[1]["城市"])},
                  "year", 2012)]


case("policy-unknown-file", "policy_lists", "other", "a list renamed 名单.csv", "名单.csv",
     lambda d: at(d, LOWC).rename(at(d, "名单.csv")), ["cannot tell the policy from the file name"], ["file name"])
case("policy-unknown-city", "policy_lists", "names", "row 3: city 青鸟市", LOWC, _csv(LOWC, e.set_cell("城市", 1, "青鸟市")),
     ["unknown city '青鸟市'"], ["row 3, column 城市"])
case("policy-duplicate-city", "policy_lists", "duplicate", "row 2 (the list's first city) appended again", LOWC,
     _csv(LOWC, e.append_copy(0)), ["rows share a key", lambda d: tiny_code(e.read_csv(at(d, LOWC)).iloc[0]["城市"])],
     ["row 2"])
case("policy-city-before-its-period", "policy_lists", "names", f"row 2: 海东市 in a {FIRST} batch (海东地区 until 2012)",
     LOWC, _csv(LOWC, e.set_cell("城市", 0, "海东市")), [f"海东市 (630200) exists from 2013; this row is {FIRST}"],
     ["row 2, column 城市"])
case("policy-batch-without-number", "policy_lists", "other", "row 4: batch 第X批", LOWC,
     _csv(LOWC, e.set_cell("批次", 2, "第X批")), ["'第X批' has no batch number"], ["row 4, column 批次"])
case("policy-missing-column", "policy_lists", "columns", "the 公布年份 column deleted", LOWC,
     _csv(LOWC, lambda f: f.drop(columns=["公布年份"])), ["missing column(s) ['公布年份']"], ["header"])
case("policy-bad-year", "policy_lists", "other", "row 2: year 二〇一〇", LOWC, _csv(LOWC, e.set_cell("公布年份", 0, "二〇一〇")),
     ["'二〇一〇' is not a year"], ["row 2, column 公布年份"])
case("policy-year-text", "policy_lists", "formats", "row 3: year '2012年'", LOWC,
     _csv(LOWC, e.set_cell("公布年份", 1, "2012年")), values=_policy_year_value)



def _policy_chinese_batch_value(d):
    first = e.read_csv(at(d, LOWC)).iloc[0]
    return [value("policy_lists", {"policy": "low_carbon", "adcode": tiny_code(first["城市"])}, "batch",
                  int("".join(ch for ch in first["批次"] if ch.isdigit())))]


case("policy-batch-in-chinese-numerals", "policy_lists", "formats", "row 2: its batch written 第一批 / 第二批 ...", LOWC,
     _csv(LOWC, lambda f: f.assign(批次=f["批次"].str.replace("1", "一").str.replace("2", "二").str.replace("3", "三"))),
     values=_policy_chinese_batch_value)
case("policy-province-row", "policy_lists", "names", "row 3: the province 湖北省 listed as a pilot (the 2010 batch's "
     "habit), no expansion rule chosen", LOWC, _csv(LOWC, e.set_cell("城市", 1, "湖北省")),
     ["'湖北省' is a province, not a city", "DUALCARBON_PILOT_PROVINCES=expand"], ["row 3, column 城市"])

text_table_breaks("policy", "policy_lists", LOWC, "list")

def by_id() -> dict[str, Case]:
    out = {c.id: c for c in CASES}
    assert len(out) == len(CASES), "case ids must be unique"
    return out
