-- Average text length in characters per user per day, rounded half away from zero (original analysis 3).
SELECT
  user_id,
  user_first_name,
  context_date,
  CAST(round(avg(length(text))) AS INTEGER) AS average_message_length
FROM telegram
GROUP BY
  user_id,
  user_first_name,
  context_date
ORDER BY
  context_date DESC,
  user_id NULLS LAST,
  user_first_name NULLS LAST
