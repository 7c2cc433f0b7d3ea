{#- Baidu index on the boundary vintage's units. Baidu reports today's regions for every year, so the
    cities are named by the last code table (var code_table_last_year), whatever the row's year; the
    daily averages of regions that map onto one unit of the vintage are added. -#}
{{ harmonise_to_vintage(ref('stg_baidu_index__city_year'), ['daily_average'], keys=['keyword'],
                        naming_year=var('code_table_last_year')) }}
