-- Service events (joins, leaves, pins, topics created, title changes, ...) by kind: how many, in how many chats, by how many users, first and last day; not counted as messages.
SELECT
  message_type AS event_type,
  count(1) AS event_amount,
  count(DISTINCT chat_id) AS chat_amount,
  count(DISTINCT user_id) AS user_amount,
  min(context_date) AS first_day,
  max(context_date) AS last_day
FROM telegram
WHERE NOT is_content
GROUP BY message_type
ORDER BY
  event_amount DESC,
  event_type
