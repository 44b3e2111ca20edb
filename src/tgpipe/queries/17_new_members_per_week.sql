-- Members who joined and left per ISO week (starting Monday), from the chats' service messages.
SELECT
  CAST(date_trunc('week', context_date) AS DATE) AS week_start,
  COALESCE(sum(json_array_length(json_extract(payload, '$.message.new_chat_members'))), 0) AS joined_amount,
  count(json_extract(payload, '$.message.left_chat_member')) AS left_amount
FROM telegram_updates
WHERE update_type = 'message'
  AND (
    json_extract(payload, '$.message.new_chat_members') IS NOT NULL
    OR json_extract(payload, '$.message.left_chat_member') IS NOT NULL
  )
GROUP BY CAST(date_trunc('week', context_date) AS DATE)
ORDER BY week_start DESC
