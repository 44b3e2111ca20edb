-- Retention: people (senders who are persons) and, apart, the bot's private users, by the ISO week they were first seen in the period (their cohort); for each later week (0 = the first), how many of the cohort were active and their share.
WITH
activity_cte AS (
  SELECT DISTINCT
    'people' AS population,
    user_id AS person_id,
    CAST(date_trunc('week', context_date) AS DATE) AS week_start
  FROM telegram
  WHERE is_content
    AND sender_kind = 'person'
    AND user_id IS NOT NULL
  UNION
  SELECT DISTINCT
    'bot_users' AS population,
    user_id AS person_id,
    CAST(date_trunc('week', context_date) AS DATE) AS week_start
  FROM telegram_updates
  WHERE chat_id = user_id
    AND update_type <> 'my_chat_member'
),
cohort_cte AS (
  SELECT
    population,
    person_id,
    min(week_start) AS cohort_week
  FROM activity_cte
  GROUP BY
    population,
    person_id
),
size_cte AS (
  SELECT
    population,
    cohort_week,
    count(1) AS cohort_size
  FROM cohort_cte
  GROUP BY
    population,
    cohort_week
),
active_cte AS (
  SELECT
    a.population,
    c.cohort_week,
    date_diff('week', c.cohort_week, a.week_start) AS week_number,
    count(1) AS active_amount
  FROM activity_cte AS a
  JOIN cohort_cte AS c
    ON c.population = a.population
    AND c.person_id = a.person_id
  GROUP BY
    a.population,
    c.cohort_week,
    date_diff('week', c.cohort_week, a.week_start)
)
SELECT
  a.population,
  a.cohort_week,
  s.cohort_size,
  a.week_number,
  a.active_amount,
  round(CAST(a.active_amount AS DOUBLE) * 1000 / s.cohort_size) / 10 AS active_percent
FROM active_cte AS a
JOIN size_cte AS s
  ON s.population = a.population
  AND s.cohort_week = a.cohort_week
ORDER BY
  a.population DESC,
  a.cohort_week,
  a.week_number
