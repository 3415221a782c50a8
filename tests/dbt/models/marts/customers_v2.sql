select customer_id, name, current_date as first_seen from {{ ref('stg_customers') }}
