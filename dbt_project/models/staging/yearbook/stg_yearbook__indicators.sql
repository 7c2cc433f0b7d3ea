{#- One row per city (or province) x year x indicator x scope, with the canonical indicator of each header
    spelling in its scope from seed_yearbook_indicators (the one home of the yearbook vocabulary, which the
    loader and the sample writer read too; units are the seed's canonical units, set by the loader). Both
    scopes stay: 全市 (the whole prefecture) and 市辖区 (the urban districts); the models downstream read the
    scope of var('yearbook_scope') only, so a 市辖区 figure never stands in for a 全市 one. -#}
with

source as (
    select * from {{ source('yearbook', 'yearbook') }}
),

vocabulary as (
    select spelling, scope, indicator
    from {{ ref('seed_yearbook_indicators') }}
),

renamed as (
    select
        ---------- ids
        source.adcode,
        source.year,
        source.adcode like '__0000' as is_province,
        ---------- scope
        source.scope,
        ---------- indicator
        source.indicator as indicator_zh,
        vocabulary.indicator,
        source.unit,
        ---------- numerics
        source.value
    from source
    left join vocabulary on source.indicator = vocabulary.spelling and source.scope = vocabulary.scope
)

select * from renamed
