-- Messages per day (original analysis 1).
SELECT
  context_date,
  count(1) AS message_amount
FROM telegram
GROUP BY context_date
ORDER BY context_date DESC
