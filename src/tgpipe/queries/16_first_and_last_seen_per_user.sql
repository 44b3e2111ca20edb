-- When each user first and last posted, on how many days, and how much (latest first name shown).
SELECT
  user_id,
  max_by(user_first_name, update_id) AS user_first_name,
  min(context_date) AS first_seen_date,
  max(context_date) AS last_seen_date,
  count(DISTINCT context_date) AS active_days,
  count(1) AS message_amount
FROM telegram
WHERE user_id IS NOT NULL
GROUP BY user_id
ORDER BY
  first_seen_date,
  user_id
