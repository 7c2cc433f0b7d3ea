{#-
  Entropy-weight composite index (the method of studies 000 and 001).

  For indicator j and observation i within a pooling group g (all rows, or one year):
    x'_ij = (x_ij - min_j) / (max_j - min_j)          direction 'positive' (more = worse/higher)
    x'_ij = (max_j - x_ij) / (max_j - min_j)          direction 'negative'
    x'_ij = max(x'_ij, epsilon)                        (study 001 sets standardised zeros to 0.00001)
    p_ij  = x'_ij / sum_i x'_ij
    e_j   = -1/ln(m) * sum_i p_ij ln p_ij              (p ln p = 0 at p = 0; m = rows in the group)
    w_j   = (1 - e_j) / sum_k (1 - e_k)
    index = sum_j w_j x'_ij

  Arguments: relation, keys (list of key columns), indicators (list of {name, direction}),
  pooling 'all' | 'by_year', year_column, epsilon (0 for none), output 'index' | 'weights'.
  Returns a complete select statement. Reference: Shannon entropy weighting as in Elsayed et al.
  (2017) and the studies' formulas (2)-(6) / (10)-(20).
-#}
{% macro entropy_weights(relation, keys, indicators, pooling='all', year_column='year', epsilon=0, output='index') %}
{%- set group_expr = year_column if pooling == 'by_year' else "'all'" -%}
with

base as (
    select
        {% for k in keys %}{{ k }}, {% endfor %}
        {{ group_expr }}::varchar as pooling_group,
        {% for ind in indicators %}{{ ind.name }}::double as {{ ind.name }}{{ "," if not loop.last }}
        {% endfor %}
    from {{ relation }}
    where {% for ind in indicators %}{{ ind.name }} is not null{{ " and " if not loop.last }}{% endfor %}
),

ranges as (
    select
        pooling_group,
        count(*) as m,
        {% for ind in indicators %}
        min({{ ind.name }}) as min_{{ ind.name }},
        max({{ ind.name }}) as max_{{ ind.name }}{{ "," if not loop.last }}
        {% endfor %}
    from base
    group by pooling_group
),

normalised as (
    select
        {% for k in keys %}base.{{ k }}, {% endfor %}
        base.pooling_group,
        ranges.m,
        {% for ind in indicators %}
        greatest(
            coalesce(
                {% if ind.direction == 'negative' %}
                (ranges.max_{{ ind.name }} - base.{{ ind.name }})
                {% else %}
                (base.{{ ind.name }} - ranges.min_{{ ind.name }})
                {% endif %}
                / nullif(ranges.max_{{ ind.name }} - ranges.min_{{ ind.name }}, 0),
                0),
            {{ epsilon }}) as n_{{ ind.name }}{{ "," if not loop.last }}
        {% endfor %}
    from base
    inner join ranges using (pooling_group)
),

entropy as (
    select
        pooling_group,
        {% for ind in indicators %}
        -sum(case when p_{{ ind.name }} > 0 then p_{{ ind.name }} * ln(p_{{ ind.name }}) else 0 end)
            / ln(max(m)) as e_{{ ind.name }}{{ "," if not loop.last }}
        {% endfor %}
    from (
        select
            pooling_group,
            m,
            {% for ind in indicators %}
            n_{{ ind.name }} / nullif(sum(n_{{ ind.name }}) over (partition by pooling_group), 0) as p_{{ ind.name }}{{ "," if not loop.last }}
            {% endfor %}
        from normalised
    ) as shares
    group by pooling_group
),

weights as (
    select
        pooling_group,
        {% for ind in indicators %}
        (1 - e_{{ ind.name }}) / ({% for k in indicators %}(1 - e_{{ k.name }}){{ " + " if not loop.last }}{% endfor %}) as w_{{ ind.name }},
        e_{{ ind.name }}{{ "," if not loop.last }}
        {% endfor %}
    from entropy
)

{% if output == 'weights' %}
{% for ind in indicators %}
select
    pooling_group,
    '{{ ind.name }}' as indicator,
    '{{ ind.direction }}' as direction,
    e_{{ ind.name }} as entropy,
    1 - e_{{ ind.name }} as divergence,
    w_{{ ind.name }} as weight
from weights
{{ "union all" if not loop.last }}
{% endfor %}
{% else %}
select
    {% for k in keys %}normalised.{{ k }}, {% endfor %}
    normalised.pooling_group,
    {% for ind in indicators %}normalised.n_{{ ind.name }}, {% endfor %}
    {% for ind in indicators %}weights.w_{{ ind.name }} * normalised.n_{{ ind.name }}{{ " + " if not loop.last }}{% endfor %} as entropy_index
from normalised
inner join weights using (pooling_group)
{% endif %}
{% endmacro %}
