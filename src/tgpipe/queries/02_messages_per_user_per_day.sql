-- Messages per user per day (original analysis 2).
SELECT
  user_id,
  user_first_name,
  context_date,
  count(1) AS message_amount
FROM telegram
GROUP BY
  user_id,
  user_first_name,
  context_date
ORDER BY
  context_date DESC,
  message_amount DESC,
  user_id NULLS LAST,
  user_first_name NULLS LAST
