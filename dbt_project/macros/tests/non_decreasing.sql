{#- Generic test: a cumulative quantity never falls from one period to the next within an entity. -#}
{% test non_decreasing(model, column_name, entity, period) %}
select *
from (
    select {{ entity }}, {{ period }}, {{ column_name }},
           lag({{ column_name }}) over (partition by {{ entity }} order by {{ period }}) as previous
    from {{ model }}
)
where previous is not null and {{ column_name }} < previous
{% endtest %}
