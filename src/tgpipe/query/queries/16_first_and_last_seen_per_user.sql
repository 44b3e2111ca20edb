-- When each sender first and last posted, on how many days, and how much (latest names shown); chats posting as themselves included.
WITH
sender_cte AS (
  SELECT
    message_order,
    context_date,
    user_id,
    user_first_name,
    sent_as_chat_id AS sender_chat_id,
    sender_kind,
    sender_name
  FROM telegram
  WHERE is_content
)
SELECT
  user_id,
  max_by(user_first_name, message_order) FILTER (WHERE user_first_name IS NOT NULL) AS user_first_name,
  min(context_date) AS first_seen_date,
  max(context_date) AS last_seen_date,
  count(DISTINCT context_date) AS active_days,
  count(1) AS message_amount,
  sender_chat_id,
  max_by(sender_kind, message_order) FILTER (WHERE sender_kind IS NOT NULL) AS sender_kind,
  max_by(sender_name, message_order) FILTER (WHERE sender_name IS NOT NULL) AS sender_name
FROM sender_cte
GROUP BY
  user_id,
  sender_chat_id
ORDER BY
  first_seen_date,
  user_id NULLS LAST,
  sender_chat_id NULLS LAST
