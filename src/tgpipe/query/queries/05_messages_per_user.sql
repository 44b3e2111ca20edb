-- Messages per user over the whole period (original analysis 5); a channel or group posting as itself is its own sender.
WITH
sender_cte AS (
  SELECT
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
  user_first_name,
  count(1) AS message_amount,
  sender_chat_id,
  sender_kind,
  sender_name
FROM sender_cte
GROUP BY
  user_id,
  user_first_name,
  sender_chat_id,
  sender_kind,
  sender_name
ORDER BY
  message_amount DESC,
  user_id NULLS LAST,
  user_first_name NULLS LAST,
  sender_chat_id NULLS LAST,
  sender_kind,
  sender_name NULLS LAST
