-- Messages per user per day (original analysis 2); a channel or group posting as itself is its own sender.
WITH
sender_cte AS (
  SELECT
    user_id,
    user_first_name,
    context_date,
    sent_as_chat_id AS sender_chat_id,
    sender_kind,
    sender_name
  FROM telegram
  WHERE is_content
)
SELECT
  user_id,
  user_first_name,
  context_date,
  count(1) AS message_amount,
  sender_chat_id,
  sender_kind,
  sender_name
FROM sender_cte
GROUP BY
  user_id,
  user_first_name,
  context_date,
  sender_chat_id,
  sender_kind,
  sender_name
ORDER BY
  context_date DESC,
  message_amount DESC,
  user_id NULLS LAST,
  user_first_name NULLS LAST,
  sender_chat_id NULLS LAST,
  sender_kind,
  sender_name NULLS LAST
