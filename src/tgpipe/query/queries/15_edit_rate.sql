-- Messages edited at least once, and edits, per day the message was posted; an export holds only a message's last edit, so its edits are not counted.
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
),
message_cte AS (
  SELECT
    t.context_date,
    e.edit_amount,
    e.message_id IS NOT NULL OR t.edit_date IS NOT NULL AS edited
  FROM telegram AS t
  LEFT JOIN edit_cte AS e
    ON e.chat_id = t.chat_id
    AND e.message_id = t.message_id
  WHERE t.is_content
)
SELECT
  context_date,
  count(1) AS message_amount,
  count(1) FILTER (WHERE edited) AS edited_message_amount,
  COALESCE(sum(edit_amount), 0) AS edit_amount,
  CAST(round(100 * CAST(count(1) FILTER (WHERE edited) AS DOUBLE) / count(1)) AS INTEGER) AS edit_percent,
  count(1) FILTER (WHERE edited AND edit_amount IS NULL) AS edit_count_unknown_amount
FROM message_cte
GROUP BY context_date
ORDER BY context_date DESC
