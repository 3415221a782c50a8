-- built on raw.visits, whose freshness only warns (see sources.yml)
select cast(loaded_at as date) as day, count(*) as visits from {{ source('raw', 'visits') }} group by 1
