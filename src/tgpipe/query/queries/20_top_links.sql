-- Links shared (URLs as written and text-link targets), by how many messages shared them, with a t.me link to the latest.
WITH
link_cte AS (
  SELECT DISTINCT
    chat_id,
    message_id,
    source,
    message_order,
    user_id,
    context_date,
    url,
    CASE
      WHEN chat_type IN ('channel', 'supergroup') AND chat_username IS NOT NULL
        THEN 'https://t.me/' || chat_username || '/' || CAST(message_id AS VARCHAR)
    END AS message_link
  FROM telegram
  CROSS JOIN UNNEST(urls) AS t (url)
  WHERE is_content
)
SELECT
  url,
  count(1) AS message_amount,
  count(DISTINCT user_id) AS user_amount,
  min(context_date) AS first_shared_date,
  max(context_date) AS last_shared_date,
  max_by(message_link, message_order) FILTER (WHERE message_link IS NOT NULL) AS latest_message_link
FROM link_cte
GROUP BY url
ORDER BY
  message_amount DESC,
  url NULLS LAST
