-- Messages per day and message type (text, photo, sticker, ...), most frequent type first.
SELECT
  context_date,
  message_type,
  count(1) AS message_amount
FROM telegram
GROUP BY
  context_date,
  message_type
ORDER BY
  context_date DESC,
  message_amount DESC,
  message_type NULLS LAST
