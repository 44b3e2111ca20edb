-- Replies and threads per chat and day: how conversational each chat is (a forum topic's messages are not replies).
SELECT
  context_date,
  chat_id,
  chat_title,
  count(1) AS message_amount,
  count(replied_to_message_id) AS reply_amount,
  CAST(round(100 * CAST(count(replied_to_message_id) AS DOUBLE) / count(1)) AS INTEGER) AS reply_percent,
  count(DISTINCT replied_to_message_id) AS replied_message_amount,
  count(DISTINCT message_thread_id) AS thread_amount
FROM telegram
WHERE is_content
GROUP BY
  context_date,
  chat_id,
  chat_title
ORDER BY
  context_date DESC,
  message_amount DESC,
  chat_id,
  chat_title NULLS LAST
