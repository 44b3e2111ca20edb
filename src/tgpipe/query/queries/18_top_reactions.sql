-- Reactions people added to messages (an emoji, custom_emoji:<id> or paid), by how often, from message_reaction updates.
WITH
added_reaction_cte AS (
  SELECT
    update_id,
    chat_id,
    message_id,
    user_id,
    reaction
  FROM telegram_updates
  CROSS JOIN UNNEST(added_reactions) AS t (reaction)
  WHERE update_type = 'message_reaction'
)
SELECT
  reaction,
  count(1) AS reaction_amount,
  count(DISTINCT user_id) AS user_amount,
  count(DISTINCT CAST(chat_id AS VARCHAR) || ':' || CAST(message_id AS VARCHAR)) AS message_amount
FROM added_reaction_cte
GROUP BY reaction
ORDER BY
  reaction_amount DESC,
  reaction NULLS LAST
