-- Terms (the words of texts and captions as lemmas, stop words left out) by how many messages use them, with how many people used each and the first and last day.
WITH
term_cte AS (
  SELECT DISTINCT
    chat_id,
    message_id,
    source,
    user_id,
    context_date,
    term
  FROM telegram
  CROSS JOIN UNNEST(terms) AS t (term)
  WHERE is_content
)
SELECT
  term,
  count(1) AS message_amount,
  count(DISTINCT user_id) AS user_amount,
  min(context_date) AS first_used_date,
  max(context_date) AS last_used_date
FROM term_cte
GROUP BY term
ORDER BY
  message_amount DESC,
  term
