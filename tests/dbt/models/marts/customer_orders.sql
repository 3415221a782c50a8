-- one row per order with its customer: its unique test on customer_id fails (Ada
-- has two orders)
select o.order_id, c.customer_id, c.name, o.amount
from {{ ref('stg_orders') }} as o
join {{ ref('stg_customers') }} as c on c.customer_id = o.customer_id
