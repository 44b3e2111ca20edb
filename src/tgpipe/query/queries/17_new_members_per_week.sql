-- Members who joined and left per ISO week (starting Monday), from the chats' service messages.
WITH
change_cte AS (
  SELECT
    context_date,
    'joined' AS change
  FROM telegram
  CROSS JOIN UNNEST(new_chat_member_ids) AS t (member_id)
  WHERE update_type = 'message'
  UNION ALL
  SELECT
    context_date,
    'left' AS change
  FROM telegram
  WHERE update_type = 'message'
    AND message_type = 'left_chat_member'
)
SELECT
  CAST(date_trunc('week', context_date) AS DATE) AS week_start,
  count(1) FILTER (WHERE change = 'joined') AS joined_amount,
  count(1) FILTER (WHERE change = 'left') AS left_amount
FROM change_cte
GROUP BY CAST(date_trunc('week', context_date) AS DATE)
ORDER BY week_start DESC
