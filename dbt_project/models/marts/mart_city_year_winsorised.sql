{#- Every continuous variable of fct_city_year winsorised two-sided at 1% and at 5% over the whole panel
    (long format: one row per city, year and variable). Seeds 001 and 004 winsorise "all variables"
    in their robustness tables; replications winsorise within their own samples with
    analysis.estimators.panel.winsorize, which agrees with this macro (linear-interpolation quantiles). -#}
with

panel as (
    select * from {{ ref('fct_city_year') }}
),

long as (
    unpivot (
        select adcode, year, {{ winsorised_columns() | join(', ') }} from panel
    )
    on {{ winsorised_columns() | join(', ') }}
    into name variable value value
),

final as (
    select
        adcode,
        year,
        variable,
        value::double as value,
        {{ winsorise('value::double', 0.01, partition_by='variable') }} as value_w01,
        {{ winsorise('value::double', 0.05, partition_by='variable') }} as value_w05
    from long
)

select * from final
