-- Messages per local hour, ISO weekday (1 = Monday) and ISO week number (original analysis 4).
WITH
parsed_date_cte AS (
  SELECT
    *,
    date_local AS parsed_date
  FROM telegram
  WHERE is_content
),
hour_week_cte AS (
  SELECT
    *,
    EXTRACT(hour FROM parsed_date) AS parsed_date_hour,
    date_diff('day', DATE '2001-01-01', CAST(parsed_date AS DATE)) % 7 + 1 AS parsed_date_weekday,
    EXTRACT(week FROM parsed_date) AS parsed_date_weeknum
  FROM parsed_date_cte
)
SELECT
  parsed_date_hour,
  parsed_date_weekday,
  parsed_date_weeknum,
  count(1) AS message_amount
FROM hour_week_cte
GROUP BY
  parsed_date_hour,
  parsed_date_weekday,
  parsed_date_weeknum
ORDER BY
  parsed_date_weeknum,
  parsed_date_weekday,
  parsed_date_hour
