"""The structural model behind the sample world: city-year and province-year truth with planted effects.

Every number a source file carries is derived from the latent panel simulated here, so estimators run
on the marts can be checked against ``truth.json``. The equations (also in ``README.md`` beside this
file), for city i and year t, with A_it = ln(1 + AI firms in operation at year end):

  ln pgdp_it  = a_i + G_t + g_i (t - 2016) + u_it                       (AR(1) u, real growth path G_t)
  A_it        = c_0 + c_1 (t - 2003) + c_2 (ln pgdp_it - mean_t ln pgdp) + c_3 s_i + e_i + v_it
                + pilot_ai * D_it                                         (D_it: AI pilot zone in force)
  ln(1+Green) = g_0 + a_green * A_it + 0.5 (ln pgdp_it - 10) + 0.6 s_i + w_it    (mediator path a)
  Ins_it      = s_0 + 0.008 (t - 2003) + a_ins * A_it + 0.03 s_i + z_it           (mediator path a)
  ln CO2_it   = mu_i + tau_t + f(A_it) + b_green ln(1+Green) + b_ins Ins + 0.55 ln pgdp + 0.9 ln pop
                + sum_e delta_e 1[t - g_i = e] + delta_smart S_it + eps_it
      f(A)    = beta_r * A  for A in regime r of thresholds (kappa_1, kappa_2, kappa_3)  (Hansen 1999)
  ln SO2_t    = (I - rho W)^-1 (alpha + beta_so2 A_t + theta_so2 W A_t + gamma ln pgdp_t + tau_t + eps_t)
                (spatial Durbin with W = row-standardised inverse great-circle distance, rho = 0.85)
  ln PM2.5    = regional/latitude profile + year profile + 0.15 (ln SO2 - mean) + noise
  province:   ln CO2_pt = mu_p + tau_t + b_robot * Robot_pt + 0.5 ln GDP_pt + eps  (Robot: shift-share,
              base 2004), with the 9 fuels scaled so that the IPCC fuel-based CO2 equals it.

Everything is deterministic given (world, seed): one ``numpy.random.Generator`` consumed in a fixed
order. Calibration targets are the descriptive statistics printed in the studies (``analysis/replications/published``);
where the studies disagree (e.g. AI firm counts in studies 000 and 004) the model follows study 000.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ingestion.sample.geography import PROVINCES, World, area_km2, centroids_lonlat, great_circle_km
from ingestion.vocabulary import municipalities

# --------------------------------------------------------------------------------------------------
# real facts used by the generator (the same facts are dbt seeds)
# --------------------------------------------------------------------------------------------------
# AI innovation application pilot zones, as listed in study 002 (city adcode -> first year)
AI_PILOT_ZONES: dict[str, int] = {
    "310100": 2019, "370100": 2019, "370200": 2019, "440300": 2019,
    "110100": 2021, "120100": 2021, "330100": 2021, "440100": 2021, "510100": 2021,
    "320100": 2022, "420100": 2022, "430100": 2022,
}
SUB_PROVINCIAL = ("210100", "210200", "220100", "230100", "320100", "330100", "330200", "350200", "370100",
                  "370200", "420100", "440100", "440300", "510100", "610100")

# IFR industries (ISIC rev.4 groups as IFR reports them) with the Chinese industry names of the
# yearbook / economic census. Base-year employment shares (China 2004, US 1990) and robot intensity.
INDUSTRIES: tuple[tuple[str, str, str, float, float, float], ...] = (
    # code, IFR name, Chinese name, CN emp share, US emp share 1990, robot intensity (relative)
    ("A-B", "Agriculture, forestry, fishing", "农林牧渔业", 0.080, 0.030, 0.05),
    ("C", "Mining and quarrying", "采矿业", 0.060, 0.020, 0.10),
    ("10-12", "Food and beverages", "食品饮料制造业", 0.070, 0.080, 0.60),
    ("13-15", "Textiles", "纺织服装业", 0.110, 0.070, 0.15),
    ("16", "Wood and furniture", "木材家具制造业", 0.030, 0.040, 0.20),
    ("17-18", "Paper", "造纸印刷业", 0.030, 0.080, 0.25),
    ("19-22", "Plastic and chemical products", "化学橡塑制品业", 0.100, 0.100, 1.20),
    ("23", "Glass, ceramics, stone, mineral products", "非金属矿物制品业", 0.060, 0.030, 0.40),
    ("24-25", "Basic metals and metal products", "金属冶炼及制品业", 0.090, 0.100, 1.50),
    ("26-27", "Electrical/electronics", "电子电气设备制造业", 0.100, 0.120, 2.50),
    ("28", "Industrial machinery", "通用专用设备制造业", 0.070, 0.100, 1.00),
    ("29-30", "Automotive and other transport", "汽车及交通设备制造业", 0.050, 0.090, 6.00),
    ("91", "All other manufacturing branches", "其他制造业", 0.030, 0.040, 0.30),
    ("D-E", "Electricity, gas, water supply", "电力燃气水供应业", 0.040, 0.030, 0.05),
    ("F", "Construction", "建筑业", 0.060, 0.060, 0.02),
    ("P", "Education/research/development", "教育科研", 0.020, 0.010, 0.10),
)

# The nine fuels of the provincial energy balance with IPCC 2006 default factors:
# (name, unit, net calorific value TJ per unit, carbon content kg C / GJ, oxidation)
FUELS: tuple[tuple[str, str, float, float, float], ...] = (
    ("原煤", "万吨", 209.08, 25.8, 1.0),
    ("焦炭", "万吨", 284.35, 29.2, 1.0),
    ("原油", "万吨", 418.16, 20.0, 1.0),
    ("汽油", "万吨", 430.70, 18.9, 1.0),
    ("煤油", "万吨", 430.70, 19.5, 1.0),
    ("柴油", "万吨", 426.52, 20.2, 1.0),
    ("燃料油", "万吨", 418.16, 21.1, 1.0),
    ("液化石油气", "万吨", 501.79, 17.2, 1.0),
    ("天然气", "亿立方米", 3893.1, 15.3, 1.0),
)
FUEL_MIX = np.array([0.62, 0.09, 0.10, 0.05, 0.01, 0.07, 0.01, 0.01, 0.04])  # share of CO2 by fuel


@dataclass
class Truth:
    """Planted parameters, written to truth.json (each with its meaning)."""

    params: dict = field(default_factory=dict)

    def add(self, name: str, value, meaning: str) -> None:
        if isinstance(value, np.ndarray):
            value = value.tolist()
        elif isinstance(value, (np.floating, np.integer)):
            value = value.item()
        self.params[name] = {"value": value, "meaning": meaning}


@dataclass
class Simulation:
    world: World
    city: pd.DataFrame  # adcode x year, latent truth in natural units
    province: pd.DataFrame  # province_adcode x year
    industry: pd.DataFrame  # IFR robots by country x industry x year, employment bases
    employment: pd.DataFrame  # geo_level, geo_code, industry, year, employment (persons)
    policies: pd.DataFrame  # policy, adcode, year, batch
    attributes: pd.DataFrame  # city attributes (size factor, flags)
    truth: Truth


def _growth_path(years: np.ndarray) -> np.ndarray:
    """Cumulative real growth of GDP per capita relative to 2016 (China's path, rounded)."""
    rate = {y: (0.11 if y <= 2011 else 0.075 if y <= 2015 else 0.06 if y <= 2019 else
                {2020: 0.02, 2021: 0.075, 2022: 0.03}.get(y, 0.05)) for y in range(1990, 2031)}
    out = []
    for y in years:
        if y >= 2016:
            out.append(sum(rate[k] for k in range(2017, y + 1)))
        else:
            out.append(-sum(rate[k] for k in range(y + 1, 2017)))
    return np.array(out)


def _ar1(rng, shape, rho, sd):
    n, t = shape
    out = np.empty(shape)
    out[:, 0] = rng.normal(0, sd / np.sqrt(1 - rho**2), n)
    for k in range(1, t):
        out[:, k] = rho * out[:, k - 1] + rng.normal(0, sd, n)
    return out


def inverse_distance_w(lonlat: np.ndarray) -> np.ndarray:
    """Row-standardised inverse great-circle distance weights (zero diagonal)."""
    d = great_circle_km(lonlat)
    with np.errstate(divide="ignore"):
        w = np.where(d > 0, 1.0 / d, 0.0)
    return w / w.sum(axis=1, keepdims=True)


def _draw_batches(rng, eligible: np.ndarray, score: np.ndarray, sizes: dict[int, int]) -> dict[int, int]:
    """Pick pilot cities in batches (year -> count), more likely for larger cities; returns idx -> year."""
    chosen: dict[int, int] = {}
    pool = list(np.flatnonzero(eligible))
    for year, k in sizes.items():
        pool = [i for i in pool if i not in chosen]
        if not pool or k <= 0:
            continue
        p = np.exp(score[pool])
        p = p / p.sum()
        picked = rng.choice(pool, size=min(k, len(pool)), replace=False, p=p)
        for i in picked:
            chosen[int(i)] = year
    return chosen


def simulate(world: World, seed: int) -> Simulation:
    rng = np.random.default_rng(seed)
    cities = world.cities
    n = len(cities)
    years = np.array(world.years)
    t_n = len(years)
    truth = Truth()
    truth.add("seed", seed, "random seed of the generator")
    truth.add("world", world.spec.name, "sample world")

    # ---------- city attributes
    adcode = cities.adcode.to_numpy()
    lonlat = centroids_lonlat(cities)
    area = area_km2(cities)
    region = np.array([PROVINCES[a[:2]][2] for a in adcode])
    east, west = (region == "east").astype(float), (region == "west").astype(float)
    municipality = np.isin(adcode, municipalities())
    capital = np.array([a[2:] == "0100" for a in adcode]) | municipality
    subprov = np.isin(adcode, SUB_PROVINCIAL)
    size = rng.normal(0, 1, n) + 1.3 * capital + 0.6 * subprov + 0.3 * east - 0.2 * west + world.spec.size_offset
    attributes = pd.DataFrame({
        "adcode": adcode, "lon": lonlat[:, 0], "lat": lonlat[:, 1], "area_km2": area, "region": region,
        "municipality": municipality, "capital": capital, "sub_provincial": subprov, "size": size,
    })

    yy = years[None, :] - 2003.0
    # ---------- population (万人): hukou and resident
    pop_hukou = np.exp(5.85 + 0.42 * size + rng.normal(0, 0.15, n))[:, None] * (1.003 ** yy)
    resident_ratio = np.clip(1.0 + 0.08 * size + rng.normal(0, 0.05, n), 0.8, 1.6)[:, None]
    pop = pop_hukou * resident_ratio * (1 + 0.002 * size[:, None] * yy)
    lnpop = np.log(pop)

    # ---------- GDP per capita (元) and GDP (万元)
    level16 = 10.75 + 0.30 * size + 0.20 * east - 0.20 * west + rng.normal(0, 0.25, n)
    lnpgdp = level16[:, None] + _growth_path(years)[None, :] + rng.normal(0, 0.008, n)[:, None] * (years - 2016) \
        + _ar1(rng, (n, t_n), 0.7, 0.025)
    gdp = np.exp(lnpgdp) * pop  # 元/人 x 万人 = 万元

    # ---------- AI pilot zones (study 002 list) and other policies
    pilot_year = np.array([AI_PILOT_ZONES.get(a, 0) for a in adcode])
    d_pilot = (pilot_year[:, None] > 0) & (years[None, :] >= pilot_year[:, None])
    smart = _draw_batches(rng, ~municipality | True, 0.8 * size,
                          {2012: round(0.31 * n), 2013: round(0.34 * n), 2015: round(0.27 * n)})
    low_carbon = _draw_batches(rng, np.ones(n, bool), 0.6 * size,
                               {2010: round(0.05 * n), 2012: round(0.10 * n), 2017: round(0.12 * n)})
    broadband = _draw_batches(rng, np.ones(n, bool), 0.7 * size,
                              {2014: round(0.13 * n), 2015: round(0.13 * n), 2016: round(0.13 * n)})
    smart_year = np.array([smart.get(i, 0) for i in range(n)])
    d_smart = (smart_year[:, None] > 0) & (years[None, :] >= smart_year[:, None])

    # ---------- AI: ln(1 + AI firms in operation at year end)
    pilot_ai = 0.15
    dev = lnpgdp - lnpgdp.mean(axis=0, keepdims=True)
    ai = (2.30 + 0.21 * yy + 0.9 * dev + 0.45 * size[:, None] + rng.normal(0, 1.30, n)[:, None]
          + _ar1(rng, (n, t_n), 0.8, 0.10) + pilot_ai * d_pilot)
    ai = np.clip(ai, 0.0, None)
    ai_stock = np.maximum(np.round(np.expm1(ai)), 0).astype(np.int64)
    ai = np.log1p(ai_stock)  # the observed measure is exactly ln(1 + count)
    truth.add("ai_pilot_on_ln_ai_firms", pilot_ai, "effect of an AI pilot zone on ln(1+AI firms)")

    # ---------- mediators
    a_green, a_ins = 0.55, 0.015
    ln_green = np.clip(0.0 + a_green * ai + 0.5 * (lnpgdp - 10) + 0.6 * size[:, None]
                       + rng.normal(0, 0.35, (n, t_n)), 0, None)
    green_apps = np.round(np.expm1(ln_green)).astype(np.int64)
    ln_green = np.log1p(green_apps)
    ins = np.clip(0.30 + 0.008 * yy + a_ins * ai + 0.03 * size[:, None] + rng.normal(0, 0.03, n)[:, None]
                  + rng.normal(0, 0.015, (n, t_n)), 0.12, 0.85)
    sec = np.clip(0.52 - 0.007 * yy - 0.02 * size[:, None] + rng.normal(0, 0.07, n)[:, None]
                  + rng.normal(0, 0.015, (n, t_n)), 0.12, 0.75)
    sec = np.minimum(sec, 0.97 - ins)
    prim = 1.0 - sec - ins
    truth.add("a_green", a_green, "path a: effect of A on ln(1 + green patent applications)")
    truth.add("a_ins", a_ins, "path a: effect of A on the tertiary share of GDP")

    # ---------- CO2 (tonnes): thresholds in A, pilot dynamics, mediators
    kappa = np.array([4.0, 5.5, 7.0])
    beta_regime = np.array([-0.10, -0.08, -0.06, -0.03])
    regime = np.searchsorted(kappa, ai, side="left")  # A <= kappa_1 -> 0, ...
    f_ai = beta_regime[regime] * ai
    b_green, b_ins = -0.06, -0.80
    rel = np.where(d_pilot, years[None, :] - pilot_year[:, None], -99)
    delta_pilot = np.where(rel >= 0, -0.03 - 0.015 * np.clip(rel, 0, 10), 0.0)
    delta_smart = -0.02
    tau = 0.045 * np.minimum(yy, 10) - 0.01 * np.maximum(yy - 10, 0)
    mu = rng.normal(0, 0.35, n) - 0.2 * east + 0.25 * west
    ln_co2 = (5.75 + mu[:, None] + tau + f_ai + b_green * ln_green + b_ins * ins + 0.55 * lnpgdp + 0.9 * lnpop
              + 1.2 * sec + delta_pilot + delta_smart * d_smart + rng.normal(0, 0.05, (n, t_n)))
    co2_t = np.exp(ln_co2)
    truth.add("kappa", kappa, "thresholds in A = ln(1+AI firms) of the CO2 equation (Hansen 1999, q = A)")
    truth.add("beta_regime", beta_regime, "slope of ln CO2 on A in each of the four regimes")
    truth.add("b_green", b_green, "path b: effect of ln(1 + green patent applications) on ln CO2")
    truth.add("b_ins", b_ins, "path b: effect of the tertiary share on ln CO2")
    truth.add("pilot_effect_by_event_time", {str(e): -0.03 - 0.015 * e for e in range(0, 5)},
              "effect of the AI pilot zone on ln CO2 at event time e = t - cohort (direct, excluding the AI channel)")
    truth.add("smart_city_effect", delta_smart, "effect of the smart-city pilot on ln CO2")
    truth.add("elasticity_ln_pgdp", 0.55, "ln CO2 on ln GDP per capita")
    truth.add("elasticity_ln_pop", 0.9, "ln CO2 on ln resident population")

    # ---------- industrial SO2: spatial Durbin model with rho = 0.85
    rho, beta_so2, theta_so2, gamma_so2 = 0.85, -0.06, -0.10, 0.10
    w = inverse_distance_w(lonlat)
    alpha = rng.normal(0, 0.12, n) + 0.05 * west
    tau_so2 = np.where(years <= 2015, 0.0, -0.012 * (years - 2015)).astype(float)
    ln_so2 = np.empty((n, t_n))
    lu = np.linalg.inv(np.eye(n) - rho * w)
    for k in range(t_n):
        rhs = (alpha + beta_so2 * ai[:, k] + theta_so2 * (w @ ai[:, k]) + gamma_so2 * (lnpgdp[:, k] - 10)
               + tau_so2[k] + rng.normal(0, 0.12, n))
        ln_so2[:, k] = lu @ rhs
    shift = 10.0 - ln_so2.mean()
    ln_so2 = ln_so2 + shift  # level of ln SO2 (tonnes); a constant shift keeps the SDM intact with FE
    truth.add("rho_so2", rho, "spatial autoregressive parameter of ln industrial SO2 (SDM, W = inverse distance)")
    truth.add("beta_so2", beta_so2, "SDM: own-city A on ln SO2")
    truth.add("theta_so2", theta_so2, "SDM: W x A on ln SO2")
    truth.add("gamma_so2", gamma_so2, "SDM: ln GDP per capita on ln SO2")
    truth.add("so2_weight_matrix", "row-standardised inverse great-circle distance between representative points",
              "the W of the SO2 process")
    so2_t = np.exp(ln_so2)
    wastewater = np.exp(0.75 * (ln_so2 - 10.3) + 8.2 + 0.4 * size[:, None] + rng.normal(0, 0.25, (n, t_n)))  # 万吨
    dust_t = np.exp(0.85 * (ln_so2 - 10.3) + 9.6 + rng.normal(0, 0.35, (n, t_n)))
    nox_t = np.exp(0.7 * (ln_so2 - 10.3) + 10.0 + 0.3 * size[:, None] + rng.normal(0, 0.2, (n, t_n)))

    # ---------- PM2.5 and night lights (city means)
    lat = lonlat[:, 1]
    year_profile = np.where(years <= 2013, 0.02 * (years - 2013), -0.055 * (years - 2013))
    ln_pm = (3.95 + 0.012 * (lat - 32) - 0.4 * (lonlat[:, 0] < 100) - 0.15 * (lat < 25))[:, None] \
        + year_profile[None, :] + 0.15 * (ln_so2 - ln_so2.mean()) + rng.normal(0, 0.08, (n, t_n))
    pm25 = np.exp(ln_pm)
    density = pop / area[:, None] * 1e4  # persons per km2
    ln_ntl = 0.2 + 0.8 * (lnpgdp - 10.5) + 0.45 * np.log(density / 500) + 0.05 * (years - 2012)[None, :] \
        + rng.normal(0, 0.1, (n, t_n))
    ntl = np.where(years[None, :] >= 2012, np.exp(ln_ntl), np.nan)

    # ---------- CEADs inventory: its own accounting differs from EDGAR (multiplicative noise)
    ceads_co2_t = co2_t * np.exp(0.05 + rng.normal(0, 0.08, n)[:, None] + rng.normal(0, 0.03, (n, t_n)))
    ceads_missing = rng.random((n, t_n)) < 0.08
    ceads_co2_t = np.where(ceads_missing | (years[None, :] > 2021), np.nan, ceads_co2_t)

    # ---------- yearbook controls (levels in the yearbook's units)
    loans = gdp * np.clip(1.05 + 0.25 * size[:, None] + 0.02 * yy + rng.normal(0, 0.2, (n, t_n)), 0.25, 8)
    deposits = gdp * np.clip(1.35 + 0.35 * size[:, None] + 0.02 * yy + rng.normal(0, 0.25, (n, t_n)), 0.3, 12)
    fdi_usd = gdp * np.exp(np.log(0.0022) + 0.4 * size[:, None] + rng.normal(0, 0.6, (n, t_n)))  # 万美元
    trade = gdp * np.exp(np.log(0.15) + 0.6 * size[:, None] + 0.8 * east[:, None] + rng.normal(0, 0.3, (n, t_n)))
    budget_exp = gdp * np.clip(0.17 - 0.02 * size[:, None] + 0.002 * yy + rng.normal(0, 0.04, (n, t_n)), 0.04, 0.9)
    budget_rev = budget_exp * np.clip(0.45 + 0.12 * size[:, None] + rng.normal(0, 0.06, (n, t_n)), 0.08, 1.0)
    edu_exp = budget_exp * np.clip(0.18 + rng.normal(0, 0.03, (n, t_n)), 0.09, 0.28)
    sci_exp = budget_exp * np.clip(0.015 + 0.01 * size[:, None] + rng.normal(0, 0.005, (n, t_n)), 0.001, 0.1)
    fai = gdp * np.clip(0.55 + 0.03 * yy - 0.0015 * yy**2 + rng.normal(0, 0.12, (n, t_n)), 0.15, 1.5)
    gov_invest = budget_exp * np.clip(0.25 + rng.normal(0, 0.08, (n, t_n)), 0.02, 0.9)
    retail = gdp * np.clip(0.36 + 0.004 * yy + rng.normal(0, 0.07, (n, t_n)), 0.12, 0.7)
    broadband_users = pop * np.clip(0.05 + 0.014 * yy + 0.02 * size[:, None] + rng.normal(0, 0.02, (n, t_n)), 0.005, 0.6)
    students = pop * 1e4 * np.clip(np.exp(np.log(0.012) + 0.8 * size[:, None] + rng.normal(0, 0.4, n)[:, None])
                                   * (1.03 ** yy), 0.0, 0.18)  # 人
    urban_rate = np.clip(0.33 + 0.012 * yy + 0.08 * size[:, None] + rng.normal(0, 0.08, n)[:, None], 0.12, 1.0)
    urban_pop = pop * urban_rate
    employed = pop * np.clip(0.12 + 0.04 * size[:, None] + rng.normal(0, 0.02, (n, t_n)), 0.04, 0.6)
    mining_share = np.clip(np.exp(np.log(0.01) + rng.normal(0, 1.3, n))[:, None] * np.exp(rng.normal(0, 0.1, (n, t_n))),
                           0, 0.55)
    mining_emp = employed * mining_share
    energy_tce = co2_t / 2.66e4 * np.exp(rng.normal(0, 0.05, (n, t_n)))  # 万吨标准煤 (≈2.66 t CO2 per tce)
    electricity = energy_tce * 1e4 * np.clip(0.3 + rng.normal(0, 0.05, (n, t_n)), 0.1, 0.6) * 8.14  # 万千瓦时
    pollution_invest = gdp * sec * np.clip(0.004 + rng.normal(0, 0.0015, (n, t_n)), 0.0002, 0.02)
    digital_finance = np.where(years[None, :] >= 2011,
                               np.maximum(40 + 25 * np.maximum(years[None, :] - 2011, 0) ** 0.8 + 15 * size[:, None]
                                          + rng.normal(0, 5, (n, t_n)), 5.0),
                               np.nan)

    # ---------- AI attention (Baidu index daily average) and government report word shares
    baidu = np.where(years[None, :] >= 2011, np.exp(0.2 + 0.62 * ai + rng.normal(0, 0.25, (n, t_n))), np.nan)
    er_share = np.clip(0.0025 + 0.0006 * d_pilot + 0.00005 * yy + rng.normal(0, 0.0006, (n, t_n)), 0.0002, 0.012)
    digital_share = np.clip(0.0004 + 0.00012 * np.maximum(yy - 8, 0) + 0.00008 * ai + rng.normal(0, 0.0002, (n, t_n)),
                            0.00002, 0.01)
    truth.add("pilot_effect_on_er", 0.0006, "effect of the AI pilot zone on the environmental word share")

    def long(a):
        return a.reshape(-1)

    city = pd.DataFrame({
        "adcode": np.repeat(adcode, t_n), "year": np.tile(years, n),
        "pop_hukou_10k": long(pop_hukou), "pop_resident_10k": long(pop), "urban_pop_10k": long(urban_pop),
        "ln_pgdp": long(lnpgdp), "gdp_10k_yuan": long(gdp),
        "gdp_primary_10k_yuan": long(gdp * prim), "gdp_secondary_10k_yuan": long(gdp * sec),
        "gdp_tertiary_10k_yuan": long(gdp * ins), "industry_va_10k_yuan": long(gdp * sec * 0.85),
        "ai_firms": long(ai_stock), "ln_ai_firms": long(ai),
        "green_apps": long(green_apps), "ln_green": long(ln_green), "tertiary_share": long(ins),
        "co2_t": long(co2_t), "ln_co2": long(ln_co2), "ceads_co2_t": long(ceads_co2_t),
        "so2_t": long(so2_t), "ln_so2": long(ln_so2), "wastewater_10k_t": long(wastewater),
        "dust_t": long(dust_t), "nox_t": long(nox_t), "pm25_ugm3": long(pm25), "ntl_nw": long(ntl),
        "loans_10k_yuan": long(loans), "deposits_10k_yuan": long(deposits), "fdi_10k_usd": long(fdi_usd),
        "trade_10k_yuan": long(trade), "budget_exp_10k_yuan": long(budget_exp),
        "budget_rev_10k_yuan": long(budget_rev), "edu_exp_10k_yuan": long(edu_exp),
        "sci_exp_10k_yuan": long(sci_exp), "fai_10k_yuan": long(fai), "gov_invest_10k_yuan": long(gov_invest),
        "retail_10k_yuan": long(retail), "broadband_10k_households": long(broadband_users),
        "college_students": long(students), "employed_10k": long(employed), "mining_employed_10k": long(mining_emp),
        "energy_10k_tce": long(energy_tce), "electricity_10k_kwh": long(electricity),
        "pollution_invest_10k_yuan": long(pollution_invest), "digital_finance_index": long(digital_finance),
        "land_area_km2": np.repeat(area, t_n), "baidu_ai_daily": long(baidu),
        "er_share": long(er_share), "digital_share": long(digital_share),
        "pilot": long(d_pilot.astype(int)), "smart_city": long(d_smart.astype(int)), "regime": long(regime),
    })

    policies = []
    for i, year in smart.items():
        policies.append(("smart_city", adcode[i], year, {2012: 1, 2013: 2, 2015: 3}[year]))
    for i, year in low_carbon.items():
        policies.append(("low_carbon", adcode[i], year, {2010: 1, 2012: 2, 2017: 3}[year]))
    for i, year in broadband.items():
        policies.append(("broadband_china", adcode[i], year, {2014: 1, 2015: 2, 2016: 3}[year]))
    policies = pd.DataFrame(policies, columns=["policy", "adcode", "year", "batch"]).sort_values(
        ["policy", "year", "adcode"]).reset_index(drop=True)

    province, industry, employment = _provinces(rng, world, city, attributes, truth)
    return Simulation(world, city, province, industry, employment, policies, attributes, truth)


def _provinces(rng, world: World, city: pd.DataFrame, attributes: pd.DataFrame, truth: Truth):
    """Province panel (study 003): robots by industry (IFR), employment bases, fuels, controls."""
    years_all = np.arange(2000, max(world.years) + 1)
    codes = [c for c in sorted({a[:2] for a in attributes.adcode}) if c != "54"]  # Tibet excluded (study 003)
    m = len(INDUSTRIES)
    cn_share = np.array([r[3] for r in INDUSTRIES])
    us_share = np.array([r[4] for r in INDUSTRIES])
    intensity = np.array([r[5] for r in INDUSTRIES])
    # national industry employment 2004 (persons) and US 1990
    cn_emp_2004 = cn_share / cn_share.sum() * 1.6e8
    us_emp_1990 = us_share / us_share.sum() * 6.0e7
    # robots: installations grow fast in China after 2010, steadily in the US
    t = years_all - 2000
    cn_total = 300 * np.exp(0.27 * t) / (1 + np.exp(0.3 * (t - 22)))
    us_total = 12000 + 1500 * t
    cn_inst = np.outer(intensity / intensity.sum(), cn_total) * np.exp(rng.normal(0, 0.1, (m, len(t))))
    us_inst = np.outer(intensity / intensity.sum(), us_total) * np.exp(rng.normal(0, 0.1, (m, len(t))))

    def stock(inst):  # IFR: 12-year service life, approximated by geometric depreciation of 1/12
        out = np.zeros_like(inst)
        for k in range(inst.shape[1]):
            out[:, k] = (out[:, k - 1] * (1 - 1 / 12) if k else inst[:, 0] * 6) + inst[:, k]
        return out

    cn_stock, us_stock = stock(cn_inst), stock(us_inst)
    rows = []
    for country, inst, stk in (("China", cn_inst, cn_stock), ("United States", us_inst, us_stock)):
        for j, (code, name, *_rest) in enumerate(INDUSTRIES):
            for k, y in enumerate(years_all):
                rows.append((country, code, name, int(y), round(float(inst[j, k])), round(float(stk[j, k]))))
    industry = pd.DataFrame(rows, columns=["country", "isic_code", "industry", "year", "installations",
                                           "operational_stock"])

    # province employment structure in 2004: national shares tilted by a province profile
    p = len(codes)
    tilt = np.exp(rng.normal(0, 0.45, (p, m)))
    emp_total = np.exp(rng.normal(np.log(6.0e6), 0.6, p))
    prov_emp = emp_total[:, None] * (cn_share * tilt) / (cn_share * tilt).sum(axis=1, keepdims=True)
    # shift-share exposure (study 003 eq. 2, base 2004): sum_j (L_pj/L_p) * (Robot_jt / L_j)  [per 1,000 workers]
    share = prov_emp / prov_emp.sum(axis=1, keepdims=True)
    robots_per_worker = cn_stock / cn_emp_2004[:, None] * 1e3
    exposure = share @ robots_per_worker  # p x years_all
    us_robots_per_worker = us_stock / us_emp_1990[:, None] * 1e3
    exposure_us = share @ us_robots_per_worker

    emp_rows = [("country", "CHN", ind[0], ind[2], 2004, float(cn_emp_2004[j])) for j, ind in enumerate(INDUSTRIES)]
    for i, code in enumerate(codes):
        for j, ind in enumerate(INDUSTRIES):
            emp_rows.append(("province", code + "0000", ind[0], ind[2], 2004, float(prov_emp[i, j])))
    for j, ind in enumerate(INDUSTRIES):
        emp_rows.append(("country", "USA", ind[0], ind[1], 1990, float(us_emp_1990[j])))
    # city employment by industry in the base year (within-province split by city size)
    for i, code in enumerate(codes):
        members = attributes.loc[attributes.adcode.str[:2] == code]
        weights = np.exp(members["size"].to_numpy())
        weights = weights / weights.sum()
        local = np.exp(rng.normal(0, 0.3, (len(members), m)))
        for c, adc in enumerate(members.adcode):
            split = prov_emp[i] * weights[c] * local[c] / (local[c] @ (prov_emp[i] / prov_emp[i].sum()))
            for j, ind in enumerate(INDUSTRIES):
                emp_rows.append(("city", adc, ind[0], ind[2], 2004, float(split[j])))
    employment = pd.DataFrame(emp_rows, columns=["geo_level", "geo_code", "isic_code", "industry", "year",
                                                 "employment_persons"])

    # province-year panel for the study window of the world
    yrs = np.array(world.years)
    idx = np.searchsorted(years_all, yrs)
    expo = exposure[:, idx]
    expo_us = exposure_us[:, idx]
    b_robot = -0.25
    agg = city.assign(pc=city.adcode.str[:2]).groupby(["pc", "year"]).agg(
        gdp=("gdp_10k_yuan", "sum"), pop=("pop_resident_10k", "sum"), fai=("fai_10k_yuan", "sum"),
        employed=("employed_10k", "sum"), energy=("energy_10k_tce", "sum"), loans=("loans_10k_yuan", "sum"),
        budget=("budget_exp_10k_yuan", "sum"), trade=("trade_10k_yuan", "sum"), urban=("urban_pop_10k", "sum"),
        electricity=("electricity_10k_kwh", "sum"), secondary=("gdp_secondary_10k_yuan", "sum"),
        tertiary=("gdp_tertiary_10k_yuan", "sum"), pollution_invest=("pollution_invest_10k_yuan", "sum"),
        green=("green_apps", "sum"), area=("land_area_km2", "sum"),
    ).reset_index()
    agg = agg[agg.pc.isin(codes)]
    mu = dict(zip(codes, rng.normal(0, 0.3, p)))
    pos = {c: i for i, c in enumerate(codes)}
    rows = []
    for r in agg.itertuples(index=False):
        i, k = pos[r.pc], int(np.searchsorted(yrs, r.year))
        ln_co2 = (mu[r.pc] + 0.02 * (r.year - 2003) + b_robot * expo[i, k] + 0.5 * np.log(r.gdp)
                  + 1.0 + rng.normal(0, 0.03))  # 万吨 CO2 after the constant
        rows.append((r.pc + "0000", int(r.year), float(expo[i, k]), float(expo_us[i, k]), float(np.exp(ln_co2)),
                     float(ln_co2)) + tuple(float(v) for v in r[2:]))
    province = pd.DataFrame(rows, columns=["province_adcode", "year", "robot_exposure", "robot_exposure_us",
                                           "co2_10k_t", "ln_co2_10k_t", "gdp_10k_yuan", "pop_10k", "fai_10k_yuan",
                                           "employed_10k", "energy_10k_tce", "loans_10k_yuan",
                                           "budget_exp_10k_yuan", "trade_10k_yuan", "urban_pop_10k",
                                           "electricity_10k_kwh", "gdp_secondary_10k_yuan",
                                           "gdp_tertiary_10k_yuan", "pollution_invest_10k_yuan", "green_apps",
                                           "area_km2"])
    # fuels (IPCC 2006): CO2 = sum_f Q_f * NCV_f * CC_f * ox_f * 44/12, split by a province fuel mix
    mix = FUEL_MIX[None, :] * np.exp(rng.normal(0, 0.2, (p, len(FUELS))))
    mix = mix / mix.sum(axis=1, keepdims=True)
    # TJ/unit x t C/TJ x 44/12 = t CO2 per unit; / 1e4 -> 万吨 CO2 per unit (raw coal: 1.978)
    factor = np.array([ncv * cc * ox * 44 / 12 / 1e4 for _, _, ncv, cc, ox in FUELS])
    fuel_cols = {}
    for f, (name, *_r) in enumerate(FUELS):
        fuel_cols[name] = province.co2_10k_t.to_numpy() * mix[[pos[c[:2]] for c in province.province_adcode], f] \
            / factor[f]
    province = pd.concat([province, pd.DataFrame(fuel_cols)], axis=1)
    truth.add("b_robot", b_robot, "province: effect of robot exposure (robots per 1,000 workers, shift-share with "
              "2004 employment shares and national 2004 industry employment) on ln CO2")
    truth.add("ipcc_factors_10k_t_co2_per_unit", dict(zip([f[0] for f in FUELS], factor.round(6))),
              "CO2 per unit of each fuel (NCV x carbon content x oxidation x 44/12)")
    return province, industry, employment
