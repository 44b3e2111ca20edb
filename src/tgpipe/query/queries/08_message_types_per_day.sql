-- Messages per day and message type (text, photo, sticker, ...), most frequent type first; service events are in service_events.
SELECT
  context_date,
  message_type,
  count(1) AS message_amount
FROM telegram
WHERE is_content
GROUP BY
  context_date,
  message_type
ORDER BY
  context_date DESC,
  message_amount DESC,
  message_type NULLS LAST
