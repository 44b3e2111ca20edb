-- Per chat: latest title and type, messages, senders, active days, first and last day, last message (UTC).
SELECT
  chat_id,
  max_by(chat_title, update_id) AS chat_title,
  max_by(chat_type, update_id) AS chat_type,
  count(1) AS message_amount,
  count(DISTINCT user_id) AS user_amount,
  count(DISTINCT context_date) AS active_days,
  min(context_date) AS first_day,
  max(context_date) AS last_day,
  max(date_utc) AS last_message_utc
FROM telegram
GROUP BY chat_id
ORDER BY
  message_amount DESC,
  chat_id
