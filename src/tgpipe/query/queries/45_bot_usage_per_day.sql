-- The bot's commands and buttons per day: each command (a bot_command in lower case without its @bot, once per message) and each button pressed (callback_data): uses, people, and people using it for the first time in the period (summed over days, the people who ever used it).
WITH
use_cte AS (
  SELECT DISTINCT
    'command' AS kind,
    lower(split_part(c.command, '@', 1)) AS name,
    t.context_date,
    t.chat_id,
    t.numbered_by,
    t.message_id AS use_id,
    t.user_id
  FROM telegram AS t
  CROSS JOIN UNNEST(t.bot_commands) AS c (command)
  WHERE t.is_content
  UNION ALL
  SELECT
    'button' AS kind,
    callback_data AS name,
    context_date,
    chat_id,
    'update' AS numbered_by,
    update_id AS use_id,
    user_id
  FROM telegram_updates
  WHERE update_type = 'callback_query'
    AND callback_data IS NOT NULL
),
first_use_cte AS (
  SELECT
    kind,
    name,
    user_id,
    min(context_date) AS first_day
  FROM use_cte
  WHERE user_id IS NOT NULL
  GROUP BY
    kind,
    name,
    user_id
),
new_cte AS (
  SELECT
    kind,
    name,
    first_day,
    count(1) AS new_person_amount
  FROM first_use_cte
  GROUP BY
    kind,
    name,
    first_day
),
day_cte AS (
  SELECT
    kind,
    name,
    context_date,
    count(1) AS use_amount,
    count(DISTINCT user_id) AS person_amount
  FROM use_cte
  GROUP BY
    kind,
    name,
    context_date
)
SELECT
  d.kind,
  d.name,
  d.context_date,
  d.use_amount,
  d.person_amount,
  COALESCE(n.new_person_amount, 0) AS new_person_amount
FROM day_cte AS d
LEFT JOIN new_cte AS n
  ON n.kind = d.kind
  AND n.name = d.name
  AND n.first_day = d.context_date
ORDER BY
  d.context_date DESC,
  d.kind DESC,
  d.use_amount DESC,
  d.name
