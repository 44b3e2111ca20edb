-- Reactions (an emoji, custom_emoji:<id> or paid) by how many were added: the export's counts on imported messages, the bot's updates on its own; and how many of them name their person.
WITH
tallied_cte AS (
  SELECT
    u.chat_id,
    u.message_id,
    r.reaction,
    c.amount
  FROM telegram_updates AS u
  CROSS JOIN UNNEST(u.tallied_reactions) WITH ORDINALITY AS r (reaction, reaction_position)
  CROSS JOIN UNNEST(u.tallied_reaction_counts) WITH ORDINALITY AS c (amount, amount_position)
  WHERE r.reaction_position = c.amount_position
),
person_cte AS (
  SELECT
    user_id,
    reaction
  FROM telegram_updates
  CROSS JOIN UNNEST(added_reactions) AS t (reaction)
  WHERE update_type = 'message_reaction'
),
tally_cte AS (
  SELECT
    reaction,
    sum(amount) AS reaction_amount,
    count(DISTINCT CAST(chat_id AS VARCHAR) || ':' || CAST(message_id AS VARCHAR)) AS message_amount
  FROM tallied_cte
  GROUP BY reaction
),
people_cte AS (
  SELECT
    reaction,
    count(1) AS person_reaction_amount,
    count(DISTINCT user_id) AS user_amount
  FROM person_cte
  GROUP BY reaction
)
SELECT
  COALESCE(t.reaction, p.reaction) AS reaction,
  COALESCE(t.reaction_amount, 0) AS reaction_amount,
  COALESCE(p.user_amount, 0) AS user_amount,
  COALESCE(t.message_amount, 0) AS message_amount,
  COALESCE(p.person_reaction_amount, 0) AS person_reaction_amount
FROM tally_cte AS t
FULL JOIN people_cte AS p
  ON p.reaction = t.reaction
ORDER BY
  reaction_amount DESC,
  reaction NULLS LAST
