{#- Great-circle (haversine) distance in km on a sphere of radius var('earth_radius_km') (dbt_project.yml:
    the IUGG mean radius; the sample world's ingestion.geometry reads the same var).
    Written out rather than ST_Distance_Sphere so the argument order (lon, lat) is explicit. -#}
{% macro great_circle_km(lon1, lat1, lon2, lat2) -%}
2 * {{ var('earth_radius_km') }} * asin(sqrt(least(1.0,
    power(sin(radians({{ lat2 }} - {{ lat1 }}) / 2), 2)
    + cos(radians({{ lat1 }})) * cos(radians({{ lat2 }})) * power(sin(radians({{ lon2 }} - {{ lon1 }}) / 2), 2)
)))
{%- endmacro %}
