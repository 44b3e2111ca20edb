-- Messages per ISO weekday (1 = Monday) and local hour, for an activity heatmap.
WITH
local_time_cte AS (
  SELECT
    date_diff('day', DATE '2001-01-01', CAST(date_local AS DATE)) % 7 + 1 AS iso_weekday,
    EXTRACT(hour FROM date_local) AS local_hour
  FROM telegram
  WHERE is_content
    AND date_local IS NOT NULL
)
SELECT
  iso_weekday,
  local_hour,
  count(1) AS message_amount
FROM local_time_cte
GROUP BY
  iso_weekday,
  local_hour
ORDER BY
  iso_weekday,
  local_hour
