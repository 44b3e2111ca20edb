-- People (not bots, not chats posting as themselves) active per ISO week: new (first seen that week) or returning.
WITH
person_week_cte AS (
  SELECT DISTINCT
    user_id,
    CAST(date_trunc('week', context_date) AS DATE) AS week_start
  FROM telegram
  WHERE is_content
    AND sender_kind = 'person'
),
first_week_cte AS (
  SELECT
    user_id,
    min(week_start) AS first_week_start
  FROM person_week_cte
  GROUP BY user_id
)
SELECT
  p.week_start,
  count(1) AS person_amount,
  count(1) FILTER (WHERE p.week_start = f.first_week_start) AS new_person_amount,
  count(1) FILTER (WHERE p.week_start > f.first_week_start) AS returning_person_amount
FROM person_week_cte AS p
JOIN first_week_cte AS f
  ON f.user_id = p.user_id
GROUP BY p.week_start
ORDER BY p.week_start DESC
