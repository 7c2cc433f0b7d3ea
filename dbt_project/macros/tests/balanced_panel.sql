{#- Generic test: every entity appears in every period of the model (and only once).
    Fails with one row per entity whose number of periods differs from the number of periods. -#}
{% test balanced_panel(model, entity, period) %}
with counts as (
    select {{ entity }} as entity, count(*) as n, count(distinct {{ period }}) as k
    from {{ model }}
    group by {{ entity }}
),
periods as (
    select count(distinct {{ period }}) as t from {{ model }}
)
select counts.*, periods.t
from counts cross join periods
where counts.n != periods.t or counts.k != periods.t
{% endtest %}
