{#- The continuous variables of fct_city_year that mart_city_year_winsorised covers. -#}
{% macro winsorised_columns() %}
{{ return(['carbon_intensity', 'co2_per_capita_t', 'ln_co2_ceads_10k_t', 'pollution_index_000',
           'pollution_carbon_index_001', 'ln_ai_firms', 'ln_ai_attention', 'ln_robot_exposure',
           'ln_green_applications', 'ln_green_invention_applications', 'ln_green_grants',
           'ln_green_invention_grants', 'ln_gdp_per_capita', 'tertiary_share', 'tertiary_secondary_ratio',
           'industrial_structure_level', 'industrialization', 'ln_pop_hukou', 'urbanization_rate',
           'human_capital', 'natural_resources', 'fdi_gdp_ratio', 'trade_gdp_ratio', 'financial_development',
           'loans_gdp_ratio', 'government_expenditure_ratio', 'fiscal_decentralization',
           'government_investment_ratio', 'investment_budget_ratio', 'education_expenditure_share',
           'market_potential', 'ln_broadband_users', 'environment_word_share']) }}
{% endmacro %}
