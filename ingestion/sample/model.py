"""The structural model behind the sample world: city-year and province-year truth with planted effects.

Every number a source file carries is derived from the latent panel simulated here, so estimators run
on the marts can be checked against ``truth.json`` and the effects panel ``truth_effects.csv``. The
equations (also in ``README.md`` beside this file, with every planted number in :class:`Planted`), for
city i and year t, with A_it = ln(1 + AI firms in operation at year end) and R_it = ln(1 + robot exposure):

  ln pgdp_it  = a_i + G_t + g_i (t - 2016) + u_it                       (AR(1) u, real growth path G_t)
  A_it        = c_0 + c_1 (t - 2003) + c_2 (ln pgdp_it - mean_t ln pgdp) + c_3 s_i + e_i + v_it
                + pilot_ai * D_it                                         (D_it: AI pilot zone in force)
  ln(1+Green) = g_0 + a_green * A_it + 0.5 (ln pgdp_it - 10) + 0.6 s_i + w_it    (mediator path a)
  Ins_it      = s_0 + 0.008 (t - 2003) + a_ins * A_it + 0.03 s_i + z_it           (mediator path a)
  ln CO2_it   = mu_i + tau_t + f(A_it) + b_green ln(1+Green) + b_ins Ins + 0.55 ln pgdp + 0.9 ln pop
                + sum_e delta_e 1[t - g_i = e] + delta_smart S_it + b_robot_co2 (R_it - mean_t R) + eps_it
      f(A)    = beta_r * A  for A in regime r of thresholds (kappa_1, kappa_2, kappa_3)  (Hansen 1999)
  ln SO2_t    = (I - rho W)^-1 (alpha + beta_so2 A_t + theta_so2 W A_t + gamma ln pgdp_t + tau_t + eps_t)
                (spatial Durbin, W = the marts' inverse_distance by ``ingestion.geometry``, rho = 0.85)
  ln PM2.5    = regional/latitude profile + year profile + 0.15 (ln SO2 - mean) + b_robot_pm25 (R - mean_t R)
  province:   ln CO2_pt = mu_p + tau_t + b_robot * Robot_pt + 0.5 ln GDP_pt + eps  (Robot: shift-share,
              base 2004), with the 9 fuels scaled so that the IPCC fuel-based CO2 equals it.

The mediators and CO2 are functions of A with their noise drawn once, so the same city-years can be
evaluated at another A (the counterfactual without the pilot zones): the policy contrasts of the
effects panel are differences of the model's own equation, the derivatives its analytic slopes.

Everything is deterministic given (world, seed): one ``numpy.random.Generator`` consumed in a fixed
order. Calibration targets are the descriptive statistics printed in the studies (``analysis/replications/published``);
where the studies disagree (e.g. AI firm counts in studies 000 and 004) the model follows study 000.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ingestion.geometry import areas_km2, centroids_lonlat, inverse_distance_weights
from ingestion.sample.geography import PROVINCES, World
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


@dataclass(frozen=True)
class Planted:
    """Every planted effect of the structural model, in one place; ``truth.json`` is written from it.

    A = ln(1 + AI firms), R = ln(1 + city robot exposure, robots per 1,000 workers). The regime slopes
    shrink in magnitude with A (study 004's H2: marginal benefits fall) by 0.01 per regime only: with the
    threshold variable equal to the regressor (x = q = A, as in study 004), ln CO2 jumps up by
    (beta_r+1 - beta_r) kappa_r where A crosses kappa_r, and larger steps would cancel the slopes (with
    steps of 0.02-0.03 the net within-city slope of ln CO2 on A was -0.006 on the default world).
    """

    pilot_ai: float = 0.15               # AI pilot zone in force -> A
    a_green: float = 0.55                # A -> ln(1 + green applications)        (mediator path a)
    a_ins: float = 0.015                 # A -> tertiary share of GDP              (mediator path a)
    kappa: tuple[float, ...] = (4.0, 5.5, 7.0)              # thresholds in A (Hansen 1999, q = A)
    beta_regime: tuple[float, ...] = (-0.12, -0.11, -0.10, -0.09)   # slope of ln CO2 on A in each regime
    b_green: float = -0.06               # ln(1 + green applications) -> ln CO2    (path b)
    b_ins: float = -0.80                 # tertiary share -> ln CO2                (path b)
    pilot_co2: tuple[float, float] = (-0.03, -0.015)   # pilot -> ln CO2 at event time e: c0 + c1 min(e, 10)
    pilot_er: float = 0.0006             # pilot -> environmental word share of the work report
    smart_city: float = -0.02            # smart-city pilot -> ln CO2
    b_robot_co2: float = -0.20           # R -> ln CO2 of the city
    b_robot_pm25: float = -0.10          # R -> ln PM2.5 of the city
    rho_so2: float = 0.85                # ln SO2: spatial Durbin in W (mart_spatial_weights inverse_distance)
    beta_so2: float = -0.15              #   own A
    theta_so2: float = -0.03             #   W A
    gamma_so2: float = 0.10              #   ln GDP per capita - 10
    pass_through: dict = field(default_factory=lambda: {"wastewater": 0.75, "dust": 0.85, "nox": 0.70, "pm25": 0.15})
    attention: tuple[float, float, float, float] = (0.2, 0.62, 0.25, 0.08)  # ln Baidu = c + b A + city sd + year sd
    b_robot: float = -0.25               # province: robot exposure (robots per 1,000 workers) -> ln CO2

    def pilot_co2_effect(self, event_time):
        """Direct effect of the AI pilot zone on ln CO2 at event time e >= 0 (grows for ten years)."""
        return self.pilot_co2[0] + self.pilot_co2[1] * np.minimum(event_time, 10)


P = Planted()


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
    effects: pd.DataFrame  # adcode x year: planted derivatives and policy contrasts (truth_effects.csv)


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


def _firm_count(latent: np.ndarray) -> np.ndarray:
    """AI firms in operation: the latent ln(1 + count), floored at zero, as a whole count."""
    return np.maximum(np.round(np.expm1(np.clip(latent, 0.0, None))), 0).astype(np.int64)


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
    lonlat = centroids_lonlat(cities.geometry)  # the boundaries loader's centroids: W is the mart's
    area = areas_km2(cities.geometry)
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
    # hukou population grows at a city's own rate with small yearly shocks (a common 0.3% a year would make
    # ln hukou population collinear with city and year effects, and study 004 controls for it)
    pop_hukou = np.exp(5.85 + 0.42 * size + rng.normal(0, 0.15, n))[:, None] \
        * np.exp(rng.normal(0.003, 0.004, n)[:, None] * yy + _ar1(rng, (n, t_n), 0.6, 0.004))
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

    # ---------- industrial robots (IFR), base-year employment and the shift-share robot exposure
    robots = _robots(rng, world, attributes)
    r_city = np.log1p(robots.city_exposure)  # R_it = ln(1 + robots per 1,000 workers), NaN outside the provinces
    # the national mean of R moves every city alike: tau_t absorbs b * mean_t(R), so national CO2 keeps its path
    robot_dev = np.nan_to_num(r_city - np.nanmean(r_city, axis=0, keepdims=True))
    has_robots = np.isfinite(r_city)

    # ---------- AI: ln(1 + AI firms in operation at year end)
    dev = lnpgdp - lnpgdp.mean(axis=0, keepdims=True)
    ai_latent = (2.30 + 0.21 * yy + 0.9 * dev + 0.45 * size[:, None] + rng.normal(0, 1.30, n)[:, None]
                 + _ar1(rng, (n, t_n), 0.8, 0.10))
    ai_stock = _firm_count(ai_latent + P.pilot_ai * d_pilot)
    ai = np.log1p(ai_stock)  # the observed measure is exactly ln(1 + count)
    ai_no_pilot = np.log1p(_firm_count(ai_latent))  # the same cities without the AI pilot zones

    # ---------- mediators (functions of A with their noise drawn once, so counterfactual A reuse it)
    green_noise = rng.normal(0, 0.35, (n, t_n))
    ins_noise = rng.normal(0, 0.03, n)[:, None] + rng.normal(0, 0.015, (n, t_n))
    sec_raw = np.clip(0.52 - 0.007 * yy - 0.02 * size[:, None] + rng.normal(0, 0.07, n)[:, None]
                      + rng.normal(0, 0.015, (n, t_n)), 0.12, 0.75)

    def mediators(a):
        """(latent ln(1+green), green applications, latent tertiary share, tertiary share, secondary share)."""
        green_raw = P.a_green * a + 0.5 * (lnpgdp - 10) + 0.6 * size[:, None] + green_noise
        apps = np.round(np.expm1(np.clip(green_raw, 0, None))).astype(np.int64)
        ins_raw = 0.30 + 0.008 * yy + P.a_ins * a + 0.03 * size[:, None] + ins_noise
        ins_ = np.clip(ins_raw, 0.12, 0.85)
        return green_raw, apps, ins_raw, ins_, np.minimum(sec_raw, 0.97 - ins_)

    green_raw, green_apps, ins_raw, ins, sec = mediators(ai)
    ln_green = np.log1p(green_apps)
    prim = 1.0 - sec - ins

    # ---------- CO2 (tonnes): thresholds in A, pilot dynamics, mediators, robots
    kappa, beta_regime = np.array(P.kappa), np.array(P.beta_regime)
    rel = np.where(d_pilot, years[None, :] - pilot_year[:, None], -99)
    delta_pilot = np.where(rel >= 0, P.pilot_co2_effect(np.clip(rel, 0, None)), 0.0)
    tau = 0.045 * np.minimum(yy, 10) - 0.01 * np.maximum(yy - 10, 0)
    mu = rng.normal(0, 0.35, n) - 0.2 * east + 0.25 * west
    # everything in ln CO2 that neither A nor a policy moves
    co2_base = (5.75 + mu[:, None] + tau + 0.55 * lnpgdp + 0.9 * lnpop + P.smart_city * d_smart
                + P.b_robot_co2 * robot_dev + rng.normal(0, 0.05, (n, t_n)))

    def ln_co2_of(a, pilot_direct):
        """ln CO2 at AI level ``a`` (mediators follow a), with or without the pilot's direct effect."""
        _, apps, _, ins_, sec_ = mediators(a)
        f_a = beta_regime[np.searchsorted(kappa, a, side="left")] * a  # regime r: kappa_r-1 < A <= kappa_r
        return (co2_base + f_a + P.b_green * np.log1p(apps) + P.b_ins * ins_ + 1.2 * sec_
                + (delta_pilot if pilot_direct else 0.0))

    regime = np.searchsorted(kappa, ai, side="left")
    ln_co2 = ln_co2_of(ai, True)
    co2_t = np.exp(ln_co2)

    # ---------- industrial SO2: spatial Durbin model in W (the mart's inverse_distance)
    w = inverse_distance_weights(lonlat)
    alpha = rng.normal(0, 0.12, n) + 0.05 * west
    tau_so2 = np.where(years <= 2015, 0.0, -0.012 * (years - 2015)).astype(float)
    ln_so2 = np.empty((n, t_n))
    lu = np.linalg.inv(np.eye(n) - P.rho_so2 * w)
    for k in range(t_n):
        rhs = (alpha + P.beta_so2 * ai[:, k] + P.theta_so2 * (w @ ai[:, k]) + P.gamma_so2 * (lnpgdp[:, k] - 10)
               + tau_so2[k] + rng.normal(0, 0.12, n))
        ln_so2[:, k] = lu @ rhs
    shift = 10.0 - ln_so2.mean()
    ln_so2 = ln_so2 + shift  # level of ln SO2 (tonnes); a constant shift keeps the SDM intact with FE
    # d ln SO2_i / d A_k = [(I - rho W)^-1 (beta I + theta W)]_ik: own effect on the diagonal, all cities' by row
    so2_multiplier = lu @ (P.beta_so2 * np.eye(n) + P.theta_so2 * w)
    so2_direct, so2_total = np.diag(so2_multiplier), so2_multiplier.sum(axis=1)
    so2_t = np.exp(ln_so2)
    wastewater = np.exp(P.pass_through["wastewater"] * (ln_so2 - 10.3) + 8.2 + 0.4 * size[:, None]
                        + rng.normal(0, 0.25, (n, t_n)))  # 万吨
    dust_t = np.exp(P.pass_through["dust"] * (ln_so2 - 10.3) + 9.6 + rng.normal(0, 0.35, (n, t_n)))
    nox_t = np.exp(P.pass_through["nox"] * (ln_so2 - 10.3) + 10.0 + 0.3 * size[:, None] + rng.normal(0, 0.2, (n, t_n)))

    # ---------- PM2.5 and night lights (city means)
    lat = lonlat[:, 1]
    year_profile = np.where(years <= 2013, 0.02 * (years - 2013), -0.055 * (years - 2013))
    ln_pm = (3.95 + 0.012 * (lat - 32) - 0.4 * (lonlat[:, 0] < 100) - 0.15 * (lat < 25))[:, None] \
        + year_profile[None, :] + P.pass_through["pm25"] * (ln_so2 - ln_so2.mean()) + P.b_robot_pm25 * robot_dev \
        + rng.normal(0, 0.08, (n, t_n))
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
    # trade / GDP below 4.5: a few large eastern cities' draws reached 5.8, beyond any city's (the checks' range is 0..5)
    trade = gdp * np.minimum(np.exp(np.log(0.15) + 0.6 * size[:, None] + 0.8 * east[:, None]
                                    + rng.normal(0, 0.3, (n, t_n))), 4.5)
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
    # attention is a proxy of A with no effect of its own: ln B = c + b A + city level + year-to-year noise
    baidu = np.where(years[None, :] >= 2011,
                     np.exp(P.attention[0] + P.attention[1] * ai + rng.normal(0, P.attention[2], n)[:, None]
                            + rng.normal(0, P.attention[3], (n, t_n))), np.nan)
    er_noise = 0.0025 + 0.00005 * yy + rng.normal(0, 0.0006, (n, t_n))
    er_share = np.clip(er_noise + P.pilot_er * d_pilot, 0.0002, 0.012)
    digital_share = np.clip(0.0004 + 0.00012 * np.maximum(yy - 8, 0) + 0.00008 * ai + rng.normal(0, 0.0002, (n, t_n)),
                            0.00002, 0.01)

    # ---------- planted effects per city-year (truth_effects.csv): derivatives and policy contrasts
    d_ins = P.a_ins * ((ins_raw > 0.12) & (ins_raw < 0.85))   # the tertiary share moves with A unless clipped
    sec_bound = sec_raw > 0.97 - ins                           # then sec = 0.97 - ins moves against it
    green_moves = green_raw > 0
    no_pilot_green = np.log1p(mediators(ai_no_pilot)[1])
    effects = {
        "co2__ai": beta_regime[regime] + P.b_green * P.a_green * green_moves + d_ins * (P.b_ins - 1.2 * sec_bound),
        "co2__robot": np.where(has_robots, P.b_robot_co2, np.nan),
        "co2__pilot": ln_co2 - ln_co2_of(ai_no_pilot, False),
        "co2__smart": P.smart_city * d_smart,
        "pm25__ai": P.pass_through["pm25"] * so2_direct[:, None] * np.ones(t_n),
        "pm25__ai_total": P.pass_through["pm25"] * so2_total[:, None] * np.ones(t_n),
        "pm25__robot": np.where(has_robots, P.b_robot_pm25, np.nan),
        "so2__ai": so2_direct[:, None] * np.ones(t_n),
        "so2__ai_total": so2_total[:, None] * np.ones(t_n),
        "green__ai": P.a_green * green_moves,
        "green__pilot": ln_green - no_pilot_green,
        "tertiary_share__ai": d_ins,
        "er_share__pilot": er_share - np.clip(er_noise, 0.0002, 0.012),
        "ai__pilot": ai - ai_no_pilot,
    }
    for name in ("wastewater", "dust", "nox"):
        effects[f"{name}__ai"] = P.pass_through[name] * effects["so2__ai"]
        effects[f"{name}__ai_total"] = P.pass_through[name] * effects["so2__ai_total"]
    effects = pd.DataFrame({"adcode": np.repeat(adcode, t_n), "year": np.tile(years, n),
                            **{k: np.asarray(v, float).reshape(-1) for k, v in effects.items()}})

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
        "robot_exposure": long(robots.city_exposure),
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

    province = _province_panel(rng, world, city, robots)
    _record_truth(truth, P, robots)
    return Simulation(world, city, province, robots.industry, robots.employment, policies, attributes, truth,
                      effects)


@dataclass(frozen=True)
class Robots:
    """IFR robots, base-year employment and the shift-share exposures of provinces and cities."""

    industry: pd.DataFrame        # IFR installations and operational stock by country x industry x year
    employment: pd.DataFrame      # geo_level, geo_code, isic_code, industry, year, employment_persons
    codes: tuple[str, ...]        # the provinces' two-digit codes (Tibet excluded, as in study 003)
    province_emp: np.ndarray      # provinces x industries, 2004 (persons)
    exposure: np.ndarray          # provinces x world years: robots per 1,000 workers
    exposure_us: np.ndarray       # provinces x world years: the US-robot instrument
    city_exposure: np.ndarray     # cities x world years (NaN for cities outside ``codes``)


def _robots(rng, world: World, attributes: pd.DataFrame) -> Robots:
    """Robots by industry (IFR), employment bases, and the shift-share exposure of provinces and cities:
    Robot_gt = sum_j (L_gj^2004 / L_g^2004) (RobotStock_jt / L_j^2004) x 1000 (study 003 eq. 2), with the
    employment as written (whole persons) and the stock as IFR reports it (whole robots), so the marts'
    ``mart_robot_exposure`` recomputes the same numbers from the files."""
    years_all = np.arange(2000, max(world.years) + 1)
    codes = tuple(c for c in sorted({a[:2] for a in attributes.adcode}) if c != "54")  # Tibet excluded (study 003)
    m = len(INDUSTRIES)
    cn_share = np.array([r[3] for r in INDUSTRIES])
    us_share = np.array([r[4] for r in INDUSTRIES])
    intensity = np.array([r[5] for r in INDUSTRIES])
    # national industry employment 2004 (persons) and US 1990
    cn_emp_2004 = np.round(cn_share / cn_share.sum() * 1.6e8)
    us_emp_1990 = np.round(us_share / us_share.sum() * 6.0e7)
    # robots: installations grow fast in China after 2010, steadily in the US
    t = years_all - 2000
    cn_total = 300 * np.exp(0.27 * t) / (1 + np.exp(0.3 * (t - 22)))
    us_total = 12000 + 1500 * t
    cn_inst = np.round(np.outer(intensity / intensity.sum(), cn_total) * np.exp(rng.normal(0, 0.1, (m, len(t)))))
    us_inst = np.round(np.outer(intensity / intensity.sum(), us_total) * np.exp(rng.normal(0, 0.1, (m, len(t)))))

    def stock(inst):  # IFR: 12-year service life, approximated by geometric depreciation of 1/12
        out = np.zeros_like(inst)
        for k in range(inst.shape[1]):
            out[:, k] = (out[:, k - 1] * (1 - 1 / 12) if k else inst[:, 0] * 6) + inst[:, k]
        return np.round(out)

    cn_stock, us_stock = stock(cn_inst), stock(us_inst)
    rows = []
    for country, inst, stk in (("China", cn_inst, cn_stock), ("United States", us_inst, us_stock)):
        for j, (code, name, *_rest) in enumerate(INDUSTRIES):
            for k, y in enumerate(years_all):
                rows.append((country, code, name, int(y), int(inst[j, k]), int(stk[j, k])))
    industry = pd.DataFrame(rows, columns=["country", "isic_code", "industry", "year", "installations",
                                           "operational_stock"])

    # province employment structure in 2004: national shares tilted by a province profile
    p = len(codes)
    tilt = np.exp(rng.normal(0, 0.45, (p, m)))
    emp_total = np.exp(rng.normal(np.log(6.0e6), 0.6, p))
    prov_emp = np.round(emp_total[:, None] * (cn_share * tilt) / (cn_share * tilt).sum(axis=1, keepdims=True))
    emp_rows = [("country", "CHN", ind[0], ind[2], 2004, float(cn_emp_2004[j])) for j, ind in enumerate(INDUSTRIES)]
    for i, code in enumerate(codes):
        for j, ind in enumerate(INDUSTRIES):
            emp_rows.append(("province", code + "0000", ind[0], ind[2], 2004, float(prov_emp[i, j])))
    for j, ind in enumerate(INDUSTRIES):
        emp_rows.append(("country", "USA", ind[0], ind[1], 1990, float(us_emp_1990[j])))
    # city employment by industry in the base year (within-province split by city size)
    city_emp = np.full((len(attributes), m), np.nan)
    for i, code in enumerate(codes):
        members = np.flatnonzero(attributes.adcode.str[:2].to_numpy() == code)
        weights = np.exp(attributes["size"].to_numpy()[members])
        weights = weights / weights.sum()
        local = np.exp(rng.normal(0, 0.3, (len(members), m)))
        for c, row in enumerate(members):
            split = prov_emp[i] * weights[c] * local[c] / (local[c] @ (prov_emp[i] / prov_emp[i].sum()))
            city_emp[row] = np.round(split)
            for j, ind in enumerate(INDUSTRIES):
                emp_rows.append(("city", attributes.adcode.iloc[row], ind[0], ind[2], 2004, float(city_emp[row, j])))
    employment = pd.DataFrame(emp_rows, columns=["geo_level", "geo_code", "isic_code", "industry", "year",
                                                 "employment_persons"])

    # shift-share exposure (study 003 eq. 2, base 2004): sum_j (L_gj/L_g) * (Robot_jt / L_j)  [per 1,000 workers]
    idx = np.searchsorted(years_all, np.array(world.years))
    density = (cn_stock / cn_emp_2004[:, None] * 1e3)[:, idx]
    density_us = (us_stock / us_emp_1990[:, None] * 1e3)[:, idx]
    prov_share = prov_emp / prov_emp.sum(axis=1, keepdims=True)
    city_share = city_emp / city_emp.sum(axis=1, keepdims=True)
    return Robots(industry, employment, codes, prov_emp, prov_share @ density, prov_share @ density_us,
                  city_share @ density)


def ipcc_factors() -> np.ndarray:
    """CO2 per unit of each fuel, 10^4 t: NCV (TJ/unit) x carbon content (t C/TJ) x oxidation x 44/12 / 1e4."""
    return np.array([ncv * cc * ox * 44 / 12 / 1e4 for _, _, ncv, cc, ox in FUELS])


def _province_panel(rng, world: World, city: pd.DataFrame, robots: Robots) -> pd.DataFrame:
    """Province-year panel (study 003): ln CO2 on robot exposure, the controls summed over the cities, and
    the nine fuels scaled so that their IPCC 2006 CO2 equals the planted total."""
    codes, p = robots.codes, len(robots.codes)
    yrs = np.array(world.years)
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
        ln_co2 = (mu[r.pc] + 0.02 * (r.year - 2003) + P.b_robot * robots.exposure[i, k] + 0.5 * np.log(r.gdp)
                  + 1.0 + rng.normal(0, 0.03))  # 万吨 CO2 after the constant
        rows.append((r.pc + "0000", int(r.year), float(robots.exposure[i, k]), float(robots.exposure_us[i, k]),
                     float(np.exp(ln_co2)), float(ln_co2)) + tuple(float(v) for v in r[2:]))
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
    factor = ipcc_factors()
    fuel_cols = {}
    for f, (name, *_r) in enumerate(FUELS):
        fuel_cols[name] = province.co2_10k_t.to_numpy() * mix[[pos[c[:2]] for c in province.province_adcode], f] \
            / factor[f]
    return pd.concat([province, pd.DataFrame(fuel_cols)], axis=1)


# the planted-effects panel written beside truth.json: column -> meaning (``<quantity>__<cause>``)
EFFECT_COLUMNS: dict[str, str] = {
    "co2__ai": "d ln CO2 / d A: regime slope + green-patent and tertiary-share paths (threshold jumps excluded)",
    "co2__robot": "d ln CO2 / d R, R = ln(1 + city robot exposure) (NaN where the city has no exposure)",
    "co2__pilot": "ln CO2 with the AI pilot zone minus without it (direct effect at the event time and the "
                  "effect through A), 0 where no pilot is in force",
    "co2__smart": "ln CO2 with the smart-city pilot minus without it, 0 where none is in force",
    "pm25__ai": "d ln PM2.5_i / d A_i through ln SO2 (pass-through x the SDM's own-city multiplier)",
    "pm25__ai_total": "d ln PM2.5_i when A rises by one in every city (pass-through x SDM row sum)",
    "pm25__robot": "d ln PM2.5 / d R",
    "so2__ai": "d ln SO2_i / d A_i = [(I - rho W)^-1 (beta I + theta W)]_ii (LeSage-Pace direct effect)",
    "so2__ai_total": "sum_k d ln SO2_i / d A_k (row sum of the same matrix: LeSage-Pace total effect)",
    "wastewater__ai": "d ln wastewater_i / d A_i (pass-through x so2__ai)",
    "wastewater__ai_total": "pass-through x so2__ai_total",
    "dust__ai": "d ln dust_i / d A_i (pass-through x so2__ai)",
    "dust__ai_total": "pass-through x so2__ai_total",
    "nox__ai": "d ln NOx_i / d A_i (pass-through x so2__ai)",
    "nox__ai_total": "pass-through x so2__ai_total",
    "green__ai": "d ln(1 + green applications) / d A (0 where the latent count is floored at zero)",
    "green__pilot": "ln(1 + green applications) with the AI pilot zone minus without it (through A)",
    "tertiary_share__ai": "d tertiary share / d A (0 where the share is clipped)",
    "er_share__pilot": "environmental word share with the AI pilot zone minus without it",
    "ai__pilot": "A with the AI pilot zone minus without it (whole firm counts)",
}


def _record_truth(truth: Truth, p: Planted, robots: Robots) -> None:
    """Every planted parameter of ``p`` with its meaning (truth.json ``parameters``)."""
    truth.add("ai_pilot_on_ln_ai_firms", p.pilot_ai, "effect of an AI pilot zone on A = ln(1+AI firms), before "
              "firm counts are rounded")
    truth.add("a_green", p.a_green, "path a: effect of A on ln(1 + green patent applications)")
    truth.add("a_ins", p.a_ins, "path a: effect of A on the tertiary share of GDP")
    truth.add("kappa", list(p.kappa), "thresholds in A = ln(1+AI firms) of the CO2 equation (Hansen 1999, q = A)")
    truth.add("beta_regime", list(p.beta_regime), "slope of ln CO2 on A in each of the four regimes (direct, "
              "excluding the mediator paths)")
    truth.add("b_green", p.b_green, "path b: effect of ln(1 + green patent applications) on ln CO2")
    truth.add("b_ins", p.b_ins, "path b: effect of the tertiary share on ln CO2")
    truth.add("pilot_effect_by_event_time", {str(e): float(p.pilot_co2_effect(e)) for e in range(0, 5)},
              "effect of the AI pilot zone on ln CO2 at event time e = t - cohort (direct, excluding the AI channel)")
    truth.add("pilot_effect_on_er", p.pilot_er, "effect of the AI pilot zone on the environmental word share")
    truth.add("smart_city_effect", p.smart_city, "effect of the smart-city pilot on ln CO2")
    truth.add("b_robot_co2", p.b_robot_co2, "city: effect of R = ln(1 + robot exposure, robots per 1,000 workers) "
              "on ln CO2")
    truth.add("b_robot_pm25", p.b_robot_pm25, "city: effect of R = ln(1 + robot exposure) on ln PM2.5")
    truth.add("elasticity_ln_pgdp", 0.55, "ln CO2 on ln GDP per capita")
    truth.add("elasticity_ln_pop", 0.9, "ln CO2 on ln resident population")
    truth.add("rho_so2", p.rho_so2, "spatial autoregressive parameter of ln industrial SO2 (SDM, W = inverse distance)")
    truth.add("beta_so2", p.beta_so2, "SDM: own-city A on ln SO2")
    truth.add("theta_so2", p.theta_so2, "SDM: W x A on ln SO2")
    truth.add("gamma_so2", p.gamma_so2, "SDM: ln GDP per capita on ln SO2")
    truth.add("so2_weight_matrix", "row-standardised inverse great-circle distance between the polygon centroids "
              "(ingestion.geometry): mart_spatial_weights' inverse_distance", "the W of the SO2 process")
    truth.add("so2_pass_through", dict(p.pass_through), "elasticity of ln wastewater, ln dust, ln NOx and ln PM2.5 "
              "with respect to ln SO2")
    truth.add("attention_proxy", {"intercept": p.attention[0], "slope_on_A": p.attention[1],
                                  "city_sd": p.attention[2], "noise_sd": p.attention[3]},
              "ln Baidu index = intercept + slope A + city level + noise: a proxy of A with no effect of its own")
    truth.add("b_robot", p.b_robot, "province: effect of robot exposure (robots per 1,000 workers, shift-share with "
              "2004 employment shares and national 2004 industry employment) on ln CO2")
    truth.add("ipcc_factors_10k_t_co2_per_unit", dict(zip([f[0] for f in FUELS], ipcc_factors().round(6))),
              "CO2 per unit of each fuel (NCV x carbon content x oxidation x 44/12)")
