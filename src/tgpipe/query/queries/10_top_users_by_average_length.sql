-- Senders with at least 5 text messages, by average text length in characters (rounded half away from zero).
WITH
sender_cte AS (
  SELECT
    user_id,
    user_first_name,
    text,
    sent_as_chat_id AS sender_chat_id,
    sender_kind,
    sender_name
  FROM telegram
  WHERE is_content
    AND text IS NOT NULL
)
SELECT
  user_id,
  user_first_name,
  count(text) AS text_message_amount,
  CAST(round(avg(length(text))) AS INTEGER) AS average_message_length,
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
HAVING count(text) >= 5
ORDER BY
  average_message_length DESC,
  text_message_amount DESC,
  user_id NULLS LAST,
  user_first_name NULLS LAST,
  sender_chat_id NULLS LAST,
  sender_kind,
  sender_name NULLS LAST
