"""The sample world writes history: the units each source names in each year, as the real sources do.

The structural model lives on the boundary vintage (the world's polygons: today's units). Real sources
name the units of their own year, so the writers of the yearbook, CEADs, the census, the pilot lists,
the work reports and the patent addresses go through ``History.report``: for a vintage unit and a year
it gives the rows that source reports, each with the share of the vintage unit's extensive values it
carries. The changes are the real ones (``ingestion.divisions.Crosswalk``, the seeds the loaders
resolve by and dbt harmonises with):

* rename / new code (襄阳 was 襄樊市 to 2009, 毕节市 was 毕节地区 522400 to 2010): one row under the old
  name and code, share 1;
* merge (莱芜 into 济南, in force 2018): before it, two rows: the successor's old territory and the
  absorbed unit, ``SHARES["merge"]`` of the vintage values; dbt sums them back;
* split (巢湖, 2011, among 合肥, 芜湖 and 马鞍山): before it, each receiver reports its old, smaller
  territory (``1 - SHARES["split"]``) and the dissolved unit reports the parts it held (summed over the
  receivers in the world); dbt keeps the dissolved unit out of the panel and flags the receivers;
* transfer of whole counties and creation from part of a unit (简阳 from 资阳 to 成都 in 2016; 中卫
  2003; a minor transfer of a few towns is not simulated, as dbt does not flag it): before it the
  receiver reports ``1 - SHARES["transfer"]`` of its vintage values and the giver's row carries the
  rest (only a flag in dbt: these years do not cover the vintage's territory).

Habits: ``"end"`` names the units of the code table of 31 Dec of the year (yearbook, CEADs, census,
pilot lists); ``"start"`` the units in force on 1 January (work reports, delivered early in the year;
patents applied for before the change was decided). Sources that report today's regions for every year
(the firm registry, the Baidu index) do not go through here.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from ingestion.divisions import ONE_TO_ONE, PROVINCES, Crosswalk, Period

# share of a vintage unit's extensive values held by the territory a change moved (documented above)
SHARES = {"merge": 0.15, "split": 0.20, "transfer": 0.10}
HABITS = ("end", "start")


@dataclass(frozen=True)
class Part:
    """One row a source reports for (vintage unit, year): the unit named and its share of the values."""

    adcode: str
    name_zh: str
    share: float

    @property
    def province_zh(self) -> str:
        return PROVINCES[self.adcode[:2]][0]


class History:
    """What the world's vintage units were in each year, and how a source reports them."""

    def __init__(self, vintage: pd.DataFrame, crosswalk: Crosswalk | None = None):
        # vintage: the world's units (adcode, name_zh) as its boundaries name them
        self.crosswalk = crosswalk or Crosswalk.load()
        self.names = dict(zip(vintage.adcode, vintage.name_zh))
        self.changes = self.crosswalk.changes

    def table(self, year: int, habit: str) -> int:
        """The code table a source with ``habit`` names the units of ``year`` by."""
        if habit not in HABITS:
            raise ValueError(f"habit must be one of {HABITS}")
        return year if habit == "end" else year - 1

    @cached_property
    def _by_new(self) -> dict[str, list]:
        out: dict[str, list] = {}
        for c in self.changes.itertuples(index=False):
            out.setdefault(c.new_adcode, []).append(c)
        return out

    @cached_property
    def _by_old(self) -> dict[str, list]:
        out: dict[str, list] = {}
        for c in self.changes.itertuples(index=False):
            if not pd.isna(c.old_adcode):
                out.setdefault(c.old_adcode, []).append(c)
        return out

    def named(self, adcode: str, table: int) -> tuple[str, str]:
        """(code, name) in the code table ``table`` of the unit that is ``adcode`` in the last table (the
        vintage) or, for a unit that no longer exists, in its last table: back through its renames and new
        codes; a unit created after ``table`` keeps its first name."""
        code = adcode
        period = self._period(adcode, self.crosswalk.last_table) or self._last_period(adcode)
        while period is not None and period.table_from > table:
            earlier = [c for c in self._by_new.get(code, [])
                       if c.year_in_force == period.table_from and c.kind in ONE_TO_ONE]
            if earlier:
                code = earlier[0].old_adcode
            before = self._period(code, period.table_from - 1)
            if before is None:
                break
            period = before
        if period is None:  # a unit of the world the code tables do not know: its own name
            return adcode, self.names.get(adcode, adcode)
        if code == adcode and period.table_to >= self.crosswalk.last_table:
            return adcode, self.names.get(adcode, period.name_zh)
        return code, period.name_zh

    def _period(self, adcode: str, table: int) -> Period | None:
        return self.crosswalk.unit(adcode, table)

    def _last_period(self, adcode: str) -> Period | None:
        periods = self.crosswalk.unit_periods(adcode)
        return periods[-1] if periods else None

    def report(self, adcode: str, year: int, habit: str) -> list[Part]:
        """The rows a source with ``habit`` reports for the vintage unit ``adcode`` in ``year``, whose shares
        sum to 1: first the unit itself under its name of that year, then the units that held part of its
        vintage territory then (a unit merged into it later, a unit dissolved into it, the giver of a
        later transfer)."""
        table = self.table(year, habit)
        own = 1.0
        extra: list[Part] = []
        for c in self._by_new.get(adcode, []):
            if c.year_in_force <= table or pd.isna(c.old_adcode) or c.old_level == "county_direct":
                continue  # in force already (the vintage's territory), or no predecessor unit to report
            if c.kind not in ("merge", "split", "transfer", "creation"):
                continue  # a rename or new code moves no territory; a minor transfer is not simulated
            share = SHARES[c.kind if c.kind in SHARES else "transfer"]
            own -= share
            code, name = self.named(c.old_adcode, table)
            extra.append(Part(code, name, share))
        code, name = self.named(adcode, table)
        return [Part(code, name, own), *extra]

    def cutoff(self, adcode: str, year: int) -> pd.Timestamp | None:
        """When the change of ``year`` that concerns the vintage unit was decided (records dated before it
        still name the old units; 1 July where the tables record no date), or None without a change."""
        dates = [c.decided for c in self._by_new.get(adcode, []) if c.year_in_force == year]
        if not dates:
            return None
        known = [d for d in dates if isinstance(d, str) and d]
        return pd.Timestamp(min(known)) if known else pd.Timestamp(f"{year}-07-01")

    def frame(self, adcodes, years, habit: str) -> pd.DataFrame:
        """``report`` for many (vintage unit, year) rows: one row per part, with ``row`` the position of
        the input row, and the reported ``adcode``, ``name_zh``, ``province_zh`` and ``share``."""
        rows = []
        cache: dict[tuple[str, int], list[Part]] = {}
        for i, (adcode, year) in enumerate(zip(adcodes, years)):
            key = (adcode, int(year))
            if key not in cache:
                cache[key] = self.report(adcode, int(year), habit)
            for part in cache[key]:
                rows.append((i, part.adcode, part.name_zh, part.province_zh, part.share))
        return pd.DataFrame(rows, columns=["row", "adcode", "name_zh", "province_zh", "share"])

    def reported(self, frame: pd.DataFrame, habit: str, extensive: list[str],
                 intensive: list[str] = (), keys: tuple[str, ...] = ()) -> pd.DataFrame:
        """A table of vintage unit-years (``adcode``, ``year`` and value columns) as the source reports
        it: one row per unit it names (``adcode``, ``name_zh``, ``province_zh``, ``year``), the extensive
        columns scaled by the shares and summed over the parts naming the same unit, the intensive ones
        averaged with the shares as weights (a part carries its vintage unit's value), missing when any
        part is (NaN in ``frame``: a source does not report a unit's partial territory); ``keys`` are
        further columns the rows are told apart by (an industry). Sorted by code and year."""
        frame = frame.reset_index(drop=True)
        parts = self.frame(frame.adcode.to_numpy(), frame.year.to_numpy(), habit)
        values = frame.drop(columns=["adcode"]).iloc[parts.row.to_numpy()].reset_index(drop=True)
        rows = pd.concat([parts.drop(columns=["row"]), values], axis=1)
        for column in extensive:
            rows[column] = rows[column] * rows.share
        for column in intensive:
            rows[column] = rows[column] * rows.share
        group = ["adcode", "name_zh", "province_zh", "year", *keys]
        grouped = rows.groupby(group, sort=True)
        out = grouped[[*extensive, *intensive, "share"]].sum(min_count=1).reset_index()
        # a unit the source names is missing when a part of it is: a giver whose own territory has no value
        # must not report the transferred part alone (a tenth of its value, a jump the yoy checks catch)
        incomplete = rows[[*extensive, *intensive]].isna().groupby([rows[g] for g in group], sort=True).any()
        for column in [*extensive, *intensive]:
            out.loc[incomplete[column].to_numpy(), column] = float("nan")
        for column in intensive:
            out[column] = out[column] / out.share
        return out.drop(columns=["share"]).sort_values(["adcode", "year"], kind="stable").reset_index(drop=True)
