-- Reactions people added to messages (an emoji, custom_emoji:<id> or paid), by how often, from message_reaction updates.
WITH
new_reaction_cte AS (
  SELECT
    update_id,
    chat_id,
    message_id,
    user_id,
    reaction
  FROM telegram_updates
  CROSS JOIN UNNEST(new_reactions) AS t (reaction)
  WHERE update_type = 'message_reaction'
),
old_reaction_cte AS (
  SELECT
    update_id,
    reaction
  FROM telegram_updates
  CROSS JOIN UNNEST(old_reactions) AS t (reaction)
  WHERE update_type = 'message_reaction'
),
added_reaction_cte AS (
  SELECT
    n.update_id,
    n.chat_id,
    n.message_id,
    n.user_id,
    n.reaction
  FROM new_reaction_cte AS n
  LEFT JOIN old_reaction_cte AS o
    ON o.update_id = n.update_id
    AND o.reaction = n.reaction
  WHERE o.update_id IS NULL
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
