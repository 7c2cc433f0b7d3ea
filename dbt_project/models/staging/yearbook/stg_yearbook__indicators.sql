{#- One row per city (or province) x year x indicator, with the canonical indicator of each header
    spelling from seed_yearbook_indicators (the one home of the yearbook vocabulary, which the loader and
    the sample writer read too; units are the seed's canonical units, set by the loader). The loader
    reads whole-area (全市) tables only, so every raw row resolves in that scope. -#}
with

source as (
    select * from {{ source('yearbook', 'yearbook') }}
),

vocabulary as (
    select spelling, indicator
    from {{ ref('seed_yearbook_indicators') }}
    where scope = '全市'
),

renamed as (
    select
        ---------- ids
        source.adcode,
        source.year,
        source.adcode like '__0000' as is_province,
        ---------- indicator
        source.indicator as indicator_zh,
        vocabulary.indicator,
        source.unit,
        ---------- numerics
        source.value
    from source
    left join vocabulary on source.indicator = vocabulary.spelling
)

select * from renamed
