{#- One row per city (or province) x year x indicator, with an English column name per indicator
    (the Chinese names are the yearbook's; units are the canonical units set by the loader). -#}
with

source as (
    select * from {{ source('yearbook', 'yearbook') }}
),

names as (
    select * from (values
        ('地区生产总值', 'gdp_10k_yuan'),
        ('第一产业增加值', 'gdp_primary_10k_yuan'),
        ('第二产业增加值', 'gdp_secondary_10k_yuan'),
        ('第三产业增加值', 'gdp_tertiary_10k_yuan'),
        ('工业增加值', 'industry_va_10k_yuan'),
        ('固定资产投资总额', 'fixed_asset_investment_10k_yuan'),
        ('社会消费品零售总额', 'retail_sales_10k_yuan'),
        ('货物进出口总额', 'trade_10k_yuan'),
        ('当年实际使用外资金额', 'fdi_10k_usd'),
        ('年末户籍人口', 'pop_hukou_10k'),
        ('年末常住人口', 'pop_resident_10k'),
        ('城镇常住人口', 'pop_urban_10k'),
        ('年末单位从业人员', 'employed_10k'),
        ('年末就业人员', 'employed_10k'),
        ('采矿业从业人员', 'mining_employed_10k'),
        ('普通高等学校在校学生数', 'college_students_10k'),
        ('行政区域土地面积', 'land_area_km2'),
        ('地方一般公共预算收入', 'budget_revenue_10k_yuan'),
        ('地方一般公共预算支出', 'budget_expenditure_10k_yuan'),
        ('教育支出', 'education_expenditure_10k_yuan'),
        ('科学技术支出', 'science_expenditure_10k_yuan'),
        ('政府投资总额', 'government_investment_10k_yuan'),
        ('年末金融机构各项存款余额', 'deposits_10k_yuan'),
        ('年末金融机构各项贷款余额', 'loans_10k_yuan'),
        ('数字普惠金融指数', 'digital_finance_index'),
        ('工业二氧化硫排放量', 'industrial_so2_t'),
        ('工业废水排放量', 'industrial_wastewater_t'),
        ('工业烟粉尘排放量', 'industrial_dust_t'),
        ('工业氮氧化物排放量', 'industrial_nox_t'),
        ('工业污染治理完成投资', 'pollution_control_investment_10k_yuan'),
        ('能源消费总量', 'energy_10k_tce'),
        ('全社会用电量', 'electricity_10k_kwh'),
        ('互联网宽带接入用户数', 'broadband_users_10k')
    ) as t(indicator, column_name)
),

renamed as (
    select
        ---------- ids
        source.adcode,
        source.year,
        source.adcode like '__0000' as is_province,
        ---------- indicator
        source.indicator as indicator_zh,
        names.column_name as indicator,
        source.unit,
        ---------- numerics
        source.value
    from source
    left join names on source.indicator = names.indicator
)

select * from renamed
