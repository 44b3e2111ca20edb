-- Messages edited at least once, and edits, per day the message was posted.
WITH
edit_cte AS (
  SELECT
    chat_id,
    message_id,
    count(1) AS edit_amount
  FROM telegram_updates
  WHERE update_type IN ('edited_message', 'edited_channel_post', 'edited_business_message')
  GROUP BY
    chat_id,
    message_id
)
SELECT
  t.context_date,
  count(1) AS message_amount,
  count(e.message_id) AS edited_message_amount,
  COALESCE(sum(e.edit_amount), 0) AS edit_amount,
  CAST(round(100 * CAST(count(e.message_id) AS DOUBLE) / count(1)) AS INTEGER) AS edit_percent
FROM telegram AS t
LEFT JOIN edit_cte AS e
  ON e.chat_id = t.chat_id
  AND e.message_id = t.message_id
GROUP BY t.context_date
ORDER BY t.context_date DESC
