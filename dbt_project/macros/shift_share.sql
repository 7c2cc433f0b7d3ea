{#-
  Shift-share (Bartik) exposure:  exposure_gt = sum_j (L_gj^b / L_g^b) * (X_jt / L_j^b)
  shares:  relation with (unit, industry, employment) in the base year b
  shocks:  relation with (industry, year, shock) e.g. the robot stock of industry j in year t
  national: relation with (industry, employment) of the base year for the denominator L_j^b
  Returns unit, year, exposure. Study 003's equation (2) with the 2004 base (see fct_province_year).
-#}
{% macro shift_share(shares, shocks, national, unit='unit', scale=1) %}
with

shares as (
    select {{ unit }} as unit, industry, employment,
           employment / sum(employment) over (partition by {{ unit }}) as share
    from {{ shares }}
),

intensity as (
    select shocks.industry, shocks.year, shocks.shock / nullif(national.employment, 0) * {{ scale }} as per_worker
    from {{ shocks }} as shocks
    inner join {{ national }} as national using (industry)
)

select shares.unit, intensity.year, sum(shares.share * intensity.per_worker) as exposure
from shares
inner join intensity using (industry)
group by shares.unit, intensity.year
{% endmacro %}
