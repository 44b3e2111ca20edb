-- Per chat: latest title and type, messages, senders, active days, first and last day, last message (UTC and local), people, @username.
SELECT
  chat_id,
  max_by(chat_title, update_id) FILTER (WHERE chat_title IS NOT NULL) AS chat_title,
  max_by(chat_type, update_id) FILTER (WHERE chat_type IS NOT NULL) AS chat_type,
  count(1) AS message_amount,
  count(DISTINCT user_id) AS user_amount,
  count(DISTINCT context_date) AS active_days,
  min(context_date) AS first_day,
  max(context_date) AS last_day,
  max(date_utc) AS last_message_utc,
  max_by(date_local, date_utc) FILTER (WHERE date_local IS NOT NULL) AS last_message_local,
  count(DISTINCT CASE WHEN sender_kind = 'person' THEN user_id END) AS person_amount,
  max_by(chat_username, update_id) FILTER (WHERE chat_username IS NOT NULL) AS chat_username
FROM telegram
GROUP BY chat_id
ORDER BY
  message_amount DESC,
  chat_id
