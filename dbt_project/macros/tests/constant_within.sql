{#- Generic test: the column takes one value within each group (e.g. a treatment cohort per city). -#}
{% test constant_within(model, column_name, group_by) %}
select {{ group_by | join(', ') }}, count(distinct {{ column_name }}) as values_seen
from {{ model }}
group by {{ group_by | join(', ') }}
having count(distinct {{ column_name }}) > 1
{% endtest %}
