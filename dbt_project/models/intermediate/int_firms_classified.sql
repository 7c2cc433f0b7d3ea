{#- Firms with an AI flag: the business scope names at least one AI keyword of the keyword seed
    (seed 004's text rule: fuzzy matching of AI keywords in the business scope). -#}
with

firms as (
    select * from {{ ref('stg_ai_firms__firms') }}
),

keywords as (
    select keyword from {{ ref('seed_keywords') }}
    where category = 'ai'
),

ai as (
    select distinct firms.firm_id
    from firms
    inner join keywords on contains(firms.business_scope, keywords.keyword)
),

classified as (
    select firms.*, ai.firm_id is not null as is_ai
    from firms
    left join ai using (firm_id)
)

select * from classified
