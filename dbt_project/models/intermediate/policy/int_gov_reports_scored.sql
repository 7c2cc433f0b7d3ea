{#- Keyword shares of the government work reports: for each category, the characters of keyword
    occurrences divided by the characters of the report (study 004 counts words after segmentation;
    character shares avoid a segmenter and rank cities the same way up to word length). Keywords are
    matched in one pass per category, longest first, without overlaps. -#}
-- depends_on: {{ ref('seed_keywords') }}
with

reports as (
    select * from {{ ref('stg_gov_reports__reports') }}
),

final as (
    select
        adcode,
        year,
        n_chars,
        coalesce(list_sum(list_transform(regexp_extract_all(text, {{ keyword_pattern('environment') }}),
                                         x -> length(x))), 0) / n_chars as environment_word_share,
        coalesce(list_sum(list_transform(regexp_extract_all(text, {{ keyword_pattern('digital_economy') }}),
                                         x -> length(x))), 0) / n_chars as digital_word_share
    from reports
)

select * from final
