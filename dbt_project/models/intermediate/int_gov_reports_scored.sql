{#- Keyword shares of the government work reports: for each category, the characters of keyword
    occurrences divided by the characters of the report (seed 004 counts words after segmentation;
    character shares avoid a segmenter and rank cities the same way up to word length). -#}
with

reports as (
    select * from {{ ref('stg_gov_reports__reports') }}
),

keywords as (
    select keyword, category from {{ ref('seed_keywords') }}
    where category in ('environment', 'digital_economy')
),

occurrences as (
    select
        reports.adcode,
        reports.year,
        keywords.category,
        sum(
            (length(reports.text) - length(replace(reports.text, keywords.keyword, ''))) 
        ) as keyword_chars
    from reports
    cross join keywords
    group by 1, 2, 3
),

scored as (
    select
        reports.adcode,
        reports.year,
        reports.n_chars,
        coalesce(max(occurrences.keyword_chars) filter (where occurrences.category = 'environment'), 0)
            / reports.n_chars as environment_word_share,
        coalesce(max(occurrences.keyword_chars) filter (where occurrences.category = 'digital_economy'), 0)
            / reports.n_chars as digital_word_share
    from reports
    left join occurrences using (adcode, year)
    group by reports.adcode, reports.year, reports.n_chars
)

select * from scored
