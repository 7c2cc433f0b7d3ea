{#- Generic test: weights sum to one within each row (matrix x origin), within a tolerance,
    and there are no self-weights. -#}
{% test row_stochastic(model, column_name, row_by, origin, destination, tolerance=1e-9) %}
with rows_ as (
    select {{ row_by }}, sum({{ column_name }}) as total
    from {{ model }}
    group by {{ row_by }}
)
select 'row sum' as problem, {{ row_by }}, total
from rows_
where abs(total - 1) > {{ tolerance }}
union all
select 'self weight' as problem, {{ row_by }}, {{ column_name }}
from {{ model }}
where {{ origin }} = {{ destination }}
{% endtest %}
