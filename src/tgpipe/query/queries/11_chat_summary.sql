-- Per chat: latest title and type, messages, senders, active days, first and last day, last message (UTC and local), people, @username.
SELECT
  chat_id,
  max_by(chat_title, message_order) FILTER (WHERE chat_title IS NOT NULL) AS chat_title,
  max_by(chat_type, message_order) FILTER (WHERE chat_type IS NOT NULL) AS chat_type,
  count(1) FILTER (WHERE is_content) AS message_amount,
  count(DISTINCT CASE WHEN is_content THEN user_id END) AS user_amount,
  count(DISTINCT CASE WHEN is_content THEN context_date END) AS active_days,
  min(context_date) FILTER (WHERE is_content) AS first_day,
  max(context_date) FILTER (WHERE is_content) AS last_day,
  max(date_utc) FILTER (WHERE is_content) AS last_message_utc,
  max_by(date_local, message_order) FILTER (WHERE date_local IS NOT NULL AND is_content) AS last_message_local,
  count(DISTINCT CASE WHEN is_content AND sender_kind = 'person' THEN user_id END) AS person_amount,
  max_by(chat_username, message_order) FILTER (WHERE chat_username IS NOT NULL) AS chat_username
FROM telegram
GROUP BY chat_id
ORDER BY
  message_amount DESC,
  chat_id
