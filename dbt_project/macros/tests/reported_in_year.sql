{#- Generic test: every entity reports a non-null value of the column in the given year (e.g. the
    investment of every province in the GTFP base year). Fails with the entities that do not. -#}
{% test reported_in_year(model, column_name, entity, year, year_column='year') %}
with

entities as (
    select distinct {{ entity }} from {{ model }}
),

reported as (
    select distinct {{ entity }} from {{ model }}
    where {{ year_column }} = {{ year }} and {{ column_name }} is not null
),

final as (
    select entities.{{ entity }}, {{ year }} as missing_year
    from entities
    left join reported using ({{ entity }})
    where reported.{{ entity }} is null
)

select * from final
{% endtest %}
