{#- AI development per city-year: AI firms operating at year end (business scope names an AI keyword),
    new AI firms, exits, ln(1 + x), and AI attention (Baidu index for 人工智能, daily average). The
    building block of mart_ai and fct_city_year. -#}
with

firms as (
    select * from {{ ref('int_ai_firms_counted') }}
),

attention as (
    select adcode, year, daily_average
    from {{ ref('int_baidu_index_harmonised') }}
    where keyword = '人工智能'
),

final as (
    select
        ---------- ids
        firms.adcode,
        firms.year,
        ---------- firms
        firms.ai_firms_operating,
        firms.ai_firms_new,
        firms.ai_firms_exited,
        ln(1 + firms.ai_firms_operating) as ln_ai_firms,
        ln(1 + firms.ai_firms_new) as ln_ai_firms_new,
        ---------- attention
        attention.daily_average as ai_attention,
        ln(1 + attention.daily_average) as ln_ai_attention
    from firms
    left join attention using (adcode, year)
)

select * from final
