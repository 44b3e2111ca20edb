-- Members who joined and left per ISO week (starting Monday), from the chats' service messages (members an export names without an id too).
SELECT
  CAST(date_trunc('week', context_date) AS DATE) AS week_start,
  COALESCE(sum(new_chat_member_amount), 0) AS joined_amount,
  count(1) FILTER (WHERE message_type = 'left_chat_member') AS left_amount
FROM telegram
WHERE update_type = 'message'
  AND message_type IN ('new_chat_members', 'left_chat_member')
GROUP BY CAST(date_trunc('week', context_date) AS DATE)
ORDER BY week_start DESC
