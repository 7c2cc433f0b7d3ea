{#- Keyword shares of the government work reports: for each category, the characters of keyword
    occurrences divided by the characters of the report (study 004 counts words after segmentation;
    character shares avoid a segmenter and rank cities the same way up to word length). Keywords are
    matched in one pass per category, longest first, without overlaps. The characters are counted per
    report and summed on the boundary vintage's units (harmonise_to_vintage: 济南's and 莱芜's reports
    before 2018 make one text), the shares computed from the sums. -#}
-- depends_on: {{ ref('seed_keywords') }}
with

reports as (
    select * from {{ ref('stg_gov_reports__reports') }}
),

counted as (
    select
        adcode,
        year,
        n_chars,
        coalesce(list_sum(list_transform(regexp_extract_all(text, {{ keyword_pattern('environment') }}),
                                         x -> length(x))), 0) as environment_chars,
        coalesce(list_sum(list_transform(regexp_extract_all(text, {{ keyword_pattern('digital_economy') }}),
                                         x -> length(x))), 0) as digital_chars
    from reports
),

harmonised as (
    {{ harmonise_to_vintage('counted', ['n_chars', 'environment_chars', 'digital_chars']) }}
),

final as (
    select
        adcode,
        year,
        n_chars,
        environment_chars / n_chars as environment_word_share,
        digital_chars / n_chars as digital_word_share
    from harmonised
)

select * from final
