-- The paths of bot sessions in private chats: a session starts with a command (or after more than gap_seconds of silence) and goes on with the buttons pressed (callback_data), in update order; per path (its first 6 steps): sessions, people, and the step they stopped at.
WITH
params AS (
  SELECT 1800 AS gap_seconds
),
step_cte AS (
  SELECT
    t.chat_id,
    t.update_id,
    t.date AS step_date,
    1 AS is_command,
    lower(split_part(c.command, '@', 1)) AS label
  FROM telegram AS t
  CROSS JOIN UNNEST(t.bot_commands) WITH ORDINALITY AS c (command, n)
  WHERE c.n = 1
    AND t.is_content
    AND t.chat_id = t.user_id
    AND t.update_id IS NOT NULL
  UNION ALL
  SELECT
    chat_id,
    update_id,
    event_date AS step_date,
    0 AS is_command,
    callback_data AS label
  FROM telegram_updates
  WHERE update_type = 'callback_query'
    AND chat_id = user_id
    AND callback_data IS NOT NULL
),
gap_cte AS (
  SELECT
    s.*,
    CASE
      WHEN s.is_command = 1 THEN 1
      WHEN lag(s.update_id) OVER (PARTITION BY s.chat_id ORDER BY s.update_id) IS NULL THEN 1
      WHEN s.step_date - lag(s.step_date) OVER (PARTITION BY s.chat_id ORDER BY s.update_id) > p.gap_seconds THEN 1
      ELSE 0
    END AS starts_session
  FROM step_cte AS s
  CROSS JOIN params AS p
),
numbered_cte AS (
  SELECT
    g.*,
    sum(g.starts_session) OVER (
      PARTITION BY g.chat_id
      ORDER BY g.update_id
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS session_number
  FROM gap_cte AS g
),
placed_cte AS (
  SELECT
    n.*,
    row_number() OVER (PARTITION BY n.chat_id, n.session_number ORDER BY n.update_id) AS step,
    count(1) OVER (PARTITION BY n.chat_id, n.session_number) AS step_amount
  FROM numbered_cte AS n
),
session_cte AS (
  SELECT
    chat_id,
    session_number,
    max(step_amount) AS step_amount,
    concat_ws(' > ', array_agg(label ORDER BY step) FILTER (WHERE step <= 6))
      || CASE WHEN max(step_amount) > 6 THEN ' > ...' ELSE '' END AS path,
    max(CASE WHEN step = step_amount THEN label END) AS last_step
  FROM placed_cte
  GROUP BY
    chat_id,
    session_number
)
SELECT
  path,
  step_amount,
  last_step,
  count(1) AS session_amount,
  count(DISTINCT chat_id) AS person_amount
FROM session_cte
GROUP BY
  path,
  step_amount,
  last_step
ORDER BY
  session_amount DESC,
  path,
  step_amount,
  last_step
