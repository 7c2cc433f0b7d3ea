{#- Firms with an AI flag: the business scope names at least one AI keyword of the keyword seed
    (study 004's text rule: fuzzy matching of AI keywords in the business scope). -#}
-- depends_on: {{ ref('seed_keywords') }}
with

firms as (
    select * from {{ ref('stg_ai_firms__firms') }}
),

final as (
    -- every AI keyword in one alternation (a literal, compiled once), longest first
    select firms.*, regexp_matches(firms.business_scope, {{ keyword_pattern('ai') }}) as is_ai
    from firms
)

select * from final
