-- fails when dbt runs it: 'n/a' is not an integer (dbt parse does not notice)
{{ config(materialized='table') }}
select order_id, ordered_at, cast('n/a' as integer) as amount from {{ ref('stg_orders') }}
