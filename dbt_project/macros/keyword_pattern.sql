{#- A regular-expression alternation of the keywords of one category of the keyword seed (longest
    first, metacharacters escaped), rendered as a SQL string literal at compile time so DuckDB compiles
    the expression once rather than per row. -#}
{% macro keyword_pattern(category) %}
{%- if execute -%}
    {%- set query -%}
        select string_agg(regexp_escape(keyword), '|' order by length(keyword) desc, keyword)
        from {{ ref('seed_keywords') }}
        where category = '{{ category }}'
    {%- endset -%}
    {%- set pattern = run_query(query).columns[0].values()[0] -%}
    {%- if pattern is none -%}
        {{ exceptions.raise_compiler_error("seed_keywords has no keyword of category " ~ category) }}
    {%- endif -%}
    '{{ pattern | replace("'", "''") }}'
{%- else -%}
    ''
{%- endif -%}
{% endmacro %}
