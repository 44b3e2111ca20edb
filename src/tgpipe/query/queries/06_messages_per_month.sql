-- Messages per calendar month of context_date (original analysis 6).
SELECT
  year(context_date) AS year,
  month(context_date) AS month,
  count(1) AS message_amount
FROM telegram
WHERE is_content
GROUP BY
  year(context_date),
  month(context_date)
ORDER BY
  year DESC,
  month DESC
