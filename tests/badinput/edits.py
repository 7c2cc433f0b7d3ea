"""Ways real files break, as small functions on a copied source file (the corpus is generated, never kept).

Text tables keep their encoding (UTF-8, UTF-8 with BOM or GBK, sniffed); workbooks are edited with
openpyxl; rasters are rewritten with rasterio and netCDF4.
"""
from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

UTF8_BOM = b"\xef\xbb\xbf"


# ------------------------------------------------------------------------------------------------ bytes
def empty(path: Path) -> None:
    path.write_bytes(b"")


def truncate(path: Path, keep: float = 1 / 3) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def cut_mid_line(path: Path) -> None:
    """Cut a text file inside its last third, in the middle of a line (an interrupted download)."""
    data = path.read_bytes()
    cut = data.index(b"\n", len(data) * 2 // 3) + 1
    line_end = data.index(b"\n", cut)
    path.write_bytes(data[: cut + max(1, (line_end - cut) // 3)])


def garbage(path: Path, magic: bytes) -> None:
    """The product's magic bytes followed by noise (a file that is not what its name says)."""
    rng = np.random.default_rng(7)
    path.write_bytes(magic + rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())


def encoding_of(path: Path) -> str:
    raw = path.read_bytes()
    if raw.startswith(UTF8_BOM):
        return "utf-8-sig"
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "gbk"


def gbk(path: Path, *, bom: bool = False) -> None:
    """Re-encode a text file as GBK; ``bom=True`` keeps a UTF-8 byte-order mark in front (GBK labelled UTF-8)."""
    text = path.read_bytes().decode(encoding_of(path))
    path.write_bytes((UTF8_BOM if bom else b"") + text.encode("gbk"))


def utf16(path: Path) -> None:
    """Re-encode a text file as UTF-16 with its byte-order mark (Excel's 'Unicode text')."""
    path.write_bytes(path.read_bytes().decode(encoding_of(path)).encode("utf-16"))


def mixed_encoding(path: Path, utf8_lines: int = 20) -> None:
    """The first lines in UTF-8, the rest in GBK (two exports pasted together)."""
    lines = path.read_bytes().decode(encoding_of(path)).splitlines(keepends=True)
    path.write_bytes("".join(lines[:utf8_lines]).encode("utf-8") + "".join(lines[utf8_lines:]).encode("gbk"))


# ------------------------------------------------------------------------------------------------ CSV
def edit_csv(path: Path, edit: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    """Read a CSV as strings, change it, write it back in the same encoding."""
    encoding = encoding_of(path)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
    edit(frame).to_csv(path, index=False, encoding=encoding)


def set_cell(column: str, index: int, value: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def edit(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[index, column] = value
        return frame
    return edit


def append_copy(index: int) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return lambda frame: pd.concat([frame, frame.iloc[[index]]], ignore_index=True)


def header_only(path: Path) -> None:
    edit_csv(path, lambda frame: frame.iloc[:0])


# ------------------------------------------------------------------------------------------------ xlsx
def edit_xlsx(path: Path, edit: Callable) -> None:
    import openpyxl

    wb = openpyxl.load_workbook(path)
    edit(wb)
    wb.save(path)


def xlsx_cell(sheet: int, row: int, col: int, value) -> Callable:
    def edit(wb):
        wb.worksheets[sheet].cell(row=row, column=col).value = value
    return edit


def xlsx_append_copy(sheet: int, row: int) -> Callable:
    def edit(wb):
        ws = wb.worksheets[sheet]
        ws.append([c.value for c in ws[row]])
    return edit


def xlsx_delete_column(sheet: int, col: int) -> Callable:
    return lambda wb: wb.worksheets[sheet].delete_cols(col)


def xlsx_rename_sheet(sheet: int, title: str) -> Callable:
    def edit(wb):
        wb.worksheets[sheet].title = title
    return edit


def xlsx_scale(sheet: int, cols: list[int], factor: float, rename: dict[int, str] | None = None,
               first_row: int = 4) -> Callable:
    """Multiply numeric cells of some columns (optionally renaming their headers in row first_row - 1)."""
    def edit(wb):
        ws = wb.worksheets[sheet]
        for c in cols:
            for r in range(first_row, ws.max_row + 1):
                cell = ws.cell(row=r, column=c)
                if isinstance(cell.value, (int, float)):
                    cell.value = cell.value * factor
        for c, header in (rename or {}).items():
            ws.cell(row=first_row - 1, column=c).value = header
    return edit


def xlsx_header_only(sheet: int, header_row: int = 3) -> Callable:
    def edit(wb):
        ws = wb.worksheets[sheet]
        ws.delete_rows(header_row + 1, ws.max_row)
    return edit


def xlsx_merged_header(sheet: int, header_row: int = 3, keys: int = 2, group: str = "指标") -> Callable:
    """A two-row header as printed yearbooks have it: the key columns merged over both rows, a group
    label merged over the indicator columns above their names."""
    def edit(wb):
        ws = wb.worksheets[sheet]
        ws.insert_rows(header_row)
        last = ws.max_column
        for c in range(1, keys + 1):
            ws.cell(row=header_row, column=c).value = ws.cell(row=header_row + 1, column=c).value
            ws.cell(row=header_row + 1, column=c).value = None
            ws.merge_cells(start_row=header_row, start_column=c, end_row=header_row + 1, end_column=c)
        ws.cell(row=header_row, column=keys + 1).value = group
        ws.merge_cells(start_row=header_row, start_column=keys + 1, end_row=header_row, end_column=last)
    return edit


def xlsx_group_row(sheet: int, header_row: int = 3, keys: int = 2, group: str = "指标") -> Callable:
    """A merged group label in a row of its own above a complete header row (the header is intact)."""
    def edit(wb):
        ws = wb.worksheets[sheet]
        ws.insert_rows(header_row)
        ws.cell(row=header_row, column=keys + 1).value = group
        ws.merge_cells(start_row=header_row, start_column=keys + 1, end_row=header_row, end_column=ws.max_column)
    return edit


# ------------------------------------------------------------------------------------------------ vectors
def edit_geojson(path: Path, edit: Callable[[dict], None]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def geojson_to_degrees_keeping_label(data: dict) -> None:
    """Coordinates reprojected to longitude/latitude while the file still declares its projected CRS."""
    from pyproj import Transformer

    crs = data["crs"]["properties"]["name"]
    to_lonlat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    for feature in data["features"]:
        rings = feature["geometry"]["coordinates"]
        feature["geometry"]["coordinates"] = [[list(to_lonlat.transform(x, y)) for x, y in ring] for ring in rings]


# ------------------------------------------------------------------------------------------------ rasters
def rewrite_tif(path: Path, *, data: Callable[[np.ndarray, float | None], np.ndarray] | None = None,
                **profile_changes) -> None:
    """Rewrite a GeoTIFF with changed values (``data(array, nodata)``) and/or profile (crs, transform, nodata)."""
    import rasterio

    with rasterio.open(path) as src:
        profile, values = src.profile, src.read()
    if data is not None:
        values = data(values, profile.get("nodata")).astype(values.dtype)
    for key, value in profile_changes.items():
        if value is None:
            profile.pop(key, None)
        else:
            profile[key] = value
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(values)


def west_half(values: np.ndarray, fill) -> np.ndarray:
    values = values.copy()
    values[..., : values.shape[-1] // 2] = fill
    return values


def edit_netcdf(path: Path, edit: Callable) -> None:
    import netCDF4

    with netCDF4.Dataset(path, "a") as ds:
        edit(ds)


def netcdf_values(variable: str, change: Callable[[np.ndarray], np.ndarray]) -> Callable:
    def edit(ds):
        var = ds.variables[variable]
        var[:] = change(np.ma.filled(var[:], np.nan))
    return edit


def netcdf_shift_lon(degrees: float) -> Callable:
    def edit(ds):
        ds.variables["lon"][:] = ds.variables["lon"][:] + degrees
    return edit


def rewrite_netcdf(path: Path, variable: str, *, rename: str | None = None, fill_value=None,
                   lon_slice: slice = slice(None), values: Callable[[np.ndarray], np.ndarray] | None = None) -> None:
    """Write the file again from its lat/lon grid and one variable (renamed, cropped, other fill value)."""
    import netCDF4

    with netCDF4.Dataset(path) as src:
        lat, lon = src.variables["lat"], src.variables["lon"]
        var = src.variables[variable]
        coords = {name: (v[:], {a: v.getncattr(a) for a in v.ncattrs()}) for name, v in (("lat", lat), ("lon", lon))}
        data = np.ma.filled(var[:], np.nan)[:, lon_slice]
        attrs = {a: var.getncattr(a) for a in var.ncattrs() if a != "_FillValue"}
        dtype = var.dtype
    coords["lon"] = (coords["lon"][0][lon_slice], coords["lon"][1])
    if values is not None:
        data = values(data)
    with netCDF4.Dataset(path, "w") as dst:
        for name, (vals, attributes) in coords.items():
            dst.createDimension(name, len(vals))
            v = dst.createVariable(name, "f8", (name,))
            v.setncatts(attributes)
            v[:] = vals
        out = dst.createVariable(rename or variable, dtype, ("lat", "lon"), fill_value=fill_value)
        out.setncatts(attrs)
        out[:] = data


def replace_text(path: Path, old: str, new: str, encoding: str = "utf-8") -> None:
    text = path.read_text(encoding=encoding)
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding=encoding)


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(path.read_bytes()), dtype=str, keep_default_na=False, encoding=encoding_of(path))
