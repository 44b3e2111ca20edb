-- Messages per day (original analysis 1); service events (joins, pins, ...) are not messages.
SELECT
  context_date,
  count(1) AS message_amount
FROM telegram
WHERE is_content
GROUP BY context_date
ORDER BY context_date DESC
