-- Average text length in characters per user per day, rounded half away from zero (original analysis 3).
WITH
sender_cte AS (
  SELECT
    user_id,
    user_first_name,
    context_date,
    text,
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
  CAST(round(avg(length(text))) AS INTEGER) AS average_message_length,
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
  user_id NULLS LAST,
  user_first_name NULLS LAST,
  sender_chat_id NULLS LAST,
  sender_kind,
  sender_name NULLS LAST
