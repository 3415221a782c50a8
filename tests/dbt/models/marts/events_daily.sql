-- built on raw.events, whose data is stale (see sources.yml)
select cast(loaded_at as date) as day, count(*) as events from {{ source('raw', 'events') }} group by 1
