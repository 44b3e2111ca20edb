-- People who talk to the bot in private (any update of their private chat with it but a block or unblock), per day and per ISO week: active, new (first seen in the period that day or week) and returning.
WITH
activity_cte AS (
  SELECT DISTINCT
    user_id,
    context_date
  FROM telegram_updates
  WHERE chat_id = user_id
    AND update_type <> 'my_chat_member'
),
first_cte AS (
  SELECT
    user_id,
    min(context_date) AS first_day
  FROM activity_cte
  GROUP BY user_id
),
period_cte AS (
  SELECT
    'day' AS period,
    a.context_date AS period_start,
    a.user_id,
    f.first_day AS first_start
  FROM activity_cte AS a
  JOIN first_cte AS f
    ON f.user_id = a.user_id
  UNION
  SELECT
    'week' AS period,
    CAST(date_trunc('week', a.context_date) AS DATE) AS period_start,
    a.user_id,
    CAST(date_trunc('week', f.first_day) AS DATE) AS first_start
  FROM activity_cte AS a
  JOIN first_cte AS f
    ON f.user_id = a.user_id
)
SELECT
  period,
  period_start,
  count(1) AS active_person_amount,
  count(1) FILTER (WHERE period_start = first_start) AS new_person_amount,
  count(1) FILTER (WHERE period_start > first_start) AS returning_person_amount
FROM period_cte
GROUP BY
  period,
  period_start
ORDER BY
  period,
  period_start DESC
