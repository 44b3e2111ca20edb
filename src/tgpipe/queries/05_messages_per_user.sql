-- Messages per user over the whole period (original analysis 5).
SELECT
  user_id,
  user_first_name,
  count(1) AS message_amount
FROM telegram
GROUP BY
  user_id,
  user_first_name
ORDER BY
  message_amount DESC,
  user_id NULLS LAST,
  user_first_name NULLS LAST
